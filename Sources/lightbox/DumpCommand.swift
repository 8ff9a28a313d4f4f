import DICOM

/// `lightbox dump`: a dcmdump-like view, or the DICOM JSON model, of files.
let dumpCommand = Command(
    name: "dump",
    summary: "Print the elements of DICOM files, as text (like dcmdump) or as DICOM JSON (PS3.18 Annex F).",
    usage: "dump [options] FILE...",
    options: [
        .init(name: "--json", short: "-j", value: nil, help: "Print the DICOM JSON model (one document per line for several files)."),
        .init(name: "--meta", short: "-m", value: nil, help: "With --json, include the file meta information (group 0002)."),
        .init(name: "--full", short: "-f", value: nil, help: "Print long values whole instead of cutting them."),
        .init(name: "--header-only", short: nil, value: nil, help: "Stop before the pixel data."),
        .init(name: "--strict", short: nil, value: nil, help: "Refuse truncated files instead of printing what they hold."),
        .init(name: "--bulk-threshold", short: nil, value: "BYTES",
              help: "With --json, binary values longer than this become BulkDataURIs into the file."),
        .init(name: "--quiet", short: "-q", value: nil, help: "Do not print warnings about tolerated defects."),
    ],
    details: """
    Exit status: 0 when every file was read, 1 when a file could not be read (the reason is printed on one line),
    2 for a usage error. Defects the reader tolerates (as pydicom or DCMTK do) are printed as warnings on
    standard error.
    """,
    run: runDump)

func runDump(_ args: ParsedArguments) throws -> Int32 {
    guard !args.positional.isEmpty else { throw UsageError(description: "dump needs at least one FILE") }
    var options = ReadOptions.standard
    options.allowTruncation = !args.has("--strict")
    if args.has("--header-only") { options.stopAtTag = .pixelData }
    var threshold: Int?
    if let t = args.value("--bulk-threshold") {
        guard let v = Int(t), v >= 0 else { throw UsageError(description: "--bulk-threshold needs a number of bytes") }
        threshold = v
    }
    let dumper = DataSetDump(maximumValueLength: args.has("--full") ? nil : 64)
    var status: Int32 = 0
    for path in args.positional {
        let file: DICOMFile
        do {
            file = try DICOMFile.open(path, options: options)
        } catch {
            Output.flush()
            printError("lightbox dump: \(path): \(error)")
            status = 1
            continue
        }
        if !args.has("--quiet") {
            for w in file.warnings { printError("lightbox dump: \(path): warning: \(w)") }
        }
        if args.has("--json") {
            var ds = file.dataSet
            if args.has("--meta") {
                for e in file.fileMetaInformation.elements { ds.set(e) }
            }
            let bulk: DICOMJSON.BulkDataHandler? = threshold.map { limit in { e, tags in bulkURI(e, path: tags, limit: limit) } }
            Output.line(DICOMJSON.encode(ds, bulkData: bulk))
        } else {
            if args.positional.count > 1 { Output.line("# " + path) }
            dumper.write(file, to: &Output.buffer)
            if args.positional.count > 1 { Output.line("") }
            if Output.buffer.count >= 1 << 16 { Output.flush() }
        }
    }
    Output.flush()
    return status
}

/// A placeholder BulkDataURI naming the tag path of a large binary value, for views that leave bulk data out.
func bulkURI(_ element: DataElement, path: [Tag], limit: Int) -> String? {
    let size: Int
    switch element.value {
    case .bytes(let b): size = b.count
    case .encapsulated(let p): size = p.fragments.reduce(p.basicOffsetTable.count) { $0 + $1.count }
    case .sequence: return nil
    }
    guard size > limit else { return nil }
    return "bulk:" + path.map(\.jsonKey).joined(separator: "/")
}
