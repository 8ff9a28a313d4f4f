#include "jpegglue.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
    size_t message_size;
} glue_error;

static void glue_error_exit(j_common_ptr cinfo) {
    glue_error *e = (glue_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    e->base.format_message(cinfo, text);
    if (e->message && e->message_size) snprintf(e->message, e->message_size, "%s", text);
    longjmp(e->jump, 1);
}

// Warnings (a corrupt byte, a premature end filled with zeros) are tolerated, as DCMTK does; never printed.
static void glue_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void fill_info(struct jpeg_decompress_struct *d, lb_jpeg_info *info) {
    info->width = (int)d->image_width;
    info->height = (int)d->image_height;
    info->components = d->num_components;
    info->precision = d->data_precision;
    info->progressive = d->progressive_mode;
    info->arithmetic = d->arith_code;
    info->jpeg_color_space = d->jpeg_color_space;
    info->saw_jfif = d->saw_JFIF_marker;
    info->saw_adobe = d->saw_Adobe_marker;
    info->adobe_transform = d->Adobe_transform;
}

static int decode(const unsigned char *data, size_t size, int mode, unsigned char *out, size_t out_size,
                  lb_jpeg_info *info, int header_only) {
    struct jpeg_decompress_struct d;
    glue_error e;
    memset(info, 0, sizeof(*info));
    d.err = jpeg_std_error(&e.base);
    e.base.error_exit = glue_error_exit;
    e.base.output_message = glue_output_message;
    e.message = info->message;
    e.message_size = sizeof(info->message);
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&d);
        return -1;
    }
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, data, (unsigned long)size);
    jpeg_read_header(&d, TRUE);
    fill_info(&d, info);
    if (header_only) {
        jpeg_destroy_decompress(&d);
        return 0;
    }
    if (d.data_precision != 8) {
        snprintf(info->message, sizeof(info->message), "%d-bit JPEG is not decoded by libjpeg-turbo", d.data_precision);
        jpeg_destroy_decompress(&d);
        return -1;
    }
    if (mode == 0) {
        // The components exactly as coded: tell the library the data and the output share one colour space.
        J_COLOR_SPACE raw = d.num_components == 1 ? JCS_GRAYSCALE : d.num_components == 3 ? JCS_RGB : JCS_CMYK;
        d.jpeg_color_space = raw;
        d.out_color_space = raw;
    } else if (d.num_components == 3) {
        // mode 2: without a JFIF or Adobe marker the data set's RGB is believed over the component IDs.
        if (mode == 2 && !d.saw_JFIF_marker && !d.saw_Adobe_marker) d.jpeg_color_space = JCS_RGB;
        d.out_color_space = JCS_RGB;
    }
    jpeg_start_decompress(&d);
    size_t stride = (size_t)d.output_width * (size_t)d.output_components;
    if ((size_t)d.output_height * stride > out_size) {
        snprintf(info->message, sizeof(info->message), "the image needs %zu bytes, %zu available",
                 (size_t)d.output_height * stride, out_size);
        jpeg_destroy_decompress(&d);
        return -1;
    }
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = out + (size_t)d.output_scanline * stride;
        if (jpeg_read_scanlines(&d, &row, 1) != 1) break;
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    return 0;
}

int lb_jpeg_read_header(const unsigned char *data, size_t size, lb_jpeg_info *info) {
    return decode(data, size, 0, NULL, 0, info, 1);
}

int lb_jpeg_decode(const unsigned char *data, size_t size, int mode, unsigned char *out, size_t out_size,
                   lb_jpeg_info *info) {
    return decode(data, size, mode, out, out_size, info, 0);
}

int lb_jpeg_encode(const unsigned char *pixels, int width, int height, int components, int quality,
                   unsigned char **out, unsigned long *out_size, char *message, size_t message_size) {
    struct jpeg_compress_struct c;
    glue_error e;
    *out = NULL;
    *out_size = 0;
    c.err = jpeg_std_error(&e.base);
    e.base.error_exit = glue_error_exit;
    e.base.output_message = glue_output_message;
    e.message = message;
    e.message_size = message_size;
    if (setjmp(e.jump)) {
        jpeg_destroy_compress(&c);
        free(*out);
        *out = NULL;
        return -1;
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, out, out_size);
    c.image_width = (JDIMENSION)width;
    c.image_height = (JDIMENSION)height;
    c.input_components = components;
    c.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    c.write_JFIF_header = FALSE;  // PS3.5 §8.2.1: DICOM's attributes, not JFIF's, say what the pixels are
    if (components == 3) {
        // 4:2:2, horizontal only: YBR_FULL_422 (PS3.3 C.7.6.3.1.2).
        c.comp_info[0].h_samp_factor = 2;
        c.comp_info[0].v_samp_factor = 1;
        c.comp_info[1].h_samp_factor = c.comp_info[1].v_samp_factor = 1;
        c.comp_info[2].h_samp_factor = c.comp_info[2].v_samp_factor = 1;
    }
    jpeg_start_compress(&c, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)c.next_scanline * stride);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return 0;
}

void lb_jpeg_free(unsigned char *buffer) { free(buffer); }
