import DICOM
import DICOMNetwork
import Crypto

/// DICOM TLS for the network commands (PS3.15 B.12: TLS 1.2 or later).
enum TLSOptions {
    static func configuration(_ args: ParsedArguments) -> TLSConfiguration {
        TLSConfiguration(certificateFile: args.value("--tls-cert"), privateKeyFile: args.value("--tls-key"),
                         caFile: args.value("--tls-ca"), verifyPeer: !args.has("--tls-no-verify"),
                         requirePeerCertificate: args.has("--tls-require-client-cert"))
    }

    static func clientWrapper(_ args: ParsedArguments, host: String) throws -> ((TCPConnection) throws -> Connection)? {
        guard args.has("--tls") else { return nil }
        let context = try TLSContext(server: false, configuration: configuration(args))
        return { tcp in try context.secure(tcp, hostname: host) }
    }

    static func serverWrapper(_ args: ParsedArguments) throws -> (@Sendable (TCPConnection) throws -> Connection)? {
        guard args.has("--tls") else { return nil }
        guard args.value("--tls-cert") != nil, args.value("--tls-key") != nil else {
            throw UsageError(description: "--tls needs --tls-cert and --tls-key on a server")
        }
        var config = configuration(args)
        // A server verifies client certificates only when asked to require them.
        config.verifyPeer = args.has("--tls-require-client-cert")
        let context = try TLSContext(server: true, configuration: config)
        return { tcp in try context.secure(tcp) }
    }
}
