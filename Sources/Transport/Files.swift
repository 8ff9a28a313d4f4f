import CLinux

/// Starts writing a range of a file back to disk and returns at once: a later fsync then waits only for what
/// has not gone yet (Linux sync_file_range; nothing elsewhere).
public func startWriteback(fd: Int32, offset: Int, length: Int) {
    _ = clinux_start_writeback(fd, Int64(offset), Int64(length))
}
