#include "kernels/reference/pool_ref.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace onexn {

void pool2d_ref(const PoolParams& p, const float* x, float* y) {
  for (int64_t oy = 0; oy < p.out_h; ++oy) {
    const int64_t sy = oy * p.stride_h - p.pad_top;
    const PoolTaps ty = pool_taps(sy, p.kh, p.dilation_h, p.in_h, p.pad_top, p.pad_bottom);
    for (int64_t ox = 0; ox < p.out_w; ++ox) {
      const int64_t sx = ox * p.stride_w - p.pad_left;
      const PoolTaps tx = pool_taps(sx, p.kw, p.dilation_w, p.in_w, p.pad_left, p.pad_right);
      float m = -std::numeric_limits<float>::infinity(), s = 0.0f;
      for (int64_t ky = ty.first; ky < ty.last; ++ky) {
        for (int64_t kx = tx.first; kx < tx.last; ++kx) {
          const float v = x[(sy + ky * p.dilation_h) * p.in_w + sx + kx * p.dilation_w];
          m = std::max(m, v);
          s += v;
        }
      }
      const int64_t count = p.kind == PoolKind::average_count_pad
                                ? ty.padded * tx.padded
                                : (ty.last - ty.first) * (tx.last - tx.first);
      y[oy * p.out_w + ox] = p.kind == PoolKind::max ? m : s / static_cast<float>(count);
    }
  }
}

float global_pool_ref(bool max, const float* x, int64_t n) {
  if (n <= 0) return max ? -std::numeric_limits<float>::infinity() : std::nanf("");
  if (max) {
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t k = 0; k < n; ++k) m = std::max(m, x[k]);
    return m;
  }
  double s = 0.0;
  for (int64_t k = 0; k < n; ++k) s += x[k];
  return static_cast<float>(s / static_cast<double>(n));
}

}  // namespace onexn
