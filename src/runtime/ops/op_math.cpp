#include "runtime/ops/op_math.hpp"

#include <algorithm>
#include <bit>
#include <limits>

namespace onexn::runtime::ops {
namespace {

// Blocks small enough for a stack buffer in L1. Each step is its own loop: GCC (with its default
// -ftrapping-math) does not vectorize a loop that mixes selects with arithmetic that may trap.
constexpr int64_t kBlock = 64;
constexpr float kLow = -87.3f, kHigh = 88.3f;

void exp_block(const float* x, float* y, int64_t m) {
  float t[kBlock];
  for (int64_t i = 0; i < m; ++i) {
    float v = x[i];
    v = v > kLow ? v : kLow;  // NaN becomes kLow here: no NaN reaches the int conversion
    v = v < kHigh ? v : kHigh;
    t[i] = v;
  }
  for (int64_t i = 0; i < m; ++i) {
    const float v = t[i];
    // r = round(v / ln 2) by the 1.5 * 2^23 trick; f = v - r ln 2 in two parts (Cody-Waite)
    const float r = (v * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    const float f = (v - r * 0.693359375f) - r * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * f + 1.3981999507e-3f;
    p = p * f + 8.3334519073e-3f;
    p = p * f + 4.1665795894e-2f;
    p = p * f + 1.6666665459e-1f;
    p = p * f + 5.0000001201e-1f;
    p = p * f * f + f + 1.0f;
    t[i] = p * std::bit_cast<float>((static_cast<int32_t>(r) + 127) << 23);
  }
  for (int64_t i = 0; i < m; ++i) {
    const float v = x[i];
    float e = t[i];
    e = v < kLow ? 0.0f : e;
    e = v > kHigh ? std::numeric_limits<float>::infinity() : e;
    e = v != v ? v : e;
    y[i] = e;
  }
}

}  // namespace

void exp_floats(const float* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; b += kBlock) exp_block(x + b, y + b, std::min(kBlock, n - b));
}

void sigmoid_floats(const float* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t m = std::min(kBlock, n - b);
    float t[kBlock];
    for (int64_t i = 0; i < m; ++i) t[i] = -x[b + i];
    exp_block(t, t, m);
    for (int64_t i = 0; i < m; ++i) y[b + i] = 1.0f / (1.0f + t[i]);
  }
}

void hardswish_floats(const float* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t m = std::min(kBlock, n - b);
    float t[kBlock];
    for (int64_t i = 0; i < m; ++i)
      t[i] = std::min(1.0f, std::max(0.0f, x[b + i] * (1.0f / 6.0f) + 0.5f));
    for (int64_t i = 0; i < m; ++i) y[b + i] = x[b + i] * t[i];
  }
}

}  // namespace onexn::runtime::ops
