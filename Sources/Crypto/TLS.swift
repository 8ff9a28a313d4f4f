#if canImport(Glibc)
import Glibc
#endif
import COpenSSL
import Transport

/// TLS settings for one side of a connection, as DICOM's secure transport profile wants them (PS3.15 B.12):
/// TLS 1.2 or later only, certificates from PEM files, the peer verified against a CA list.
public struct TLSConfiguration: Sendable {
    public var certificateFile: String?
    public var privateKeyFile: String?
    /// CA certificates (PEM) the peer's certificate must chain to; nil uses the system's.
    public var caFile: String?
    /// Verify the peer's certificate (client: the server's, always advisable; server: a client certificate).
    public var verifyPeer: Bool
    /// Server side: refuse clients without a certificate.
    public var requirePeerCertificate: Bool

    public init(certificateFile: String? = nil, privateKeyFile: String? = nil, caFile: String? = nil,
                verifyPeer: Bool = true, requirePeerCertificate: Bool = false) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.caFile = caFile
        self.verifyPeer = verifyPeer
        self.requirePeerCertificate = requirePeerCertificate
    }
}

public struct TLSError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ what: String) { description = what + TLSError.openSSLErrors() }

    /// The reasons OpenSSL queued, most recent last.
    static func openSSLErrors() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")
    }
}

/// An OpenSSL context (SSL_CTX) for servers or clients, shared by their connections.
public final class TLSContext: @unchecked Sendable {
    let ctx: OpaquePointer
    public let isServer: Bool

