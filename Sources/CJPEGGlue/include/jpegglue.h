// libjpeg-turbo behind calls Swift can make: libjpeg reports errors by longjmp from its error_exit hook, which
// must not cross Swift frames, so every call that can fail runs inside a setjmp here and returns a status.
#ifndef LIGHTBOX_JPEGGLUE_H
#define LIGHTBOX_JPEGGLUE_H
#include <stddef.h>

typedef struct {
    int width, height, components, precision;
    int progressive, arithmetic;
    int jpeg_color_space;      // libjpeg's J_COLOR_SPACE for the coded data, as it guessed it from the markers
    int saw_jfif, saw_adobe, adobe_transform;
    char message[200];         // the library's reason when a call returns non-zero
} lb_jpeg_info;

/// Reads the headers only.
int lb_jpeg_read_header(const unsigned char *data, size_t size, lb_jpeg_info *info);

/// Decodes an 8-bit DCT image into `out` (width * height * components bytes, interleaved).
/// mode 0: the components as coded, no colour conversion; 1: YCbCr converted to RGB when the data is YCbCr;
/// 2: as 1, but data without a JFIF or Adobe marker is taken as RGB.
int lb_jpeg_decode(const unsigned char *data, size_t size, int mode, unsigned char *out, size_t out_size,
                   lb_jpeg_info *info);

/// Encodes 8-bit grey (components 1) or RGB (components 3) as baseline JPEG; colour is coded as YCbCr 4:2:2
/// (DICOM's YBR_FULL_422). `*out` is malloc'd: free it with lb_jpeg_free.
int lb_jpeg_encode(const unsigned char *pixels, int width, int height, int components, int quality,
                   unsigned char **out, unsigned long *out_size, char *message, size_t message_size);

void lb_jpeg_free(unsigned char *buffer);
#endif
