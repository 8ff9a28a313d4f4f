#if canImport(Glibc)
import Glibc
#endif
import DICOM
import Transport

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

/// `mkdir -p` of the folder that holds `path`.
func makeDirectories(parentOf path: String) throws {
    guard let slash = path.lastIndex(of: "/") else { return }
    try makeDirectories(String(path[..<slash]))
}


func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}

/// Calls `body` for a file, or for every regular file below a folder (sorted, hidden files skipped).
func forEachFile(_ path: String, _ body: (String) throws -> Void) throws {
    var st = stat()
    guard stat(path, &st) == 0 else {
        throw DICOMFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
    }
    if st.st_mode & S_IFMT != S_IFDIR {
        try body(path)
        return
    }
    guard let dir = opendir(path) else {
        throw DICOMFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
    }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name.hasPrefix(".") { continue }
        names.append(name)
    }
    closedir(dir)
    for name in names.sorted() {
        try forEachFile(path.hasSuffix("/") ? path + name : path + "/" + name, body)
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