    public init(server: Bool, configuration: TLSConfiguration) throws(TLSError) {
        guard let ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw TLSError("cannot create a TLS context")
        }
        self.ctx = ctx
        isServer = server
        // A throw from here on runs deinit, which frees the context.
        try Self.configure(ctx, server: server, configuration: configuration)
    }

    /// Our TLS settings on an SSL_CTX, ours or one another library made (CivetWeb's, for HTTPS): TLS 1.2 or
    /// later, the certificate chain and key, the CA list, and whether the peer is verified.
    public static func configure(_ ctx: OpaquePointer, server: Bool, configuration: TLSConfiguration) throws(TLSError) {
        // TLS 1.0 and 1.1 are refused (PS3.15 B.12 asks for 1.2 or later).
        guard SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1 else {
            throw TLSError("cannot set the minimum TLS version")
        }
        if let cert = configuration.certificateFile {
            guard SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 else { throw TLSError("cannot load the certificate \(cert)") }
        }
        if let key = configuration.privateKeyFile {
            guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else { throw TLSError("cannot load the key \(key)") }
            guard SSL_CTX_check_private_key(ctx) == 1 else { throw TLSError("the key does not match the certificate") }
        }
        if server && configuration.certificateFile == nil {
            throw TLSError("a TLS server needs a certificate and a key")
        }
        if let ca = configuration.caFile {
            guard SSL_CTX_load_verify_locations(ctx, ca, nil) == 1 else { throw TLSError("cannot load the CA certificates \(ca)") }
        } else {
            SSL_CTX_set_default_verify_paths(ctx)
        }
        var mode: Int32 = SSL_VERIFY_NONE
        if configuration.verifyPeer {
            mode = SSL_VERIFY_PEER
            if server && configuration.requirePeerCertificate { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
        }
        SSL_CTX_set_verify(ctx, mode, nil)
    }

    deinit { SSL_CTX_free(ctx) }

    /// Runs the TLS handshake over an established TCP connection and returns the secured connection.
    /// `hostname`, on the client side, is checked against the server's certificate and sent as SNI.
    public func secure(_ tcp: TCPConnection, hostname: String? = nil, handshakeTimeout: Double = 30) throws(TLSError) -> TLSConnection {
        guard let ssl = SSL_new(ctx) else { throw TLSError("cannot create a TLS session") }
        SSL_set_fd(ssl, tcp.fd)
        if !isServer, let hostname {
            _ = hostname.withCString { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
            if SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_NONE {
                SSL_set1_host(ssl, hostname)
            }
        }
        // The handshake runs on a non-blocking socket against a deadline: a peer that sends its hello one byte a
        // second cannot hold the connection (a receive timeout would restart with each byte).
        let flags = fcntl(tcp.fd, F_GETFL)
        _ = fcntl(tcp.fd, F_SETFL, flags | O_NONBLOCK)
        let deadline = monotonicNow() + handshakeTimeout
        var rc: Int32 = 0
        while true {
            rc = isServer ? SSL_accept(ssl) : SSL_connect(ssl)
            if rc == 1 { break }
            let error = SSL_get_error(ssl, rc)
            let left = deadline - monotonicNow()
            guard left > 0, error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE,
                  (try? waitFor(tcp.fd, events: Int16(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), timeout: left)) == true
            else { break }
        }
        _ = fcntl(tcp.fd, F_SETFL, flags)
        guard rc == 1 else {
            let verify = SSL_get_verify_result(ssl)
            SSL_free(ssl)
            var why = "handshake failed"
            if verify != X509_V_OK {
                why += " (certificate: " + String(cString: X509_verify_cert_error_string(verify)) + ")"
            }
            throw TLSError(why)
        }
        return TLSConnection(ssl: ssl, tcp: tcp)
    }

}

/// A TLS-secured connection: the same blocking read/write with timeouts as TCPConnection, through OpenSSL.
public final class TLSConnection: Connection, @unchecked Sendable {
    let ssl: OpaquePointer
    let tcp: TCPConnection
    private var isClosed = false

    init(ssl: OpaquePointer, tcp: TCPConnection) {
        self.ssl = ssl
        self.tcp = tcp
    }

    deinit { close() }

    public var remoteAddress: String { tcp.remoteAddress }
    public var remotePort: Int { tcp.remotePort }

    /// The socket under the TLS session (for polling it beside others).
    public var fileDescriptor: Int32 { tcp.fd }

    /// Decrypted bytes buffered inside OpenSSL, which a poll of the socket does not show.
    public var hasBufferedInput: Bool { SSL_pending(ssl) > 0 }

    /// The negotiated protocol ("TLSv1.3", say).
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The subject of the peer's certificate, when it presented one.
    public var peerSubject: String? {
        guard let cert = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(cert) }
        guard let name = X509_get_subject_name(cert), let text = X509_NAME_oneline(name, nil, 0) else { return nil }
        defer { CRYPTO_free(text, #file, #line) }
        return String(cString: text)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Double?) throws(NetworkError) -> Int {
        guard !isClosed else { throw .closed }
        while true {
            // Decrypted bytes already buffered inside OpenSSL do not show on the socket.
            if SSL_pending(ssl) == 0, let timeout {
                guard try waitFor(tcp.fd, events: Int16(POLLIN), timeout: timeout) else { throw .timedOut("waiting for the peer") }
            }
            let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
            if n > 0 { return Int(n) }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_ZERO_RETURN: return 0
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: continue  // TLS 1.3 session tickets and the like
            case SSL_ERROR_SYSCALL:
                if errno == EINTR { continue }
                return 0
            default:
                throw .tls("read failed" + TLSError.openSSLErrors())
            }
        }
    }

    /// Puts the socket in non-blocking mode, for `readAvailable` (a relay polling several sockets at once).
    public func setNonBlocking() {
        let flags = fcntl(tcp.fd, F_GETFL)
        _ = fcntl(tcp.fd, F_SETFL, flags | O_NONBLOCK)
    }

    /// On a non-blocking socket: the bytes available now (more than 0), 0 when the peer has closed, nil when no
    /// application data is there yet (OpenSSL may have read a record of another kind, such as a TLS 1.3 session
    /// ticket, which on a blocking socket would make SSL_read wait for more).
    public func readAvailable(into buffer: UnsafeMutableRawBufferPointer) throws(NetworkError) -> Int? {
        guard !isClosed else { throw .closed }
        while true {
            let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
            if n > 0 { return Int(n) }
            switch SSL_get_error(ssl, n) {
            case SSL_ERROR_ZERO_RETURN: return 0
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return nil
            case SSL_ERROR_SYSCALL:
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
                return 0
            default:
                throw .tls("read failed" + TLSError.openSSLErrors())
            }
        }
    }

    public func write(_ buffers: [UnsafeRawBufferPointer]) throws(NetworkError) {
        guard !isClosed else { throw .closed }
        for b in buffers where b.count > 0 {
            var done = 0
            while done < b.count {
                let n = SSL_write(ssl, b.baseAddress! + done, Int32(min(b.count - done, Int(Int32.max))))
                if n > 0 {
                    done += Int(n)
                    continue
                }
                switch SSL_get_error(ssl, n) {
                case let e where e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE:
                    // Only on a non-blocking socket: wait until it can go on (a minute at most, as a blocked
                    // write on a blocking socket would).
                    guard (try? waitFor(tcp.fd, events: Int16(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), timeout: 60)) == true else {
                        throw .timedOut("writing to the peer")
                    }
                case SSL_ERROR_SYSCALL:
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK {
                        guard (try? waitFor(tcp.fd, events: Int16(POLLOUT), timeout: 60)) == true else { throw .timedOut("writing to the peer") }
                        continue
                    }
                    throw .closed
                default:
                    throw .tls("write failed" + TLSError.openSSLErrors())
                }
            }
        }
    }

    public func hasPendingInput() -> Bool {
        SSL_pending(ssl) > 0 || tcp.hasPendingInput()
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        SSL_shutdown(ssl)
        SSL_free(ssl)
        tcp.close()
    }
}
