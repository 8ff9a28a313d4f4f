import ImageCodecs
#if canImport(Glibc)
import Glibc
#endif
import DICOM
import DICOMNetwork
import Synchronization

/// `lightbox send`: C-STORE of files and folders, like DCMTK's storescu and dcmsend.
let sendCommand = Command(
    name: "send",
    summary: "Send DICOM files and folders with C-STORE (like storescu/dcmsend), over one or several associations.",
    usage: "send [options] --aec AET HOST PORT PATH...",
    options: NetworkOptions.client + [
        .init(name: "--associations", short: "-j", value: "N", help: "Associations in parallel (default 1)."),
        .init(name: "--quiet", short: "-q", value: nil, help: "Print only failures and the summary."),
    ],
    details: """
    Presentation contexts are proposed from the files: each file's SOP class in its own transfer syntax, so that it
    goes byte for byte, and in explicit and implicit VR little endian as a fallback. One line per file: OK, WARNING
    or FAILED with the status; then a summary. Files that are not DICOM are skipped. Exit status: 0 when every
    DICOM file was stored, 1 otherwise.
    """,
    run: runSend)

struct SendItem: Sendable {
    let path: String
    let sopClass: String
    let transferSyntax: String
}

func runSend(_ args: ParsedArguments) throws -> Int32 {
    let (host, port, paths) = try NetworkOptions.endpoint(args, command: "send")
    guard !paths.isEmpty else { throw UsageError(description: "send needs at least one PATH") }
    let parallel = Int(args.value("--associations") ?? "1") ?? 0
    guard parallel >= 1 && parallel <= 64 else { throw UsageError(description: "--associations needs 1 to 64") }
    _ = try NetworkOptions.aeTitle(args, "--aec", default: "ANY-SCP")
    _ = try NetworkOptions.timeouts(args)

    // Plan from the headers only.
    var items: [SendItem] = []
    var skipped = 0, unreadable = 0
    for root in paths {
        try forEachFile(root) { path in
            do {
                let file = try DICOMFile.open(path, options: .headerOnly)
                guard let sopClass = file.dataSet.string(.sopClassUID) ?? file.fileMetaInformation.string(.mediaStorageSOPClassUID) else {
                    Output.line("FAILED \(path): no SOP Class UID")
                    unreadable += 1
                    return
                }
                items.append(SendItem(path: path, sopClass: sopClass, transferSyntax: file.transferSyntax.uid))
            } catch let e as DICOMParseError {
                if case .notDICOM = e.reason {
                    skipped += 1
                    if !args.has("--quiet") { Output.line("SKIPPED \(path): not DICOM") }
                } else {
                    unreadable += 1
                    Output.line("FAILED \(path): \(e)")
                }
            } catch {
                unreadable += 1
                Output.line("FAILED \(path): \(error)")
            }
        }
    }
    Output.flush()

    let report = Locked(SendReport())
    let workers = min(parallel, max(items.count, 1))
    let started = monotonicNow()
    let done = Locked(0)
    for w in 0..<workers {
        let share = stride(from: w, to: items.count, by: workers).map { items[$0] }
        startThread(name: "send-\(w)") {
            sendBatch(share, args: args, host: host, port: port, report: report)
            done.withLock { $0 += 1 }
        }
    }
    while done.value < workers { usleep(2_000) }
    let elapsed = monotonicNow() - started
    let r = report.value
    let failed = r.failed + unreadable
    Output.line("\(r.stored) stored (\(r.warnings) with warnings), \(failed) failed, \(skipped) skipped"
                + " in \(format1(elapsed)) s (\(format1(Double(r.stored) / max(elapsed, 0.001))) instances/s)")
    Output.flush()
    return failed == 0 ? 0 : 1
}

struct SendReport: Sendable {
    var stored = 0
    var warnings = 0
    var failed = 0
}

func format1(_ v: Double) -> String {
    let tenths = Int((v * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}

/// Sends a share of the files, opening as many associations as their presentation contexts need (128 at most
/// each). When an association fails, the file being sent fails and the rest go on a new association.
func sendBatch(_ items: [SendItem], args: ParsedArguments, host: String, port: Int, report: Locked<SendReport>) {
    var queue = items[...]
    while !queue.isEmpty {
        // Take files until the contexts they need would pass 128.
        var contexts: [PresentationContextRQ] = []
        var keys: Set<String> = []
        var batch: [SendItem] = []
        for item in queue {
            var needed: [(String, [String])] = []
            if !keys.contains(item.sopClass + "|" + item.transferSyntax) { needed.append((item.sopClass, [item.transferSyntax])) }
            if !keys.contains(item.sopClass + "|native") { needed.append((item.sopClass, nativeSyntaxes)) }
            if contexts.count + needed.count > 128 { break }
            for (sopClass, syntaxes) in needed {
                contexts.append(PresentationContextRQ(id: UInt8(2 * contexts.count + 1), abstractSyntax: sopClass, transferSyntaxes: syntaxes))
            }
            keys.insert(item.sopClass + "|" + item.transferSyntax)
            keys.insert(item.sopClass + "|native")
            batch.append(item)
        }
        let association: Association
        do {
            association = try NetworkOptions.associate(args, host: host, port: port, contexts: contexts)
        } catch {
            let message = "\(error)"
            report.withLock { $0.failed += batch.count }
            reportLines(batch.map { "FAILED \($0.path): \(message)" })
            queue = queue.dropFirst(batch.count)
            continue
        }
        var lines: [String] = []
        var done = 0
        var alive = true
        for item in batch {
            done += 1
            do {
                let file = try DICOMFile.open(item.path)
                let response = try association.store(file, converter: { file, syntax in try file.transcodingPixels(to: syntax) })
                let status = response.status ?? .processingFailure
                switch status.category {
                case .success:
                    report.withLock { $0.stored += 1 }
                    if !args.has("--quiet") { lines.append("OK \(item.path)") }
                case .warning:
                    report.withLock { $0.stored += 1; $0.warnings += 1 }
                    lines.append("WARNING \(status) \(item.path)" + (response.errorComment.map { ": \($0)" } ?? ""))
                default:
                    report.withLock { $0.failed += 1 }
                    lines.append("FAILED \(status) \(item.path)" + (response.errorComment.map { ": \($0)" } ?? ""))
                }
            } catch let e as AssociationError {
                report.withLock { $0.failed += 1 }
                lines.append("FAILED \(item.path): \(e)")
                alive = false
                break
            } catch {
                report.withLock { $0.failed += 1 }
                lines.append("FAILED \(item.path): \(error)")
            }
            if lines.count >= 64 {
                reportLines(lines)
                lines.removeAll()
            }
        }
        reportLines(lines)
        queue = queue.dropFirst(done)
        if alive {
            do { try association.release() } catch {
                if args.has("--verbose") { printError("release: \(error)") }
            }
        }
    }
}

let outputLock = Mutex(())

func reportLines(_ lines: [String]) {
    guard !lines.isEmpty else { return }
    outputLock.withLock { _ in
        for l in lines { Output.line(l) }
        Output.flush()
    }
}
