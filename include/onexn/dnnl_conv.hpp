// Dense 2-D convolution through oneDNN: the dense baseline of the benchmarks and the dense path of
// the runtime. oneDNN types stay out of this header.
//
// Layout::best lets oneDNN pick the activation layouts it runs fastest (blocked, e.g. nChw16c);
// set_input / get_output reorder from and to NCHW, and execute() runs the convolution alone, so a
// benchmark can time what oneDNN does at its best. Layout::nchw runs on plain NCHW tensors.
// Weights are reordered to oneDNN's layout once, at construction. Threads: oneDNN's OpenMP.
#pragma once

#include <memory>
#include <string>

#include "onexn/conv_params.hpp"

namespace onexn {

class DnnlConv {
 public:
  enum class Layout { nchw, best };

  // weights OIHW (c_out * c_in/groups * kh * kw floats). The epilogue's bias and activation are
  // fused; a residual is not supported here (InvalidArgument). Throws Error if oneDNN fails.
  // `threads` is the thread count execute() will be called with: oneDNN fixes its work split
  // when the primitive is created.
  DnnlConv(const ConvParams& p, const float* weights, const Epilogue& epi, Layout layout,
           int threads);
  DnnlConv(DnnlConv&&) noexcept;
  DnnlConv& operator=(DnnlConv&&) noexcept;
  ~DnnlConv();

  void set_input(const float* x_nchw);  // reorders into the internal input buffer
  void execute(int threads);            // the convolution, internal buffers
  void get_output(float* y_nchw);       // reorders out of the internal output buffer
  void run(const float* x_nchw, float* y_nchw, int threads);

  // oneDNN's implementation name, e.g. "brg:avx512_core" or "jit:avx512_core".
  std::string implementation() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onexn
