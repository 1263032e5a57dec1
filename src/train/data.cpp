#include "train/data.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace onexn::train {

std::mt19937_64 epoch_rng(uint64_t seed, int phase, int epoch) {
  // splitmix64 of the three values, so neighbouring epochs get unrelated streams.
  uint64_t z =
      seed * 0x9E3779B97F4A7C15ull + uint64_t(phase) * 0xBF58476D1CE4E5B9ull + uint64_t(epoch) + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return std::mt19937_64(z ^ (z >> 31));
}

std::vector<int64_t> shuffled_order(int64_t n, std::mt19937_64& rng) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  // The modulo's bias (< 2^-40 here) does not matter; it keeps the order the same on every
  // standard library, unlike std::shuffle.
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng() % uint64_t(i + 1)]);
  return order;
}

void fill_batch(const ImageSet& set, std::span<const int64_t> indices, bool augment,
                std::mt19937_64& rng, float* images, int64_t* labels) {
  const int64_t rows = set.rows, cols = set.cols, plane = rows * cols;
  const float scale = 1.0f / (255.0f * kFashionStd), shift = -kFashionMean / kFashionStd;
  for (size_t b = 0; b < indices.size(); ++b) {
    const uint8_t* src = set.pixels.data() + indices[b] * plane;
    float* dst = images + b * plane;
    labels[b] = set.labels[indices[b]];
    int64_t dy = 0, dx = 0;
    bool flip = false;
    if (augment) {
      const uint64_t r = rng();
      dy = int64_t(r % (2 * kCropPadding + 1)) - kCropPadding;
      dx = int64_t((r >> 8) % (2 * kCropPadding + 1)) - kCropPadding;
      flip = (r >> 16) & 1;
    }
    for (int64_t y = 0; y < rows; ++y) {
      const int64_t sy = y + dy;
      for (int64_t x = 0; x < cols; ++x) {
        const int64_t sx = (flip ? cols - 1 - x : x) + dx;
        const bool inside = sy >= 0 && sy < rows && sx >= 0 && sx < cols;
        dst[y * cols + x] = (inside ? float(src[sy * cols + sx]) : 0.0f) * scale + shift;
      }
    }
  }
}

double scheduled_lr(double peak, int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return peak * double(step + 1) / double(warmup);
  const int64_t span = std::max<int64_t>(1, total - warmup);
  const double t = std::min(1.0, double(step - warmup) / double(span));
  return 0.5 * peak * (1.0 + std::cos(std::numbers::pi * t));
}

double gradual_sparsity(double p, int64_t step, int64_t ramp) {
  if (ramp <= 0 || step >= ramp) return p;
  const double left = 1.0 - double(step) / double(ramp);
  return p * (1.0 - left * left * left);
}

}  // namespace onexn::train
