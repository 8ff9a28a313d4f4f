#if canImport(Glibc)
import Glibc
#endif

/// A command of the `lightbox` executable: its options, its help, and what it does.
struct Command: Sendable {
    struct Option: Sendable {
        let name: String          // "--json"
        let short: String?        // "-j"
        let value: String?        // placeholder when it takes a value, e.g. "UID"
        let help: String
    }

    let name: String
    let summary: String
    let usage: String
    let options: [Option]
    /// Extra help text after the options.
    var details: String = ""
    let run: @Sendable (ParsedArguments) throws -> Int32

    var help: String {
        var s = "\(summary)\n\nUsage: lightbox \(usage)\n"
        if !options.isEmpty {
            s += "\nOptions:\n"
            for o in options + [Option(name: "--help", short: "-h", value: nil, help: "Show this help.")] {
                var left = "  " + (o.short.map { "\($0), " } ?? "    ") + o.name
                if let v = o.value { left += " " + v }
                s += left.padding(to: 30) + " " + o.help + "\n"
            }
        }
        if !details.isEmpty { s += "\n" + details + "\n" }
        return s
    }
}

/// Options and positional arguments after the command name.
struct ParsedArguments {
    var flags: Set<String> = []
    var values: [String: [String]] = [:]
    var positional: [String] = []

    func has(_ name: String) -> Bool { flags.contains(name) }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
}

extension Command {
    func parse(_ args: [String]) throws -> ParsedArguments {
        var parsed = ParsedArguments()
        var i = 0
        var onlyPositional = false
        while i < args.count {
            let a = args[i]
            i += 1
            if onlyPositional || !a.hasPrefix("-") || a == "-" {
                parsed.positional.append(a)
                continue
            }
            if a == "--" { onlyPositional = true; continue }
            var name = a
            var inline: String?
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                name = String(a[..<eq])
                inline = String(a[a.index(after: eq)...])
            }
            guard let option = options.first(where: { $0.name == name || $0.short == name }) else {
                throw UsageError(description: "unknown option \(name) (see 'lightbox \(self.name) --help')")
            }
            if option.value != nil {
                guard let v = inline ?? (i < args.count ? args[i] : nil) else {
                    throw UsageError(description: "option \(option.name) needs a value \(option.value!)")
                }
                if inline == nil { i += 1 }
                parsed.values[option.name, default: []].append(v)
            } else {
                guard inline == nil else { throw UsageError(description: "option \(option.name) takes no value") }
                parsed.flags.insert(option.name)
            }
        }
        return parsed
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// Standard error, unbuffered, for diagnostics.
func printError(_ s: String) {
    let line = Array((s + "\n").utf8)
    line.withUnsafeBytes { b in
        var done = 0
        while done < b.count {
            let n = Glibc.write(2, b.baseAddress! + done, b.count - done)
            if n <= 0 { break }
            done += n
        }
    }
}

/// Buffered standard output: dumps print many short lines.
struct Output {
    nonisolated(unsafe) static var buffer: [UInt8] = []

    static func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    static func line(_ s: String) {
        write(s)
        buffer.append(0x0A)
    }

    static func flush() {
        var done = 0
        buffer.withUnsafeBytes { b in
            while done < b.count {
                let n = Glibc.write(1, b.baseAddress! + done, b.count - done)
                if n <= 0 { break }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
