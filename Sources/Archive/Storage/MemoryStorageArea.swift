import Crypto
import DICOM
import Synchronization

/// Objects held in memory: for tests, and for archives that must leave nothing on disk.
public final class MemoryStorageArea: StorageArea {
    let objects = Mutex<[String: [UInt8]]>([:])
    /// Bytes the area may hold; beyond it writes fail as a full disk does.
    public let capacity: Int

    public init(capacity: Int = Int.max) { self.capacity = capacity }

    var used: Int { objects.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    public func create(key: String) throws(StorageError) -> any StorageWriter { MemoryWriter(area: self, key: key) }

    public func read(key: String) throws(StorageError) -> Bytes {
        guard let data = objects.withLock({ $0[key] }) else { throw .notFound(key) }
        return Bytes(data)
    }

    public func localPath(key: String) -> String? { nil }
    public func remove(key: String) throws(StorageError) { objects.withLock { _ = $0.removeValue(forKey: key) } }
    public func exists(key: String) -> Bool { objects.withLock { $0[key] != nil } }
    public func keys() throws(StorageError) -> [String] { objects.withLock { $0.keys.sorted() } }
    public func keys(under prefix: String) throws(StorageError) -> [String] {
        objects.withLock { $0.keys.filter { $0.hasPrefix(prefix + "/") }.sorted() }
    }
    public func freeBytes() -> Int64? { capacity == Int.max ? nil : Int64(capacity - used) }

    final class MemoryWriter: StorageWriter {
        let area: MemoryStorageArea
        let key: String
        var data: [UInt8] = []
        let hash = SHA256()

        init(area: MemoryStorageArea, key: String) {
            self.area = area
            self.key = key
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
            guard area.used + data.count + bytes.count <= area.capacity else { throw .full("memory storage capacity reached") }
            data.append(contentsOf: bytes)
            hash.update(bytes)
        }

        var size: Int { data.count }
        private var finalDigest: String?

        func digest() -> String {
            if let finalDigest { return finalDigest }
            finalDigest = hash.finalize()
            return finalDigest!
        }

        func commit() throws(StorageError) { area.objects.withLock { $0[key] = data } }
        func abort() { data = [] }
    }
}
