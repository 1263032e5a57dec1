// An 8-bit RGB picture in memory, the canvas the mask renderer draws on and the PNG writer encodes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace onexn::cli {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
  // Perceived brightness in [0, 255] (Rec. 601 weights): what "dark" and "light" mean in tests.
  double luminance() const { return 0.299 * r + 0.587 * g + 0.114 * b; }
};

// Rows top to bottom, pixels left to right, 3 bytes (R, G, B) per pixel, no padding.
struct RasterImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;

  RasterImage() = default;
  RasterImage(int w, int h, Rgb background) : width(w), height(h), rgb(size_t(w) * size_t(h) * 3) {
    for (size_t i = 0; i < rgb.size(); i += 3) {
      rgb[i] = background.r;
      rgb[i + 1] = background.g;
      rgb[i + 2] = background.b;
    }
  }

  Rgb pixel(int x, int y) const {
    const size_t i = (size_t(y) * size_t(width) + size_t(x)) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
  // Pixels outside the picture are ignored, so callers may draw partly off the edge.
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const size_t i = (size_t(y) * size_t(width) + size_t(x)) * 3;
    rgb[i] = c.r;
    rgb[i + 1] = c.g;
    rgb[i + 2] = c.b;
  }
  void fill_rect(int x, int y, int w, int h, Rgb c) {
    const int x0 = std::max(x, 0), y0 = std::max(y, 0);
    const int x1 = std::min(x + w, width), y1 = std::min(y + h, height);
    for (int yy = y0; yy < y1; ++yy)
      for (int xx = x0; xx < x1; ++xx) set(xx, yy, c);
  }
  void outline_rect(int x, int y, int w, int h, Rgb c) {
    fill_rect(x, y, w, 1, c);
    fill_rect(x, y + h - 1, w, 1, c);
    fill_rect(x, y, 1, h, c);
    fill_rect(x + w - 1, y, 1, h, c);
  }
  // Copies `src` with its top-left corner at (x, y).
  void paste(const RasterImage& src, int x, int y) {
    for (int yy = 0; yy < src.height; ++yy)
      for (int xx = 0; xx < src.width; ++xx) set(x + xx, y + yy, src.pixel(xx, yy));
  }
};

}  // namespace onexn::cli
