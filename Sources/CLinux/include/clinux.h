#ifndef CLINUX_H
#define CLINUX_H
/* Linux calls Swift cannot reach: those behind _GNU_SOURCE, and variadic ones. Wrapped by the Transport target. */
int clinux_start_writeback(int fd, long long offset, long long length);
/* glibc's mallopt (malloc.h is not in Swift's Glibc module): large blocks from the heap, not from fresh mappings. */
void clinux_keep_large_blocks_in_heap(long long mmap_threshold, long long trim_threshold);
#endif
