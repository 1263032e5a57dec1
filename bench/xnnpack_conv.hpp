// XNNPACK's NCHW convolution, a baseline of the layer benchmarks. For a 1x1 stride-1 convolution
// without padding XNNPACK runs its sparse matrix kernel (SpMM), which skips zero weights and finds
// 1x2 / 1x4 output-channel blocks by itself; other shapes are outside its NCHW path.
#pragma once

#include <memory>

#include "kernels/conv_params.hpp"

namespace onexn::bench {

class XnnpackConv {
 public:
  // True when XNNPACK's sparse NCHW path covers p.
  static bool applies(const ConvParams& p);
  // weights OIHW; bias per channel; outputs clamped to [out_min, out_max]. Throws onexn::Error.
  XnnpackConv(const ConvParams& p, const float* weights, const float* bias, float out_min,
              float out_max, int threads);
  XnnpackConv(XnnpackConv&&) noexcept;
  ~XnnpackConv();
  void run(const float* x, float* y);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onexn::bench
