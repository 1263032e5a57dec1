// Encoding pictures as PNG files with Debian's libpng.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "raster_image.hpp"

namespace onexn::cli {

// The image as a complete 8-bit RGB PNG file. Throws Error with libpng's reason on failure.
std::vector<uint8_t> encode_png(const RasterImage& image);

// Encodes, then writes through a temporary file beside `path` and a rename, so `path` is either
// left as it was or holds the complete picture. Throws Error naming `path` on failure.
void write_png_file(const std::filesystem::path& path, const RasterImage& image);

}  // namespace onexn::cli
