#if canImport(Glibc)
import Glibc
#endif
import Archive
import Dispatch
import Server
import Synchronization
import Transport

/// The options every archive command shares: where the archive is.
let archiveLocationOptions: [Command.Option] = [
    .init(name: "--config", short: "-c", value: "FILE", help: "The server's JSON configuration (for the data folder and archive settings)."),
    .init(name: "--data", short: nil, value: "DIR", help: "Archive folder (default ./lightbox-data, or the configuration's)."),
]

/// The archive settings as `serve` would use them: configuration file, environment, then --data.
func archiveSettings(_ args: ParsedArguments) throws -> Settings {
    var overrides: [(String, String)] = []
    if let v = args.value("--data") { overrides.append(("data_folder", v)) }
    do {
        return try Settings.load(file: args.value("--config"), environment: environment(), overrides: overrides)
    } catch {
        throw UsageError(description: "configuration: \(error.description)")
    }
}

/// Progress on standard error: a line redrawn in place on a terminal, a plain line every few seconds otherwise.
final class ProgressLine {
    let isTerminal = isatty(2) == 1
    let start = monotonicNow()
    var lastPrint = 0.0
    var visible = false

    func update(_ done: Int, of total: Int, unit: String, force: Bool = false) {
        let now = monotonicNow()
        let interval = isTerminal ? 0.1 : 5.0
        guard force || now - lastPrint >= interval else { return }
        lastPrint = now
        let elapsed = max(now - start, 0.001)
        let rate = Double(done) / elapsed
        var line = "\(done)/\(total) \(unit), \(Int(rate.rounded()))/s"
        if rate > 0 && done < total {
            let eta = Int(Double(total - done) / rate)
            line += ", ETA \(eta / 60):" + (eta % 60 < 10 ? "0" : "") + "\(eta % 60)"
        }
        if isTerminal {
            let width = 30
            let filled = total > 0 ? width * done / total : width
            let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            writeError("\r\u{1B}[K" + bar + line)
            visible = true
        } else {
            printError(line)
        }
    }

    /// Prints a message on its own line, the bar redrawn after it.
    func message(_ s: String) {
        if visible { writeError("\r\u{1B}[K") }
        printError(s)
        lastPrint = 0
    }

    func finish() {
        if visible { writeError("\n") }
        visible = false
    }

    func writeError(_ s: String) {
        let bytes = Array(s.utf8)
        bytes.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress!, $0.count) }
    }
}

// MARK: import

let importCommand = Command(
    name: "import",
    summary: "Import DICOM files and folders (recursively) into the archive, in parallel.",
    usage: "import PATH... [--data DIR] [-j N]",
    options: archiveLocationOptions + [
        .init(name: "--jobs", short: "-j", value: "N", help: "Files imported at once (default: the number of processors)."),
        .init(name: "--quiet", short: "-q", value: nil, help: "Print only failures and the summary."),
    ],
    details: """
    Files that are not DICOM are skipped; files that cannot be archived (unreadable, truncated, without UIDs) are
    reported and the import goes on. An instance already in the archive is not added again. The server may run
    meanwhile. Exits 1 when some DICOM file could not be imported.
    """,
    run: runImport)

