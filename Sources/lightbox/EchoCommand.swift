import DICOM
import DICOMNetwork

/// `lightbox echo`: C-ECHO, like DCMTK's echoscu.
let echoCommand = Command(
    name: "echo",
    summary: "Verify a DICOM peer with C-ECHO (like echoscu).",
    usage: "echo [options] --aec AET HOST PORT",
    options: NetworkOptions.client + [
        .init(name: "--repeat", short: "-r", value: "N", help: "Send N C-ECHO requests on the association (default 1)."),
    ],
    details: "Exit status: 0 when the peer answered with success, 1 otherwise (the reason on one line).",
    run: runEcho)

func runEcho(_ args: ParsedArguments) throws -> Int32 {
    let (host, port, rest) = try NetworkOptions.endpoint(args, command: "echo")
    guard rest.isEmpty else { throw UsageError(description: "echo takes only HOST and PORT") }
    let count = Int(args.value("--repeat") ?? "1") ?? 0
    guard count >= 1 else { throw UsageError(description: "--repeat needs a positive number") }
    do {
        let association = try NetworkOptions.associate(args, host: host, port: port, contexts: [
            PresentationContextRQ(id: 1, abstractSyntax: QueryRetrieveModel.verification, transferSyntaxes: nativeSyntaxes),
        ])
        for _ in 0..<count {
            let status = try association.echo()
            guard status.isSuccess else {
                association.abort()
                printError("lightbox echo: \(host):\(port) answered C-ECHO with status \(status)")
                return 1
            }
            if args.has("--verbose") { printError("C-ECHO: success") }
        }
        try association.release()
    } catch {
        printError("lightbox echo: \(host):\(port): \(error)")
        return 1
    }
    return 0
}
