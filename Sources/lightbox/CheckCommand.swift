import DICOM

/// `lightbox check`: reads files (and folders, recursively) and reports the ones that cannot be read.
let checkCommand = Command(
    name: "check",
    summary: "Read DICOM files and folders and report those that cannot be read (no output for good files).",
    usage: "check [options] PATH...",
    options: [
        .init(name: "--header-only", short: nil, value: nil, help: "Stop each file before its pixel data."),
        .init(name: "--values", short: nil, value: nil,
              help: "Also decode every value: text through its character set, numbers, and every byte of binary values."),
        .init(name: "--quiet", short: "-q", value: nil, help: "Print only the summary line."),
        .init(name: "--timing", short: nil, value: nil, help: "End with a line giving the seconds spent reading (for benchmarks)."),
    ],
    details: "Exit status: 0 when every file was read, 1 otherwise.",
    run: runCheck)

func runCheck(_ args: ParsedArguments) throws -> Int32 {
    guard !args.positional.isEmpty else { throw UsageError(description: "check needs at least one PATH") }
    var options = ReadOptions.standard
    if args.has("--header-only") { options.stopAtTag = .pixelData }
    var ok = 0, failed = 0, bytes = 0
    var digest: UInt64 = 0
    let started = monotonicSeconds()
    for root in args.positional {
        try forEachFile(root) { path in
            do {
                let file = try DICOMFile.open(path, options: options)
                if args.has("--values") { digest &+= touchValues(file.dataSet) }
                ok += 1
                bytes += fileSize(path)
            } catch {
                failed += 1
                if !args.has("--quiet") { Output.line("\(path): \(error)") }
            }
        }
    }
    Output.line("\(ok) files read (\(bytes) bytes), \(failed) failed" + (args.has("--values") ? ", value digest \(digest % 1_000_000)" : ""))
    if args.has("--timing") { Output.line(String(monotonicSeconds() - started)) }
    Output.flush()
    return failed == 0 ? 0 : 1
}

/// Decodes every value, so that a benchmark of "full parsing" does what pydicom does when it converts values:
/// text through the character set, numbers into numbers, and a pass over every byte of binary data.
func touchValues(_ dataSet: DataSet) -> UInt64 {
    var h: UInt64 = 0
    let charset = dataSet.characterSet
    for e in dataSet.elements {
        switch e.value {
        case .sequence(let s):
            for item in s.items {
                var ds = item.dataSet
                if ds.inheritedCharacterSet == nil { ds.inheritedCharacterSet = charset }
                h &+= touchValues(ds)
            }
        case .encapsulated(let p):
            for f in [p.basicOffsetTable] + p.fragments { h &+= sum(f) }
        case .bytes(let b):
            if e.vr.isString {
                h &+= UInt64(e.strings(characterSet: charset)?.reduce(0) { $0 + $1.utf8.count } ?? 0)
            } else if let n = e.vr.numericWidth, n <= 8, b.count < 4096 {
                h &+= UInt64(e.decimals?.count ?? 0)
            } else {
                h &+= sum(b)
            }
        }
    }
    return h
}

/// Reads every byte, eight at a time.
func sum(_ b: Bytes) -> UInt64 {
    b.withUnsafeBytes { raw in
        var s: UInt64 = 0
        var i = 0
        while i + 8 <= raw.count { s &+= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self); i += 8 }
        while i < raw.count { s &+= UInt64(raw[i]); i += 1 }
        return s
    }
}
