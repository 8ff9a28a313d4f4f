#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Immutable bytes that share the memory they came from.
///
/// A parsed data set does not copy its values: each element's `Bytes` points into the buffer or the
/// memory-mapped file it was read from, and keeps that buffer alive. Values built in code own a small buffer
/// of their own.
public struct Bytes: @unchecked Sendable, RandomAccessCollection, Hashable, CustomStringConvertible {
    /// Keeps `base` valid; never mutated, so sharing across threads is safe.
    @usableFromInline let owner: AnyObject?
    @usableFromInline let base: UnsafeRawPointer?
    public let count: Int

    @inlinable init(owner: AnyObject?, base: UnsafeRawPointer?, count: Int) {
        self.owner = owner
        self.base = base
        self.count = count
    }

    public init() {
        owner = nil
        base = nil
        count = 0
    }

    /// Copies `bytes` into storage of its own.
    public init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        if let done = bytes.withContiguousStorageIfAvailable({ Bytes(copying: UnsafeRawBufferPointer($0)) }) {
            self = done
            return
        }
        let array = Array(bytes)
        if array.isEmpty {
            self.init()
            return
        }
        let buffer = HeapBytes.make(count: array.count)
        array.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: array.count) }
        self.init(owner: buffer, base: UnsafeRawPointer(buffer.pointer), count: array.count)
    }

    /// Copies raw memory into storage of its own.
    public init(copying raw: UnsafeRawBufferPointer) {
        if raw.isEmpty {
            self.init()
            return
        }
        let buffer = HeapBytes.make(count: raw.count)
        buffer.pointer.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        self.init(owner: buffer, base: UnsafeRawPointer(buffer.pointer), count: raw.count)
    }

    /// Allocates `count` bytes and lets `fill` write them.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        if count == 0 {
            self.init()
            return
        }
        let buffer = HeapBytes.make(count: count)
        try fill(UnsafeMutableRawBufferPointer(start: buffer.pointer, count: count))
        self.init(owner: buffer, base: UnsafeRawPointer(buffer.pointer), count: count)
    }

    public init(_ string: String) {
        var s = string
        self = s.withUTF8 { Bytes($0) }
    }

    // MARK: Collection

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    @inlinable public subscript(i: Int) -> UInt8 {
        precondition(i >= 0 && i < count, "Bytes index out of range")
        return base!.load(fromByteOffset: i, as: UInt8.self)
    }

    /// A sub-range sharing the same memory.
    @inlinable public subscript(range: Range<Int>) -> Bytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "Bytes range out of bounds")
        if range.isEmpty { return Bytes() }
        return Bytes(owner: owner, base: base! + range.lowerBound, count: range.count)
    }

    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    public var array: [UInt8] { withUnsafeBytes { Array($0) } }

    // MARK: Little-endian reads (values in memory are always little endian)

    @inlinable public func uint16(at offset: Int) -> UInt16 {
        precondition(offset >= 0 && offset + 2 <= count)
        return UInt16(littleEndian: base!.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inlinable public func uint32(at offset: Int) -> UInt32 {
        precondition(offset >= 0 && offset + 4 <= count)
        return UInt32(littleEndian: base!.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inlinable public func uint64(at offset: Int) -> UInt64 {
        precondition(offset >= 0 && offset + 8 <= count)
        return UInt64(littleEndian: base!.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    // MARK: Hashable

    public static func == (a: Bytes, b: Bytes) -> Bool {
        guard a.count == b.count else { return false }
        if a.count == 0 || a.base == b.base { return true }
        return memcmp(a.base!, b.base!, a.count) == 0
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public var description: String { "\(count) bytes" }

    /// Whether the memory is shared with a larger buffer (a parsed file) rather than owned.
    public var isView: Bool { !(owner is HeapBytes) }
}

/// A single heap allocation holding the bytes inline.
@usableFromInline final class HeapBytes {
    @usableFromInline let pointer: UnsafeMutableRawPointer
    let count: Int

    private init(count: Int) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
    }

    static func make(count: Int) -> HeapBytes { HeapBytes(count: count) }

    deinit { pointer.deallocate() }
}

/// Memory that a `Bytes` shares: an anonymous buffer or a memory-mapped file.
public final class ByteRegion: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let count: Int
    private let release: (() -> Void)?
    private let holder: Any?

    init(base: UnsafeRawPointer, count: Int, release: (() -> Void)?, holder: Any? = nil) {
        self.base = base
        self.count = count
        self.release = release
        self.holder = holder
    }

    deinit { release?() }

    /// The whole region as `Bytes`.
    public var bytes: Bytes { Bytes(owner: self, base: count > 0 ? base : nil, count: count) }

    /// Copies an array into a region of its own.
    public static func copying(_ bytes: [UInt8]) -> ByteRegion {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: bytes.count) } }
        return ByteRegion(base: UnsafeRawPointer(p), count: bytes.count, release: { p.deallocate() })
    }

    /// Takes ownership of memory allocated with `UnsafeMutableRawPointer.allocate`.
    public static func adopting(_ pointer: UnsafeMutableRawPointer, count: Int) -> ByteRegion {
        ByteRegion(base: UnsafeRawPointer(pointer), count: count, release: { pointer.deallocate() })
    }

    /// Maps a file read-only. Pages are read from disk only when touched, so parsing a header does not read
    /// the pixel data. Small files are read into memory instead (a mapping costs more than a short read).
    public static func file(at path: String, mapThreshold: Int = 256 * 1024) throws(DICOMFileError) -> ByteRegion {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DICOMFileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw DICOMFileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        if st.st_mode & S_IFMT == S_IFDIR { throw DICOMFileError.cannotOpen(path: path, reason: "is a directory") }
        let size = Int(st.st_size)
        if size == 0 { return ByteRegion(base: UnsafeRawPointer(bitPattern: 1)!, count: 0, release: nil) }
        if size >= mapThreshold && st.st_mode & S_IFMT == S_IFREG {
            if let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED {
                return ByteRegion(base: UnsafeRawPointer(p), count: size, release: { munmap(p, size) })
            }
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        var done = 0
        while done < size {
            let n = read(fd, p + done, size - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            done += n
        }
        return ByteRegion(base: UnsafeRawPointer(p), count: done, release: { p.deallocate() })
    }
}

/// Errors opening a file, before any DICOM is parsed.
public enum DICOMFileError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open \(path): \(reason)"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}
