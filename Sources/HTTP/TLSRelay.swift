#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Synchronization
import Transport

/// Debian's CivetWeb 1.15 cannot use OpenSSL 3 for TLS: it loads libssl at run time and looks for
/// SSL_get_peer_certificate, which OpenSSL 3 turned into a macro (civetweb/civetweb#1334); loading fails, and
/// an HTTPS port crashes on its first connection. So TLS is ours (the Crypto target, as for DICOM): HTTPS
/// connections end here and their bytes are relayed, unchanged, to CivetWeb on a port of the loopback interface,
/// and an https client connects through a relay the other way. CivetWeb still does all the HTTP.
enum TLSRelay {
    /// Moves bytes both ways between a TLS connection and a plain one until either side closes, fails, or
    /// nothing moves for `idle` seconds. One thread: an OpenSSL session must not be used by two at once.
    static func pump(_ tls: TLSConnection, _ plain: TCPConnection, idle: Double) {
        // Non-blocking on the TLS side: a record that is not application data (a TLS 1.3 session ticket) must
        // send us back to poll, not into a read that waits for data the peer will only send once it has ours.
        tls.setNonBlocking()
        let size = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var fds = [pollfd(fd: tls.fileDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: plain.fd, events: Int16(POLLIN), revents: 0)]
        var lastActivity = monotonicNow()
        while true {
            var tlsReadable = tls.hasBufferedInput
            var plainReadable = false
            if !tlsReadable {
                fds[0].revents = 0
                fds[1].revents = 0
                let r = poll(&fds, 2, 1000)
                if r < 0 {
                    if errno == EINTR { continue }
                    return
                }
                if r == 0 {
                    if monotonicNow() - lastActivity > idle { return }
                    continue
                }
                let bad = Int16(POLLERR | POLLNVAL)
                tlsReadable = fds[0].revents & (Int16(POLLIN) | Int16(POLLHUP) | bad) != 0
                plainReadable = fds[1].revents & (Int16(POLLIN) | Int16(POLLHUP) | bad) != 0
            }
            lastActivity = monotonicNow()
            do {
                if tlsReadable, let n = try tls.readAvailable(into: buffer) {
                    if n == 0 { return }
                    try plain.write([UnsafeRawBufferPointer(rebasing: buffer[0..<n])])
                }
                if plainReadable {
                    let n = try plain.read(into: buffer, timeout: idle)
                    if n == 0 { return }
                    try tls.write([UnsafeRawBufferPointer(rebasing: buffer[0..<n])])
                }
            } catch {
                return
            }
        }
    }
}

/// The HTTPS port: accepts TCP connections, runs the TLS handshake (TLS 1.2 or later, our certificate), and
/// relays each to CivetWeb's loopback port on a thread of its own. Remembers which client each relayed
/// connection is for, so that requests still carry the client's address (for logs and audit).
final class TLSFrontEnd: @unchecked Sendable {
    let listener: TCPListener
    let context: TLSContext
    let backendPort: Int
    let maximumConnections: Int
    let handshakeTimeout: Double
    let idleTimeout: Double
    private let stopping = Atomic<Bool>(false)
    private let running = Atomic<Int>(0)
    /// Our local port toward CivetWeb, to the client's address.
    private let clients = Mutex<[Int: String]>([:])
    private let acceptLoopDone = Atomic<Bool>(false)

    var port: Int { listener.port }

    init(host: String, port: Int, tls: TLSConfiguration, backendPort: Int, maximumConnections: Int,
         handshakeTimeout: Double, idleTimeout: Double) throws(HTTPServerError) {
        do {
            context = try TLSContext(server: true, configuration: tls)
        } catch {
            throw HTTPServerError(description: "HTTPS: \(error)")
        }
        do {
            listener = try TCPListener(host: host, port: port)
        } catch {
            throw HTTPServerError(description: "cannot listen for HTTPS on \(host):\(port): \(error)")
        }
        self.backendPort = backendPort
        self.maximumConnections = maximumConnections
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        startThread(name: "https-accept") { [self] in acceptLoop() }
    }

    func clientAddress(relayPort: Int) -> String? { clients.withLock { $0[relayPort] } }

    private func acceptLoop() {
        defer { acceptLoopDone.store(true, ordering: .sequentiallyConsistent) }
        while !stopping.load(ordering: .relaxed) {
            guard let tcp = try? listener.accept(timeout: 0.2) else { continue }
            guard running.load(ordering: .relaxed) < maximumConnections else {
                tcp.close()
                continue
            }
            running.add(1, ordering: .relaxed)
            startThread(name: "https-relay") { [self] in
                defer { running.subtract(1, ordering: .relaxed) }
                relay(tcp)
            }
        }
    }

    private func relay(_ tcp: TCPConnection) {
        let client = tcp.remoteAddress
        let tls: TLSConnection
        do { tls = try context.secure(tcp, handshakeTimeout: handshakeTimeout) } catch {
            tcp.close()
            return
        }
        defer { tls.close() }
        let backend: TCPConnection
        do { backend = try TCPConnection.connect(host: "127.0.0.1", port: backendPort, timeout: 5) } catch { return }
        let local = backend.localPort
        clients.withLock { $0[local] = client }
        defer {
            clients.withLock { _ = $0.removeValue(forKey: local) }
            backend.close()
        }
        TLSRelay.pump(tls, backend, idle: idleTimeout)
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        while !acceptLoopDone.load(ordering: .sequentiallyConsistent) { usleep(10_000) }
        listener.close()
        // Relays end as CivetWeb, stopped next, closes their connections.
    }
}

/// An https request through CivetWeb's plain client: a one-connection relay on the loopback interface, with our
/// TLS (and the server's certificate checked against the CA file and the host name) toward the server.
final class TLSClientRelay: @unchecked Sendable {
    let listener: TCPListener
    private let done = Atomic<Bool>(false)
    private let failure = Mutex<String?>(nil)

    var port: Int { listener.port }

    init(host: String, port: Int, caFile: String, timeout: Double) throws(HTTPClientError) {
        let context: TLSContext
        do {
            context = try TLSContext(server: false, configuration: TLSConfiguration(caFile: caFile, verifyPeer: true))
        } catch {
            throw HTTPClientError("TLS toward \(host): \(error)")
        }
        do { listener = try TCPListener(host: "127.0.0.1", port: 0, backlog: 1) } catch {
            throw HTTPClientError("cannot open a local relay: \(error)")
        }
        // The server first: a certificate that does not check out is an error before anything is sent.
        let remote: TLSConnection
        do {
            let tcp = try TCPConnection.connect(host: host, port: port, timeout: min(timeout, 30))
            do { remote = try context.secure(tcp, hostname: host, handshakeTimeout: min(timeout, 30)) } catch {
                tcp.close()
                throw error
            }
        } catch {
            listener.close()
            throw HTTPClientError("cannot connect to \(host):\(port) over TLS: \(error)")
        }
        let listener = self.listener
        startThread(name: "https-client-relay") { [self] in
            defer {
                remote.close()
                listener.close()
                done.store(true, ordering: .sequentiallyConsistent)
            }
            guard let local = try? listener.accept(timeout: 10) else { return }
            defer { local.close() }
            TLSRelay.pump(remote, local, idle: timeout)
        }
    }

    /// Waits for the relay's thread (after the client closed its end).
    func finish() {
        let deadline = monotonicNow() + 5
        while !done.load(ordering: .sequentiallyConsistent) && monotonicNow() < deadline { usleep(1_000) }
    }
}
