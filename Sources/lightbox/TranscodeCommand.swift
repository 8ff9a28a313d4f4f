import DICOM
import ImageCodecs

/// `lightbox transcode`: writes a file in another transfer syntax.
let transcodeCommand = Command(
    name: "transcode",
    summary: "Write a DICOM file in another transfer syntax: decodes every readable syntax, encodes RLE, JPEG Lossless SV1, JPEG-LS, JPEG 2000, JPEG Baseline and Deflated Image Frame.",
    usage: "transcode FILE --to UID --out OUT [--quality Q] [--ratio R] [--near N]",
    options: [
        .init(name: "--quality", short: nil, value: "Q", help: "JPEG Baseline quality, 1-100 (default 90)."),
        .init(name: "--ratio", short: nil, value: "R", help: "JPEG 2000 lossy compression ratio (default 10)."),
        .init(name: "--near", short: nil, value: "N", help: "JPEG-LS near-lossless maximum error (default 2)."),
        .init(name: "--repeat", short: nil, value: "N", help: "For benchmarks: convert the pixel data N times in memory, printing the mean time."),
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
    var options = FrameEncoder.Options()
    if let q = args.value("--quality") {
        guard let v = Int(q), (1...100).contains(v) else { throw UsageError(description: "--quality takes 1 to 100") }
        options.jpegQuality = v
    }
    if let r = args.value("--ratio") {
        guard let v = Float(r), v >= 1, v <= 1000 else { throw UsageError(description: "--ratio takes 1 to 1000") }
        options.jpeg2000Ratio = v
    }
    if let n = args.value("--near") {
        guard let v = Int(n), (1...255).contains(v) else { throw UsageError(description: "--near takes 1 to 255") }
        options.nearLossless = v
    }
    do {
        let file = try DICOMFile.open(path)
        // A transfer syntax the registry does not know can only be the file's own (written back unchanged).
        guard let syntax = TransferSyntax.from(uid: uid) ?? (uid == file.transferSyntax.uid ? file.transferSyntax : nil) else {
            printError("lightbox transcode: unknown transfer syntax \(to)")
            return 1
        }
        if let r = args.value("--repeat") {
            guard let n = Int(r), (1...100_000).contains(n) else { throw UsageError(description: "--repeat takes 1 to 100000") }
            let start = ContinuousClock.now
            for _ in 0..<n { _ = try file.transcodingPixels(to: syntax, options: options) }
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            printError("transcode: \((ms / Double(n) * 1000).rounded() / 1000) ms each over \(n)")
        }
        // Pixel data changes form when the file goes into or out of an encapsulated syntax.
        let bytes = try file.transcodingPixels(to: syntax, options: options).encodedData(transferSyntax: syntax)
        try writeFile(out, bytes)
    } catch {
        printError("lightbox transcode: \(path): \(error)")
        return 1
    }
    return 0
}
