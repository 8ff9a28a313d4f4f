import DICOM
import DemoData

/// `lightbox demo-data`: writes the demo studies (a head phantom CT with a prior, an MR series, a two-view CR).
let demoCommand = Command(
    name: "demo-data",
    summary: "Write the demo studies: a 3D Shepp-Logan head CT with a prior, an MR series and a two-view CR, two patients.",
    usage: "demo-data --out DIR [--ct-slices N]",
    options: [
        .init(name: "--out", short: "-o", value: "DIR", help: "Folder to write into (created if missing)."),
        .init(name: "--ct-slices", short: nil, value: "N", help: "Slices of the current CT (default 300, 0.8 mm apart)."),
        .init(name: "--quiet", short: "-q", value: nil, help: "Print nothing but errors."),
    ],
    run: runDemo)

func runDemo(_ args: ParsedArguments) throws -> Int32 {
    guard let out = args.value("--out") else { throw UsageError(description: "demo-data needs --out DIR") }
    var demo = DemoStudies()
    if let n = args.value("--ct-slices") {
        guard let v = Int(n), v > 0, v <= 5000 else { throw UsageError(description: "--ct-slices needs a number from 1 to 5000") }
        demo.ctSlices = v
    }
    var count = 0
    try demo.generate { relative, file in
        let path = out + "/" + relative
        try makeDirectories(parentOf: path)
        try writeFile(path, try file.encodedData())
        count += 1
        if !args.has("--quiet") && (count % 50 == 0 || count == demo.fileCount) {
            printError("demo-data: \(count)/\(demo.fileCount) files")
        }
    }
    if !args.has("--quiet") { Output.line("wrote \(count) files to \(out)") }
    Output.flush()
    return 0
}
