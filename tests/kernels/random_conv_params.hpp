// Random convolution geometries for the kernel tests: every group kind (regular, grouped,
// depthwise, depthwise with a channel multiplier), strides 1-3, asymmetric padding, dilation 1-2,
// batch 1-2 and kernels 1x1, 3x3, 5x5, 7x7, 1x3 and 3x1. Sizes stay small so that many run fast.
#pragma once

#include <algorithm>
#include <random>

#include "kernels/conv_params.hpp"

namespace onexn::test {

inline ConvParams random_conv_params(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  static constexpr int64_t kKernels[][2] = {{1, 1}, {3, 3}, {5, 5}, {7, 7}, {1, 3}, {3, 1}};
  ConvParams p;
  const auto k = kKernels[pick(0, 5)];
  p.kh = k[0];
  p.kw = k[1];
  p.batch = pick(1, 2);
  switch (pick(0, 3)) {
    case 0:  // regular
      p.groups = 1;
      p.c_in = pick(1, 6);
      p.c_out = pick(1, 9);
      break;
    case 1:  // grouped
      p.groups = pick(2, 3);
      p.c_in = p.groups * pick(1, 3);
      p.c_out = p.groups * pick(1, 5);
      break;
    case 2:  // depthwise
      p.groups = p.c_in = p.c_out = pick(1, 6);
      break;
    default:  // depthwise with a channel multiplier
      p.groups = p.c_in = pick(1, 4);
      p.c_out = p.c_in * pick(2, 3);
      break;
  }
  p.stride_h = pick(1, 3);
  p.stride_w = pick(1, 3);
  p.dilation_h = pick(1, 2);
  p.dilation_w = pick(1, 2);
  p.pad_top = pick(0, 3);
  p.pad_bottom = pick(0, 3);
  p.pad_left = pick(0, 3);
  p.pad_right = pick(0, 3);
  // Big enough for a non-empty output.
  const int64_t span_h = p.dilation_h * (p.kh - 1) + 1, span_w = p.dilation_w * (p.kw - 1) + 1;
  p.h = pick(std::max<int64_t>(1, span_h - p.pad_top - p.pad_bottom), span_h + 8);
  p.w = pick(std::max<int64_t>(1, span_w - p.pad_left - p.pad_right), span_w + 8);
  return p;
}

}  // namespace onexn::test
