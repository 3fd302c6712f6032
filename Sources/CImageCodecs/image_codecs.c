// PNG and JPEG decoding through libpng's simplified API and libjpeg-turbo. libjpeg reports
// errors by calling error_exit, which by default ends the process: here it longjmps back so a
// corrupt file becomes an error message instead.
#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

int infer_decode_png(const uint8_t *data, size_t size, size_t max_pixels,
                     uint8_t **pixels, int *width, int *height, char *error, size_t error_size) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        snprintf(error, error_size, "%s", image.message);
        return 1;
    }
    if ((size_t)image.width * image.height > max_pixels) {
        snprintf(error, error_size, "image of %ux%u pixels is too large", image.width, image.height);
        png_image_free(&image);
        return 1;
    }
    image.format = PNG_FORMAT_RGB;
    uint8_t *buffer = malloc((size_t)image.width * image.height * 3);
    if (!buffer) {
        snprintf(error, error_size, "out of memory");
        png_image_free(&image);
        return 1;
    }
    if (!png_image_finish_read(&image, NULL, buffer, 0, NULL)) {
        snprintf(error, error_size, "%s", image.message);
        free(buffer);
        png_image_free(&image);
        return 1;
    }
    *pixels = buffer;
    *width = (int)image.width;
    *height = (int)image.height;
    return 0;
}

struct jpeg_failure {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void jpeg_fail(j_common_ptr info) {
    struct jpeg_failure *failure = (struct jpeg_failure *)info->err;
    (*info->err->format_message)(info, failure->message);
    longjmp(failure->jump, 1);
}

static void jpeg_quiet(j_common_ptr info, int level) {
    (void)info;
    (void)level;
}

int infer_decode_jpeg(const uint8_t *data, size_t size, size_t max_pixels,
                      uint8_t **pixels, int *width, int *height, char *error, size_t error_size) {
    struct jpeg_decompress_struct info;
    struct jpeg_failure failure;
    uint8_t *volatile buffer = NULL;
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = jpeg_fail;
    failure.manager.emit_message = jpeg_quiet;
    if (setjmp(failure.jump)) {
        snprintf(error, error_size, "%s", failure.message);
        jpeg_destroy_decompress(&info);
        free(buffer);
        return 1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_RGB;
    if ((size_t)info.image_width * info.image_height > max_pixels) {
        snprintf(error, error_size, "image of %ux%u pixels is too large", info.image_width, info.image_height);
        jpeg_destroy_decompress(&info);
        return 1;
    }
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * 3;
    buffer = malloc(stride * info.output_height);
    if (!buffer) {
        snprintf(error, error_size, "out of memory");
        jpeg_destroy_decompress(&info);
        return 1;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = buffer + stride * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    *pixels = buffer;
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    jpeg_destroy_decompress(&info);
    return 0;
}

void infer_free_pixels(uint8_t *pixels) { free(pixels); }
