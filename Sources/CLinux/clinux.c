#define _GNU_SOURCE
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "clinux.h"

/* Asks the kernel to start writing a file range back to disk without waiting (sync_file_range(2)). */
int clinux_start_writeback(int fd, long long offset, long long length) {
#ifdef __linux__
    return sync_file_range(fd, (off_t)offset, (off_t)length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}


/* Blocks up to mmap_threshold bytes come from the heap (reused, already faulted in) instead of being mapped and
 * unmapped each time; the heap is trimmed past trim_threshold. */
void clinux_keep_large_blocks_in_heap(long long mmap_threshold, long long trim_threshold) {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
#else
    (void)mmap_threshold; (void)trim_threshold;
#endif
}
