#include "png_file.hpp"

#include <png.h>

#include <string>

#include "onexn/error.hpp"
#include "onexn/file_io.hpp"

namespace onexn::cli {

std::vector<uint8_t> encode_png(const RasterImage& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != size_t(image.width) * size_t(image.height) * 3) {
    throw Error("cannot encode PNG: image of " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + " pixels has " + std::to_string(image.rgb.size()) +
                " bytes");
  }
  // libpng's simplified API: one call to learn the size, one to encode into our buffer.
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = png_uint_32(image.width);
  png.height = png_uint_32(image.height);
  png.format = PNG_FORMAT_RGB;
  const png_int_32 row_stride = image.width * 3;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.rgb.data(), row_stride, nullptr)) {
    const std::string reason = png.message;
    png_image_free(&png);
    throw Error("cannot encode PNG: " + reason);
  }
  std::vector<uint8_t> bytes(size);
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.rgb.data(), row_stride,
                                 nullptr)) {
    const std::string reason = png.message;
    png_image_free(&png);
    throw Error("cannot encode PNG: " + reason);
  }
  bytes.resize(size);
  return bytes;
}

void write_png_file(const std::filesystem::path& path, const RasterImage& image) {
  write_file_atomically(path, encode_png(image));
}

}  // namespace onexn::cli
