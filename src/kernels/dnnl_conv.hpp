// Dense 2-D convolution through oneDNN: the dense baseline of the benchmarks and one of the dense
// paths of the runtime. oneDNN types stay out of this header.
//
// Layout::best lets oneDNN pick the activation layouts it runs fastest (blocked, e.g. nChw16c);
// Layout::nchw runs on plain NCHW tensors. Weights are reordered to oneDNN's layout once, at
// construction.
//
// Two ways to run:
// - run(x, y, threads, scratch): NCHW in and out, reorders included for Layout::best; const and
//   safe to call from several threads at once with different scratch buffers. This is what the
//   runtime calls.
// - set_input / execute / get_output: the benchmark's split, so that execute() times the
//   convolution alone on internal buffers (not thread-safe).
// Threads: oneDNN's OpenMP.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kernels/conv_params.hpp"

namespace onexn {

class DnnlConv {
 public:
  enum class Layout { nchw, best };

  // weights OIHW (c_out * c_in/groups * kh * kw floats). The epilogue's bias and activation are
  // fused; a residual is not (InvalidArgument): add it after run(). `threads` is the thread count
  // the convolution will run with: oneDNN fixes its work split when the primitive is created.
  // Throws Error if oneDNN fails.
  DnnlConv(const ConvParams& p, const float* weights, const Epilogue& epi, Layout layout, int threads);
  DnnlConv(DnnlConv&&) noexcept;
  DnnlConv& operator=(DnnlConv&&) noexcept;
  ~DnnlConv();

  // Floats of scratch run() needs: blocked copies of input and output (Layout::best) and oneDNN's
  // own scratchpad.
  int64_t scratch_floats() const;
  void run(const float* x_nchw, float* y_nchw, int threads, float* scratch) const;

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
