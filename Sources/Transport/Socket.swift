#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of the transport (TCP or TLS).
public enum NetworkError: Error, Equatable, CustomStringConvertible {
    case resolveFailed(host: String, reason: String)
    case connectFailed(host: String, port: Int, reason: String)
    case listenFailed(port: Int, reason: String)
    case timedOut(String)
    case closed
    case io(String)
    case tls(String)

    public var description: String {
        switch self {
        case .resolveFailed(let host, let reason): return "cannot resolve \(host): \(reason)"
        case .connectFailed(let host, let port, let reason): return "cannot connect to \(host):\(port): \(reason)"
        case .listenFailed(let port, let reason): return "cannot listen on port \(port): \(reason)"
        case .timedOut(let what): return "timed out \(what)"
        case .closed: return "connection closed by the peer"
        case .io(let reason): return "network error: \(reason)"
        case .tls(let reason): return "TLS: \(reason)"
        }
    }
}

/// A byte stream to a peer: plain TCP, or TLS over it. Used by one thread at a time.
public protocol Connection: AnyObject, Sendable {
    /// Reads at most `buffer.count` bytes, waiting at most `timeout` seconds (nil: forever); 0 means closed.
    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Double?) throws(NetworkError) -> Int
    /// Writes every byte of each buffer, in order.
    func write(_ buffers: [UnsafeRawBufferPointer]) throws(NetworkError)
    /// Whether bytes are waiting to be read (without blocking), for noticing a C-CANCEL between responses.
    func hasPendingInput() -> Bool
    func close()
    var remoteAddress: String { get }
    var remotePort: Int { get }
}

func errnoString() -> String { String(cString: strerror(errno)) }

/// Waits until `fd` is readable (or writable); false on timeout.
public func waitFor(_ fd: Int32, events: Int16, timeout: Double?) throws(NetworkError) -> Bool {
    var p = pollfd(fd: fd, events: events, revents: 0)
    while true {
        let ms = timeout.map { Int32(max(0, min($0 * 1000, Double(Int32.max)))) } ?? -1
        let r = poll(&p, 1, ms)
        if r > 0 { return true }
        if r == 0 { return false }
        if errno == EINTR { continue }
        throw .io("poll: \(errnoString())")
    }
}

/// A TCP connection on a blocking socket, with Nagle's algorithm off: DIMSE is request/response, and with Nagle
/// each round trip would stall about 40 ms.
public final class TCPConnection: Connection, @unchecked Sendable {
    public let fd: Int32
    public let remoteAddress: String
    public let remotePort: Int
    private var isClosed = false

    init(fd: Int32, remoteAddress: String, remotePort: Int) {
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // A peer that stops reading must not block a writer for ever.
        var tv = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close() }

