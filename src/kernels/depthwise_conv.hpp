// Depthwise convolutions (groups == input channels, each output channel reading one input
// channel) over NCHW float32, for MobileNet-style networks: our tile kernels run them one row per
// tile, a vector load per multiply-add with no reuse across output channels, and oneDNN runs them
// on a blocked layout with reorders at both ends.
//
// The kernel copies a block of input rows into small per-thread planes, zero-padded and split
// into stride phases, and computes the block's output rows as one flat run of vectors (below), so
// that narrow rows (7 or 14 columns) fill whole vectors as wide ones do and no load needs a
// bounds check.
// Covered: any batch, channels, channel multiplier (c_out = m * c_in), kernel size, padding,
// dilation and strides (H and W independent). The epilogue is fused: bias, residual, activation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/conv_params.hpp"

namespace onexn::detail {

// What one call computes (built by DepthwiseConv, read by the per-target code). A work item is
// a block of output rows of one output channel. Its input rows are first copied into per-thread
// phase planes: stride_h x stride_w planes, plane (ry, rx) holding padded input (r * stride_h +
// ry, c * stride_w + rx) at row r, column c, wq floats per row, zeros where the padding is. Tap
// (ky, kx) of output (oy, ox) is then one plane's (oy + ky * dilation_h / stride_h, ox + kx *
// dilation_w / stride_w), so the block's outputs, taken as one flat run of rows of wq (the
// columns past out_w are computed and dropped), are a sum of K x K shifted runs times one weight
// each: full vectors whatever the row width. The run goes to a flat output block and from there,
// row by row through the epilogue, to y.
struct DepthwiseJob {
  ConvParams p;
  int64_t multiplier = 1;   // output channels per input channel
  const float* x = nullptr;
  const float* w = nullptr;  // [c_out][kh][kw]
  float* y = nullptr;
  Epilogue epi;
  int64_t wq = 0;              // floats per phase plane row: out_w + the widest tap's column offset
  int64_t phase_floats = 0;    // floats per phase plane, slack included
  int64_t phases_floats = 0;   // all phase planes; the flat output block follows them
  int64_t max_row_offset = 0;  // the lowest tap's row offset in its phase plane
  const uint8_t* row_phase_used = nullptr;  // [stride_h]: some tap reads this row phase
  const uint8_t* col_phase_used = nullptr;  // [stride_w]
  int64_t rows_per_item = 0;   // output rows of one work item
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
  int64_t thread_floats() const;  // one thread's phase planes and flat output block
  int64_t rows_per_item(int threads) const;
  ConvParams p_;
  std::vector<float> w_;
  int64_t wq_ = 0, max_row_offset_ = 0;
  int64_t block_rows_ = 0;  // output rows a thread's workspace holds
  int64_t phase_floats_ = 0, out_floats_ = 0;
  std::vector<uint8_t> row_phase_used_, col_phase_used_;
};

}  // namespace onexn::detail
