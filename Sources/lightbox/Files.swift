#if canImport(Glibc)
import Glibc
#endif
import DICOM

/// Writes a whole file (not durably: the archive's storage does that; this is for command-line output).
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw DICOMFileError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var done = 0
    try bytes.withUnsafeBytes { b in
        while done < b.count {
            let n = write(fd, b.baseAddress! + done, b.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw DICOMFileError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
            done += n
        }
    }
}
