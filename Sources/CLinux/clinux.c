#define _GNU_SOURCE
#include <fcntl.h>
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

