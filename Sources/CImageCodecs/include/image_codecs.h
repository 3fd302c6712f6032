#ifndef INFER_IMAGE_CODECS_H
#define INFER_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

/// Decodes a PNG or JPEG held in memory to 8-bit RGB, row-major, 3 bytes per pixel.
/// Returns 0 on success (free *pixels with infer_free_pixels), else non-zero with a message in
/// `error`. Images of more than `max_pixels` pixels are rejected before their pixels are decoded.
int infer_decode_png(const uint8_t *data, size_t size, size_t max_pixels,
                     uint8_t **pixels, int *width, int *height, char *error, size_t error_size);
int infer_decode_jpeg(const uint8_t *data, size_t size, size_t max_pixels,
                      uint8_t **pixels, int *width, int *height, char *error, size_t error_size);
void infer_free_pixels(uint8_t *pixels);

#endif
