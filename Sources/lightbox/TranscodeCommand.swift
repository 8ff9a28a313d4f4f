import DICOM
import ImageCodecs

/// `lightbox transcode`: writes a file in another transfer syntax.
let transcodeCommand = Command(
    name: "transcode",
    summary: "Write a DICOM file in another transfer syntax (native ones and deflate; compressed ones come with the codecs).",
    usage: "transcode FILE --to UID --out OUT",
    options: [
        .init(name: "--to", short: "-t", value: "UID", help: "Target transfer syntax UID (or keyword, e.g. ExplicitVRLittleEndian)."),
        .init(name: "--out", short: "-o", value: "OUT", help: "Output file."),
    ],
    run: runTranscode)

func runTranscode(_ args: ParsedArguments) throws -> Int32 {
    guard args.positional.count == 1 else { throw UsageError(description: "transcode needs exactly one FILE") }
    guard let to = args.value("--to") else { throw UsageError(description: "transcode needs --to UID") }
    guard let out = args.value("--out") else { throw UsageError(description: "transcode needs --out OUT") }
    let uid = UIDRegistry.entry(keyword: to)?.uid ?? to
    let path = args.positional[0]
    do {
        let file = try DICOMFile.open(path)
        // A transfer syntax the registry does not know can only be the file's own (written back unchanged).
        guard let syntax = TransferSyntax.from(uid: uid) ?? (uid == file.transferSyntax.uid ? file.transferSyntax : nil) else {
            printError("lightbox transcode: unknown transfer syntax \(to)")
            return 1
        }
        // Pixel data changes form when the file goes into or out of an encapsulated syntax (RLE so far).
        let bytes = try file.transcodingPixels(to: syntax).encodedData(transferSyntax: syntax)
        try writeFile(out, bytes)
    } catch {
        printError("lightbox transcode: \(path): \(error)")
        return 1
    }
    return 0
}
