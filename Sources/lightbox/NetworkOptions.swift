#if canImport(Glibc)
import Glibc
#endif
import DICOM
import DICOMNetwork

/// Options every network command shares, following DCMTK's tools (`--aet`, `--aec`, `-v`, HOST PORT).
enum NetworkOptions {
    static let client: [Command.Option] = [
        .init(name: "--aet", short: "-aet", value: "AET", help: "Our (calling) AE title (default LIGHTBOX)."),
        .init(name: "--aec", short: "-aec", value: "AET", help: "The called AE title (default ANY-SCP)."),
        .init(name: "--timeout", short: "-to", value: "SECONDS", help: "Connection and response timeout (default 30)."),
        .init(name: "--max-pdu", short: "-pdu", value: "BYTES", help: "Largest PDU we receive (default 262144)."),
        .init(name: "--username", short: nil, value: "NAME", help: "User identity to send (PS3.7 D.3.3.7)."),
        .init(name: "--password", short: nil, value: "PASSWORD", help: "Passcode for --username."),
        .init(name: "--verbose", short: "-v", value: nil, help: "Print what happens on the association."),
    ] + tls

    static let tls: [Command.Option] = [
        .init(name: "--tls", short: nil, value: nil, help: "Use DICOM TLS (TLS 1.2 or later)."),
        .init(name: "--tls-ca", short: nil, value: "FILE", help: "CA certificates (PEM) to verify the peer with."),
        .init(name: "--tls-cert", short: nil, value: "FILE", help: "Our certificate (PEM)."),
        .init(name: "--tls-key", short: nil, value: "FILE", help: "Our private key (PEM)."),
        .init(name: "--tls-no-verify", short: nil, value: nil, help: "Do not verify the peer's certificate (testing only)."),
    ]

    /// HOST and PORT from the positional arguments.
    static func endpoint(_ args: ParsedArguments, command: String) throws -> (host: String, port: Int, rest: [String]) {
        guard args.positional.count >= 2 else { throw UsageError(description: "\(command) needs HOST and PORT") }
        guard let port = Int(args.positional[1]), (1...65535).contains(port) else {
            throw UsageError(description: "invalid port \(args.positional[1])")
        }
        return (args.positional[0], port, Array(args.positional.dropFirst(2)))
    }

    static func timeouts(_ args: ParsedArguments) throws -> AssociationTimeouts {
        var t = AssociationTimeouts()
        if let v = args.value("--timeout") {
            guard let seconds = Double(v), seconds > 0 else { throw UsageError(description: "--timeout needs seconds") }
            t.connect = seconds
            t.artim = seconds
            t.pdu = max(seconds, 10)
        }
        return t
    }

    static func maximumPDU(_ args: ParsedArguments) throws -> Int {
        guard let v = args.value("--max-pdu") else { return 256 * 1024 }
        guard let n = Int(v), n >= 4096, n <= 1 << 26 else { throw UsageError(description: "--max-pdu needs 4096 to 67108864 bytes") }
        return n
    }

    static func aeTitle(_ args: ParsedArguments, _ name: String, default value: String) throws -> String {
        let ae = args.value(name) ?? value
        guard !ae.isEmpty, ae.utf8.count <= 16, !ae.contains("\\") else {
            throw UsageError(description: "\(name) needs an AE title of 1 to 16 characters")
        }
        return ae
    }

    /// Opens an association with the given presentation contexts.
    static func associate(_ args: ParsedArguments, host: String, port: Int,
                          contexts: [PresentationContextRQ], roles: [RoleSelection] = [],
                          extended: [SOPClassExtendedNegotiation] = []) throws -> Association {
        var user = UserInformation()
        user.roleSelections = roles
        user.extendedNegotiations = extended
        if let name = args.value("--username") {
            user.userIdentity = .username(name, passcode: args.value("--password"))
        }
        var rq = AAssociateRQ(calledAETitle: try aeTitle(args, "--aec", default: "ANY-SCP"),
                              callingAETitle: try aeTitle(args, "--aet", default: "LIGHTBOX"),
                              presentationContexts: contexts, userInformation: user)
        rq.userInformation.maximumLength = UInt32(try maximumPDU(args))
        let wrap = try TLSOptions.clientWrapper(args, host: host)
        let association = try Association.request(host: host, port: port, request: rq, maximumPDULength: try maximumPDU(args),
                                                  timeouts: try timeouts(args), wrap: wrap)
        if args.has("--verbose") {
            printError("association with \(rq.calledAETitle) at \(host):\(port): \(association.acceptedContexts.count) of \(contexts.count) contexts accepted, max PDU \(association.peerMaximumLength)")
        }
        return association
    }

    /// A logger printing to standard error when verbose.
    static func logger(verbose: Bool) -> NetworkLogger {
        { level, message in
            if verbose || level >= .warning { printError("\(level): \(message)") }
        }
    }
}

/// Native transfer syntaxes proposed when nothing else is known.
let nativeSyntaxes = [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]

/// Blocks SIGINT and SIGTERM in every thread, and returns a function that waits for one of them: the server's
/// graceful shutdown, without a signal handler running at an unsafe moment.
func blockTerminationSignals() -> () -> Int32 {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &set, nil)
    return {
        var signal: Int32 = 0
        var s = set
        sigwait(&s, &signal)
        return signal
    }
}