func runImport(_ args: ParsedArguments) throws -> Int32 {
    guard !args.positional.isEmpty else { throw UsageError(description: "import needs at least one file or folder") }
    let settings = try archiveSettings(args)
    var jobs = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    if let j = args.value("--jobs") {
        guard let v = Int(j), (1...64).contains(v) else { throw UsageError(description: "--jobs needs 1 to 64") }
        jobs = v
    }
    let lock = try ArchiveLock(folder: settings.dataFolder, exclusive: false)
    defer { withExtendedLifetime(lock) {} }
    let archive = try Archive(configuration: settings.archiveConfiguration)
    var files: [String] = []
    let progress = ProgressLine()
    var missing = 0
    for path in args.positional {
        // A path that cannot be read is reported like a file that cannot be imported; the rest goes on.
        do {
            try forEachFile(path) { files.append($0) }
        } catch {
            progress.message("\(error)")
            missing += 1
        }
    }
    let quiet = args.has("--quiet")
    struct Counts { var done = 0, stored = 0, already = 0, skipped = 0, failed = 0, bytes: Int64 = 0 }
    let counts = Mutex(Counts(failed: missing))
    let next = Atomic<Int>(0)
    let output = Mutex(progress)
    let list = files
    DispatchQueue.concurrentPerform(iterations: min(jobs, max(list.count, 1))) { _ in
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                guard i < list.count else { return }
                let outcome = archive.importFile(list[i])
                let done: Int = counts.withLock { c in
                    c.done += 1
                    switch outcome {
                    case .stored(let instance):
                        c.stored += 1
                        c.bytes += Int64(instance.size)
                    case .alreadyStored: c.already += 1
                    case .skipped: c.skipped += 1
                    case .failed: c.failed += 1
                    }
                    return c.done
                }
                output.withLock { p in
                    if case .failed(let why) = outcome { p.message("\(list[i]): \(why)") }
                    if !quiet { p.update(done, of: list.count, unit: "files") }
                }
                // Bounded loss on a crash: everything imported is made durable every thousand files.
                if done % 1000 == 0 { try? archive.sync() }
            }
    }
    archive.close()
    let c = counts.withLock { $0 }
    output.withLock { p in
        if !quiet { p.update(c.done, of: files.count, unit: "files", force: true) }
        p.finish()
    }
    let elapsed = monotonicNow() - progress.start
    Output.line("imported \(c.stored) instances (\(c.bytes / 1_000_000) MB) in \(String(format1(elapsed))) s; "
                + "\(c.already) already in the archive, \(c.skipped) not DICOM, \(c.failed) failed")
    Output.flush()
    return c.failed > 0 ? 1 : 0
}

// MARK: verify

let verifyCommand = Command(
    name: "verify",
    summary: "Re-read every stored file against its recorded size and SHA-256; report damage.",
    usage: "verify [--data DIR]",
    options: archiveLocationOptions + [
        .init(name: "--quiet", short: "-q", value: nil, help: "Print only problems and the summary."),
    ],
    details: "Exits 0 when every instance is intact, 1 when some file is missing or damaged.",
    run: runVerify)

func runVerify(_ args: ParsedArguments) throws -> Int32 {
    let settings = try archiveSettings(args)
    let lock = try ArchiveLock(folder: settings.dataFolder, exclusive: false)
    defer { withExtendedLifetime(lock) {} }
    var configuration = settings.archiveConfiguration
    configuration.durability = .none
    let archive = try Archive(configuration: configuration)
    let total = (try? archive.index.statistics().instances) ?? 0
    let progress = ProgressLine()
    let report = try archive.verify(threads: 2) { done, _ in
        if !args.has("--quiet") { progress.update(done, of: total, unit: "instances") }
    }
    progress.finish()
    archive.close()
    for p in report.damaged { printError("damaged: \(p.sopInstanceUID) (\(p.storageKey)): \(p.reason)") }
    for key in report.unreferenced { printError("not in the index: \(key)") }
    Output.line("checked \(report.checked) instances (\(report.bytes / 1_000_000) MB): "
                + (report.isClean ? "all intact" : "\(report.damaged.count) damaged")
                + (report.unreferenced.isEmpty ? "" : "; \(report.unreferenced.count) stored files not in the index"))
    Output.flush()
    return report.isClean ? 0 : 1
}

// MARK: reindex

let reindexCommand = Command(
    name: "reindex",
    summary: "Rebuild the index from the stored files (the server must be stopped).",
    usage: "reindex [--data DIR]",
    options: archiveLocationOptions,
    details: "The new index is built beside the old one and replaces it when complete; queries answer as before.",
    run: runReindex)

func runReindex(_ args: ParsedArguments) throws -> Int32 {
    let settings = try archiveSettings(args)
    let lock = try ArchiveLock(folder: settings.dataFolder, exclusive: true)
    defer { withExtendedLifetime(lock) {} }
    let progress = ProgressLine()
    let report = try Archive.reindex(settings.archiveConfiguration, threads: 2, progress: { done, total in
        progress.update(done, of: total, unit: "files")
    })
    progress.finish()
    for item in report.unreadable { printError("not indexed: \(item.key): \(item.reason)") }
    Output.line("indexed \(report.indexed) of \(report.files) stored files"
                + (report.superseded.isEmpty ? "" : "; \(report.superseded.count) older copies of an instance left out"))
    Output.flush()
    return report.unreadable.isEmpty ? 0 : 1
}
