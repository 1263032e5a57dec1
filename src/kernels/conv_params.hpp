// Geometry of a 2-D convolution over NCHW tensors, shared by the reference and the fast kernels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// Geometry of a 2-D transposed convolution (ONNX ConvTranspose) over NCHW tensors. Weights are
// stored as ONNX and PyTorch keep them, W[c_in][c_out/groups][kh][kw]; input pixel (iy, ix) adds
// x * W[c][o][ky][kx] to output pixel (iy*stride_h - pad_top + ky*dilation_h, likewise x).
// output_pad_h / _w add rows and columns at the bottom / right (ONNX output_padding).
struct ConvTransposeParams {
  int64_t batch = 1;
  int64_t c_in = 1, h = 1, w = 1;
  int64_t c_out = 1, kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t output_pad_h = 0, output_pad_w = 0;
  int64_t groups = 1;

  int64_t out_h() const { return stride_h * (h - 1) + output_pad_h + (kh - 1) * dilation_h + 1 - pad_top - pad_bottom; }
  int64_t out_w() const { return stride_w * (w - 1) + output_pad_w + (kw - 1) * dilation_w + 1 - pad_left - pad_right; }
  // The weights as a Conv would hold them, W[c_out][c_in/groups][kh][kw]: the layout in which
  // 1xN blocks, masks and the sparse kernels see a transposed conv (see conv_layout_weights).
  WeightShape weight_shape() const { return WeightShape::conv(c_out, c_in / groups, kh, kw, groups); }
  int64_t input_numel() const { return batch * c_in * h * w; }
  int64_t output_numel() const { return batch * c_out * out_h() * out_w(); }
  int64_t dense_macs() const { return input_numel() * (c_out / groups) * kh * kw; }

  // Throws InvalidArgument naming the bad field (non-positive sizes, negative pads, groups not
  // dividing the channels, negative output_padding, an empty output).
  void validate() const;
  std::string to_string() const;
};

// ConvTranspose weights W[c_in][c_out/g][kh][kw] rearranged to the conv layout of
// p.weight_shape(): out[o][i][ky][kx] = W[g*cin_g + i][o - g*cout_g][ky][kx] for o in group g
// (no flip). A block of N output channels at one input channel is then a conv's 1xN block.
std::vector<float> conv_layout_weights(const ConvTransposeParams& p, const float* w);

// What runs after the multiply-adds, per output value, in this order:
//   y = acc + bias[c] (if bias) ; y += residual (if residual) ; y = activation(y)
// hardswish: y * min(max(y/6 + 1/2, 0), 1) (MobileNetV3).
enum class Activation { none, relu, relu6, clip, hardswish };

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
      case Activation::hardswish: {
        const float t = y * (1.0f / 6.0f) + 0.5f;
        y *= t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
        break;
      }
    }
    return y;
  }
};

}  // namespace onexn
