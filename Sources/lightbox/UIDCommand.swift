#if canImport(Glibc)
import Glibc
#endif
import DICOM

/// `lightbox uid`: prints new UIDs.
let uidCommand = Command(
    name: "uid",
    summary: "Print new unique identifiers: 2.25 UIDs from random UUIDs, or under an organisation root.",
    usage: "uid [--root ROOT] [--count N]",
    options: [
        .init(name: "--root", short: "-r", value: "ROOT",
              help: "Organisation root to generate under (default: LIGHTBOX_UID_ROOT, else the 2.25 form)."),
        .init(name: "--count", short: "-n", value: "N", help: "How many UIDs to print (default 1)."),
    ],
    run: runUID)

func runUID(_ args: ParsedArguments) throws -> Int32 {
    let root = args.value("--root") ?? getenv("LIGHTBOX_UID_ROOT").map { String(cString: $0) }
    let count = Int(args.value("--count") ?? "1") ?? -1
    guard count >= 1 && count <= 1_000_000 else { throw UsageError(description: "--count needs a number from 1 to 1000000") }
    let generator: UIDGenerator
    do {
        generator = try UIDGenerator(root: root?.isEmpty == true ? nil : root)
    } catch {
        printError("lightbox uid: \(error)")
        return 1
    }
    for _ in 0..<count { Output.line(generator.make()) }
    Output.flush()
    return 0
}