    /// The port of our end of the connection.
    public var localPort: Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Int in
                getsockname(fd, sa, &len) == 0 ? socketPort(sa) : 0
            }
        }
    }

    /// Opens a connection, trying each address the host resolves to.
    public static func connect(host: String, port: Int, timeout: Double = 30) throws(NetworkError) -> TCPConnection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            throw .resolveFailed(host: host, reason: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(result) }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            defer { ai = a.pointee.ai_next }
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            if fd < 0 { lastError = errnoString(); continue }
            // Non-blocking connect, so that the timeout holds.
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var r = Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen)
            if r != 0 && errno == EINPROGRESS {
                if (try? waitFor(fd, events: Int16(POLLOUT), timeout: timeout)) == true {
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                    if err == 0 { r = 0 } else { errno = err }
                } else {
                    errno = ETIMEDOUT
                }
            }
            if r != 0 {
                lastError = errnoString()
                Glibc.close(fd)
                continue
            }
            _ = fcntl(fd, F_SETFL, flags)
            return TCPConnection(fd: fd, remoteAddress: host, remotePort: port)
        }
        throw .connectFailed(host: host, port: port, reason: lastError)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Double?) throws(NetworkError) -> Int {
        guard !isClosed else { throw .closed }
        if let timeout {
            guard try waitFor(fd, events: Int16(POLLIN), timeout: timeout) else { throw .timedOut("waiting for the peer") }
        }
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return 0 }
            throw .io("read: \(errnoString())")
        }
    }

    public func write(_ buffers: [UnsafeRawBufferPointer]) throws(NetworkError) {
        guard !isClosed else { throw .closed }
        var vecs = buffers.filter { $0.count > 0 }.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
        var index = 0
        while index < vecs.count {
            let n = vecs[index...].withUnsafeBufferPointer { v in
                // MSG_NOSIGNAL: a peer that went away is an error here, not a SIGPIPE that kills the process.
                var msg = msghdr()
                msg.msg_iov = UnsafeMutablePointer(mutating: v.baseAddress)
                msg.msg_iovlen = v.count
                return sendmsg(fd, &msg, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw .timedOut("writing to the peer") }
                if errno == EPIPE || errno == ECONNRESET { throw .closed }
                throw .io("write: \(errnoString())")
            }
            var left = n
            while left > 0 && index < vecs.count {
                if left >= vecs[index].iov_len {
                    left -= vecs[index].iov_len
                    index += 1
                } else {
                    vecs[index].iov_base = vecs[index].iov_base! + left
                    vecs[index].iov_len -= left
                    left = 0
                }
            }
        }
    }

    public func hasPendingInput() -> Bool {
        (try? waitFor(fd, events: Int16(POLLIN), timeout: 0)) == true
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}

/// A listening TCP socket.
public final class TCPListener: @unchecked Sendable {
    public let fd: Int32
    public let port: Int

    /// Listens on `host` (nil or "0.0.0.0": every IPv4 address; "::" every address) and `port` (0: any free port).
    public init(host: String?, port: Int, backlog: Int32 = 128) throws(NetworkError) {
        let bindHost = host ?? "0.0.0.0"
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(bindHost, String(port), &hints, &result)
        guard rc == 0, let a = result else { throw .listenFailed(port: port, reason: String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(result) }
        let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
        guard fd >= 0 else { throw .listenFailed(port: port, reason: errnoString()) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 else {
            let reason = errnoString()
            Glibc.close(fd)
            throw .listenFailed(port: port, reason: reason)
        }
        guard listen(fd, backlog) == 0 else {
            let reason = errnoString()
            Glibc.close(fd)
            throw .listenFailed(port: port, reason: reason)
        }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let actualPort = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Int in
                getsockname(fd, sa, &len)
                return socketPort(sa)
            }
        }
        self.fd = fd
        self.port = actualPort
    }

    /// Waits up to `timeout` seconds for a connection; nil on timeout (so the caller can check for shutdown).
    public func accept(timeout: Double) throws(NetworkError) -> TCPConnection? {
        guard try waitFor(fd, events: Int16(POLLIN), timeout: timeout) else { return nil }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let client = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &len) }
        }
        if client < 0 {
            if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { return nil }
            // Out of file descriptors: wait a little rather than spin.
            if errno == EMFILE || errno == ENFILE { usleep(10_000); return nil }
            throw .io("accept: \(errnoString())")
        }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        let (address, port) = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { (socketAddress($0), socketPort($0)) }
        }
        return TCPConnection(fd: client, remoteAddress: address, remotePort: port)
    }

    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}

func socketPort(_ sa: UnsafePointer<sockaddr>) -> Int {
    switch Int32(sa.pointee.sa_family) {
    case AF_INET: return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
    case AF_INET6: return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
    default: return 0
    }
}

func socketAddress(_ sa: UnsafePointer<sockaddr>) -> String {
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    switch Int32(sa.pointee.sa_family) {
    case AF_INET:
        sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
            var addr = p.pointee.sin_addr
            _ = inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
        }
    case AF_INET6:
        sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
            var addr = p.pointee.sin6_addr
            _ = inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
        }
    default: return "?"
    }
    let s = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
    return s.hasPrefix("::ffff:") ? String(s.dropFirst(7)) : s
}
