// Geometry of a 2-D convolution over NCHW tensors, shared by the reference and the fast kernels.
#pragma once

#include <cstdint>
#include <string>

#include "onexn/weight_shape.hpp"

namespace onexn {

struct ConvParams {
  int64_t batch = 1;
  int64_t c_in = 1, h = 1, w = 1;
  int64_t c_out = 1, kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;

  int64_t out_h() const { return (h + pad_top + pad_bottom - dilation_h * (kh - 1) - 1) / stride_h + 1; }
  int64_t out_w() const { return (w + pad_left + pad_right - dilation_w * (kw - 1) - 1) / stride_w + 1; }
  WeightShape weight_shape() const { return WeightShape::conv(c_out, c_in / groups, kh, kw, groups); }
  int64_t input_numel() const { return batch * c_in * h * w; }
  int64_t output_numel() const { return batch * c_out * out_h() * out_w(); }
  // Multiply-adds of the dense convolution.
  int64_t dense_macs() const { return output_numel() * (c_in / groups) * kh * kw; }

  // Throws InvalidArgument naming the bad field (non-positive sizes, groups not dividing the
  // channels, an empty output).
  void validate() const;
  std::string to_string() const;
};

// What runs after the multiply-adds, per output value, in this order:
//   y = acc + bias[c] (if bias) ; y += residual (if residual) ; y = activation(y)
enum class Activation { none, relu, relu6, clip };

struct Epilogue {
  const float* bias = nullptr;      // c_out values, or null
  const float* residual = nullptr;  // same shape as the output, or null
  Activation activation = Activation::none;
  float clip_min = 0.0f;  // for Activation::clip
  float clip_max = 0.0f;

  float apply(float acc, int64_t c, int64_t out_index) const {
    float y = acc;
    if (bias) y += bias[c];
    if (residual) y += residual[out_index];
    switch (activation) {
      case Activation::none: break;
      case Activation::relu: y = y > 0.0f ? y : 0.0f; break;
      case Activation::relu6: y = y < 0.0f ? 0.0f : (y > 6.0f ? 6.0f : y); break;
      case Activation::clip: y = y < clip_min ? clip_min : (y > clip_max ? clip_max : y); break;
    }
    return y;
  }
};

}  // namespace onexn
