import DICOM

/// Reads whole PDUs from a connection, through a buffer, with limits: a PDU longer than `maximumLength` is refused
/// from its header alone (a 4 GB length allocates nothing), and a PDU must arrive within `pduTimeout` seconds once
/// it has begun (a peer that sends one byte a second is cut off).
final class PDUReader {
    let connection: Connection
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0

    init(connection: Connection, bufferSize: Int = 64 * 1024) {
        self.connection = connection
        buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    enum ReadError: Error {
        case network(NetworkError)
        case decoding(PDUDecodingError)
        /// The peer announced a PDU longer than we accept.
        case tooLong(type: UInt8, length: Int, limit: Int)
    }

    /// The next PDU. `idleTimeout` bounds the wait for its first byte, `pduTimeout` the time to receive the rest.
    func next(maximumLength: Int, idleTimeout: Double?, pduTimeout: Double) throws(ReadError) -> PDU {
        try fill(1, timeout: idleTimeout)
        let deadline = monotonicNow() + pduTimeout
        try fill(PDUCodec.headerLength, deadline: deadline)
        let type = buffer[start]
        let length = Int(UInt32(buffer[start + 2]) << 24 | UInt32(buffer[start + 3]) << 16
                         | UInt32(buffer[start + 4]) << 8 | UInt32(buffer[start + 5]))
        // Association PDUs can be long (many presentation contexts, a JWT); data PDUs follow the negotiated limit.
        let limit = type == 0x04 ? maximumLength : max(maximumLength, 1 << 20)
        guard length <= limit else { throw .tooLong(type: type, length: length, limit: limit) }
        start += PDUCodec.headerLength
        let body = try readBody(length, deadline: deadline)
        do {
            return try PDUCodec.decode(type: type, body: body)
        } catch {
            throw .decoding(error)
        }
    }

    /// The body as its own bytes: P-DATA values point into it, so it must outlive the buffer's next fill.
    private func readBody(_ length: Int, deadline: Double) throws(ReadError) -> Bytes {
        if length == 0 { return Bytes() }
        var failure: ReadError?
        let body = Bytes(count: length) { out in
            let buffered = min(end - start, length)
            if buffered > 0 {
                buffer.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: buffered) }
                start += buffered
            }
            var done = buffered
            while done < length {
                do {
                    let n = try connection.read(into: UnsafeMutableRawBufferPointer(rebasing: out[done...]),
                                                timeout: max(0, deadline - monotonicNow()))
                    if n == 0 { throw NetworkError.closed }
                    done += n
                } catch let e as NetworkError {
                    failure = .network(e.isTimeout ? .timedOut("receiving a PDU") : e)
                    return
                } catch {
                    failure = .network(.io("\(error)"))
                    return
                }
            }
        }
        if let failure { throw failure }
        return body
    }

    /// Ensures `count` bytes are buffered.
    private func fill(_ count: Int, timeout: Double? = nil, deadline: Double? = nil) throws(ReadError) {
        if end - start >= count { return }
        if start > 0 {
            buffer.withUnsafeMutableBytes { b in
                b.baseAddress!.copyMemory(from: b.baseAddress! + start, byteCount: end - start)
            }
            end -= start
            start = 0
        }
        while end - start < count {
            let wait = deadline.map { max(0, $0 - monotonicNow()) } ?? timeout
            let n: Int
            do {
                let from = end
                n = try buffer.withUnsafeMutableBytes { b in
                    try connection.read(into: UnsafeMutableRawBufferPointer(rebasing: b[from...]), timeout: wait)
                }
            } catch {
                throw .network(error as? NetworkError ?? .io("\(error)"))
            }
            if n == 0 { throw .network(.closed) }
            end += n
        }
    }
}

extension NetworkError {
    var isTimeout: Bool {
        if case .timedOut = self { return true }
        return false
    }
}
