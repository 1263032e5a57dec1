// A second, independent convolution for testing conv2d_dense_ref: written in a different style on
// purpose (explicit zero-padded input copy, im2col per image and conv group, then a plain matrix
// product), with its own output-size arithmetic and its own epilogue.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/conv_params.hpp"

namespace onexn::test {

struct NaiveEpilogue {
  const std::vector<float>* bias = nullptr;
  const std::vector<float>* residual = nullptr;
  Activation activation = Activation::none;
  float lo = 0.0f, hi = 0.0f;  // clip range

  float operator()(double acc, int64_t c, int64_t index) const {
    float y = static_cast<float>(acc);
    if (bias) y += (*bias)[c];
    if (residual) y += (*residual)[index];
    switch (activation) {
      case Activation::none:
        return y;
      case Activation::relu:
        return std::max(y, 0.0f);
      case Activation::relu6:
        return std::min(std::max(y, 0.0f), 6.0f);
      case Activation::clip:
        return std::min(std::max(y, lo), hi);
    }
    return y;
  }
};

inline std::vector<float> naive_conv(const ConvParams& p, const std::vector<float>& x,
                                     const std::vector<float>& w, const NaiveEpilogue& epi) {
  const int64_t hp = p.h + p.pad_top + p.pad_bottom, wp = p.w + p.pad_left + p.pad_right;
  const int64_t span_h = p.dilation_h * (p.kh - 1) + 1, span_w = p.dilation_w * (p.kw - 1) + 1;
  const int64_t oh = (hp - span_h) / p.stride_h + 1, ow = (wp - span_w) / p.stride_w + 1;
  const int64_t cig = p.c_in / p.groups, cog = p.c_out / p.groups, k = cig * p.kh * p.kw;

  // 1. Zero-padded copy of the input.
  std::vector<float> padded(p.batch * p.c_in * hp * wp, 0.0f);
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t c = 0; c < p.c_in; ++c)
      for (int64_t y = 0; y < p.h; ++y)
        for (int64_t x0 = 0; x0 < p.w; ++x0)
          padded[((n * p.c_in + c) * hp + y + p.pad_top) * wp + x0 + p.pad_left] =
              x[((n * p.c_in + c) * p.h + y) * p.w + x0];

  std::vector<float> out(p.batch * p.c_out * oh * ow);
  std::vector<float> cols(k * oh * ow);
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t g = 0; g < p.groups; ++g) {
      // 2. im2col: row (i, ky, kx), column (oy, ox).
      for (int64_t i = 0; i < cig; ++i)
        for (int64_t ky = 0; ky < p.kh; ++ky)
          for (int64_t kx = 0; kx < p.kw; ++kx)
            for (int64_t oy = 0; oy < oh; ++oy)
              for (int64_t ox = 0; ox < ow; ++ox)
                cols[((i * p.kh + ky) * p.kw + kx) * oh * ow + oy * ow + ox] =
                    padded[((n * p.c_in + g * cig + i) * hp + oy * p.stride_h + ky * p.dilation_h) *
                               wp +
                           ox * p.stride_w + kx * p.dilation_w];
      // 3. [cog x k] weight rows times [k x oh*ow] columns.
      for (int64_t o = 0; o < cog; ++o) {
        const int64_t oc = g * cog + o;
        for (int64_t pix = 0; pix < oh * ow; ++pix) {
          double acc = 0.0;
          for (int64_t r = 0; r < k; ++r)
            acc += double(w[oc * k + r]) * double(cols[r * oh * ow + pix]);
          const int64_t index = (n * p.c_out + oc) * oh * ow + pix;
          out[index] = epi(acc, oc, index);
        }
      }
    }
  }
  return out;
}

}  // namespace onexn::test
