import DICOM
import ImageCodecs
import Imaging

/// `lightbox render`: one frame as PNG or JPEG, through the display pipeline of PS3.4 Annex N.
let renderCommand = Command(
    name: "render",
    summary: "Render a frame to PNG or JPEG: Modality LUT, window or VOI LUT, MONOCHROME1 and INVERSE, colour to RGB.",
    usage: "render FILE --out OUT.png|OUT.jpg [--frame N] [--window C,W] [--function F] [--size WxH] [--overlays] [--modality16]",
    options: [
        .init(name: "--out", short: "-o", value: "OUT", help: "Output file; .png or .jpg/.jpeg chooses the format unless --format is given."),
        .init(name: "--format", short: nil, value: "png|jpeg", help: "Output format."),
        .init(name: "--frame", short: "-f", value: "N", help: "The frame to render, from 1 (default 1)."),
        .init(name: "--window", short: "-w", value: "C,W", help: "Window center and width (default: the file's VOI LUT or first window, else the frame's range)."),
        .init(name: "--function", short: nil, value: "F", help: "VOI LUT function: LINEAR, LINEAR_EXACT or SIGMOID (default: the file's, else LINEAR)."),
        .init(name: "--size", short: "-s", value: "WxH", help: "Fit inside W by H pixels, keeping the aspect ratio."),
        .init(name: "--quality", short: "-q", value: "Q", help: "JPEG quality, 1-100 (default 90)."),
        .init(name: "--overlays", short: nil, value: nil, help: "Burn the overlay planes (60xx) in, as white."),
        .init(name: "--repeat", short: nil, value: "N", help: "For benchmarks: read, decode, render and encode N times, printing the mean time."),
        .init(name: "--modality16", short: nil, value: nil,
              help: "A 16-bit grey PNG of the modality values (after rescale) instead; offset by 32768 when they can be negative."),
    ],
    details: "Exit status: 0 on success, 1 when the file cannot be read or rendered (the reason on one line), 2 for a usage error.",
    run: runRender)

func runRender(_ args: ParsedArguments) throws -> Int32 {
    guard args.positional.count == 1 else { throw UsageError(description: "render needs exactly one FILE") }
    guard let out = args.value("--out") else { throw UsageError(description: "render needs --out OUT") }
    let lower = out.lowercased()
    let format = args.value("--format")?.lowercased() ?? (lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") ? "jpeg" : "png")
    guard format == "png" || format == "jpeg" || format == "jpg" else { throw UsageError(description: "--format is png or jpeg") }
    var options = RenderOptions()
    if let f = args.value("--frame") {
        guard let n = Int(f), n >= 1 else { throw UsageError(description: "--frame takes a frame number from 1") }
        options.frame = n - 1
    }
    if let function = args.value("--function") {
        guard let f = VOIFunction(rawValue: function.uppercased()) else {
            throw UsageError(description: "--function is LINEAR, LINEAR_EXACT or SIGMOID")
        }
        options.function = f
    }
    if let w = args.value("--window") {
        let parts = w.split(separator: ",").map { Double($0.filter { $0 != " " }) }
        guard parts.count == 2, let c = parts[0], let width = parts[1], c.isFinite, width.isFinite, width > 0 else {
            throw UsageError(description: "--window takes CENTER,WIDTH with a positive width")
        }
        options.window = Window(center: c, width: width, function: options.function ?? .linear)
    }
    if let s = args.value("--size") {
        let parts = s.lowercased().split(separator: "x").map { Int($0) }
        guard parts.count == 2, let w = parts[0], let h = parts[1], (1...65_535).contains(w), (1...65_535).contains(h) else {
            throw UsageError(description: "--size takes WIDTHxHEIGHT, each 1 to 65535")
        }
        options.size = (w, h)
    }
    var quality = 90
    if let q = args.value("--quality") {
        guard let v = Int(q), (1...100).contains(v) else { throw UsageError(description: "--quality takes 1 to 100") }
        quality = v
    }
    options.overlays = args.has("--overlays")
    var repeats = 1
    if let r = args.value("--repeat") {
        guard let v = Int(r), (1...100_000).contains(v) else { throw UsageError(description: "--repeat takes 1 to 100000") }
        repeats = v
    }
    if args.has("--modality16") && format != "png" { throw UsageError(description: "--modality16 writes PNG") }
    let path = args.positional[0]
    do {
        var bytes: [UInt8] = []
        let start = ContinuousClock.now
        for _ in 0..<repeats {
            let file = try DICOMFile.open(path)
            if args.has("--modality16") {
                bytes = try Renderer.modalityImage(file, frame: options.frame).image.png()
            } else {
                let image = try Renderer.render(file, options: options)
                bytes = format == "png" ? try image.png() : try image.jpeg(quality: quality)
            }
        }
        if repeats > 1 {
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            printError("render: \((ms / Double(repeats) * 1000).rounded() / 1000) ms each over \(repeats)")
        }
        try writeFile(out, bytes)
    } catch let error as UsageError {
        throw error
    } catch {
        printError("lightbox render: \(path): \(error)")
        return 1
    }
    return 0
}
