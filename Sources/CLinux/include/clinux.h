#ifndef CLINUX_H
#define CLINUX_H
/* Linux calls Swift cannot reach: those behind _GNU_SOURCE, and variadic ones. Wrapped by the Transport target. */
int clinux_start_writeback(int fd, long long offset, long long length);
#endif
