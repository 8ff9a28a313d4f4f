#if canImport(Glibc)
import Glibc
#endif
import DICOM
import Foundation
import Testing

/// Swift Testing has a `Tag` of its own; in these tests `Tag` is always the DICOM one.
typealias Tag = DICOMCore.Tag

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A new empty folder under /tmp, unique to the caller.
func makeTemporaryFolder() throws -> String {
    var template = Array("/tmp/lightbox-server-tests-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer -> String? in
        guard let made = mkdtemp(buffer.baseAddress!) else { return nil }
        return String(cString: made)
    }
    guard let path else { throw TestFailure("mkdtemp failed: \(String(cString: strerror(errno)))") }
    return path
}

/// A new empty folder under /tmp for one test, removed when `body` returns (or throws).
func withTemporaryFolder<R>(_ body: (String) throws -> R) throws -> R {
    let path = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

func writeFile(_ path: String, _ text: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw TestFailure("cannot write \(path)") }
}
