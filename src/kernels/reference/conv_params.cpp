#include "kernels/conv_params.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "onexn/error.hpp"

namespace onexn {

void ConvParams::validate() const {
  auto fail = [&](const std::string& what) {
    throw InvalidArgument("convolution " + to_string() + ": " + what);
  };
  if (batch <= 0 || c_in <= 0 || h <= 0 || w <= 0 || c_out <= 0 || kh <= 0 || kw <= 0) {
    fail("sizes must be positive");
  }
  if (stride_h <= 0 || stride_w <= 0 || dilation_h <= 0 || dilation_w <= 0) {
    fail("strides and dilations must be positive");
  }
  if (pad_top < 0 || pad_left < 0 || pad_bottom < 0 || pad_right < 0) fail("padding must be >= 0");
  if (groups <= 0 || c_in % groups != 0 || c_out % groups != 0) {
    fail("groups must divide both c_in and c_out");
  }
  // Checked before out_h() / out_w(), whose integer division rounds a negative extent toward zero.
  if (h + pad_top + pad_bottom < dilation_h * (kh - 1) + 1 ||
      w + pad_left + pad_right < dilation_w * (kw - 1) + 1) {
    fail("the kernel does not fit the padded input (the output would be empty)");
  }
}

std::string ConvParams::to_string() const {
  return fmt::format("mb{}ic{}ih{}iw{}oc{}kh{}kw{}sh{}sw{}pt{}pl{}pb{}pr{}dh{}dw{}g{}", batch, c_in,
                     h, w, c_out, kh, kw, stride_h, stride_w, pad_top, pad_left, pad_bottom,
                     pad_right, dilation_h, dilation_w, groups);
}

void ConvTransposeParams::validate() const {
  auto fail = [&](const std::string& what) {
    throw InvalidArgument("transposed convolution " + to_string() + ": " + what);
  };
  if (batch <= 0 || c_in <= 0 || h <= 0 || w <= 0 || c_out <= 0 || kh <= 0 || kw <= 0) {
    fail("sizes must be positive");
  }
  if (stride_h <= 0 || stride_w <= 0 || dilation_h <= 0 || dilation_w <= 0) {
    fail("strides and dilations must be positive");
  }
  if (pad_top < 0 || pad_left < 0 || pad_bottom < 0 || pad_right < 0) fail("padding must be >= 0");
  if (output_pad_h < 0 || output_pad_w < 0) fail("output_padding must be >= 0");
  if (groups <= 0 || c_in % groups != 0 || c_out % groups != 0) {
    fail("groups must divide both c_in and c_out");
  }
  if (out_h() <= 0 || out_w() <= 0) fail("the padding leaves an empty output");
}

std::string ConvTransposeParams::to_string() const {
  return fmt::format("mb{}ic{}ih{}iw{}oc{}kh{}kw{}sh{}sw{}pt{}pl{}pb{}pr{}dh{}dw{}oph{}opw{}g{}", batch,
                     c_in, h, w, c_out, kh, kw, stride_h, stride_w, pad_top, pad_left, pad_bottom,
                     pad_right, dilation_h, dilation_w, output_pad_h, output_pad_w, groups);
}

std::vector<float> conv_layout_weights(const ConvTransposeParams& p, const float* w) {
  // The same conversion OnnxModel applies when pruning reads a ConvTranspose's weights, so the
  // kernels and the masks see one block definition.
  const WeightShape s = p.weight_shape();
  return oihw_from_iohw({w, static_cast<size_t>(s.numel())}, s);
}

}  // namespace onexn
