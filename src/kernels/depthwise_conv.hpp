// Depthwise convolutions (groups == input channels, each output channel reading one input
// channel) over NCHW float32, for MobileNet-style networks: our tile kernels run them one row per
// tile, a vector load per multiply-add with no reuse across output channels, and oneDNN runs them
// on a blocked layout with reorders at both ends.
//
// Each output row is a sum of K x K shifted input rows times one weight each, computed along the
// row in vectors. Input rows are first copied into a small per-thread ring, zero-padded and, for
// strides > 1, split into their stride phases, so that every tap reads one contiguous vector and
// no load needs a bounds check; each input row is prepared once per channel and row range.
// Covered: any batch, channels, channel multiplier (c_out = m * c_in), kernel size, padding,
// dilation and strides (H and W independent). The epilogue is fused: bias, residual, activation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/conv_params.hpp"

namespace onexn::detail {

// What one call computes (built by DepthwiseConv, read by the per-target code).
struct DepthwiseJob {
  ConvParams p;
  int64_t multiplier = 1;   // output channels per input channel
  const float* x = nullptr;
  const float* w = nullptr;  // [c_out][kh][kw]
  float* y = nullptr;
  Epilogue epi;
  int64_t phase_len = 0;    // floats per stride phase of a prepared row
  int64_t ring_rows = 0;    // prepared rows kept per thread
  int64_t rows_per_item = 0;  // output rows of one work item
  int64_t out_w = 0;          // p.out_w()
};

class DepthwiseConv {
 public:
  // Why these parameters are not a depthwise convolution this kernel runs, or empty.
  static std::string unsupported(const ConvParams& p);
  // weights: [c_out][1][kh][kw], copied. Throws InvalidArgument when unsupported(p) is not empty.
  DepthwiseConv(const ConvParams& p, const float* weights);

  // Scratch of a run on `threads` threads, in floats.
  int64_t workspace_floats(int threads) const;
  // y = epilogue(conv(x)), shapes as ConvParams says; residual, if set, has y's shape. The
  // result does not depend on the thread count.
  void run(const float* x, float* y, const Epilogue& epi, int threads, float* workspace) const;
  // The same with a workspace allocated for the call.
  void run(const float* x, float* y, const Epilogue& epi, int threads = 1) const;

  const ConvParams& params() const { return p_; }
  // Weights kept, in floats.
  int64_t stored_values() const { return static_cast<int64_t>(w_.size()); }
  // e.g. "depthwise AVX3 3x3 s2".
  std::string kernel_name() const;

 private:
  int64_t ring_floats() const;
  int64_t rows_per_item(int threads) const;
  ConvParams p_;
  std::vector<float> w_;
  int64_t phase_len_ = 0, ring_rows_ = 0;
};

}  // namespace onexn::detail
