import DICOM
import DICOMNetwork

/// TLS options of the network commands (filled in with the TLS target).
enum TLSOptions {
    static func clientWrapper(_ args: ParsedArguments, host: String) throws -> ((TCPConnection) throws -> Connection)? {
        if args.has("--tls") { throw UsageError(description: "--tls is not available in this build yet") }
        return nil
    }
}

extension TLSOptions {
    static func serverWrapper(_ args: ParsedArguments) throws -> (@Sendable (TCPConnection) throws -> Connection)? {
        if args.has("--tls") { throw UsageError(description: "--tls is not available in this build yet") }
        return nil
    }
}
