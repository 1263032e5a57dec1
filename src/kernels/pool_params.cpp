#include "kernels/pool_params.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace onexn {

std::string PoolParams::to_string() const {
  const char* name = kind == PoolKind::max ? "max" : kind == PoolKind::average ? "avg" : "avg (count pads)";
  return fmt::format("{} {}x{} s{}x{} d{}x{} pads {},{},{},{} on {}x{} -> {}x{}", name, kh, kw, stride_h,
                     stride_w, dilation_h, dilation_w, pad_top, pad_left, pad_bottom, pad_right, in_h, in_w,
                     out_h, out_w);
}

namespace {
// Rounds towards +infinity for b > 0 and any a.
int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
}  // namespace

PoolTaps pool_taps(int64_t start, int64_t kernel, int64_t dilation, int64_t in, int64_t pad_begin,
                   int64_t pad_end) {
  PoolTaps t;
  t.first = start >= 0 ? 0 : ceil_div(-start, dilation);
  t.last = std::max(t.first, std::min(kernel, ceil_div(in - start, dilation)));
  const int64_t p0 = start >= -pad_begin ? 0 : ceil_div(-pad_begin - start, dilation);
  const int64_t p1 = std::min(kernel, ceil_div(in + pad_end - start, dilation));
  t.padded = std::max<int64_t>(0, p1 - p0);
  return t;
}

}  // namespace onexn
