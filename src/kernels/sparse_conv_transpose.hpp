// Transposed convolutions on the sparse conv kernels, by output phases.
//
// Output row y = py + s*j (phase py of stride s) receives input row iy = j + o(ky) through tap ky
// exactly when (py + pad_top - ky*d) is a multiple of s, with o(ky) = (py + pad_top - ky*d) / s.
// The taps of one phase are evenly spaced in o (by d / gcd(d, s)), so each of the s_h * s_w output
// phases is an ordinary stride-1 convolution of the input: kernel = the phase's taps ordered by
// o, dilation d / gcd(d, s), top padding -min o. Its weights are the transposed conv's weights in
// conv layout (conv_layout_weights) at those taps, so a 1xN block of the transposed conv is a 1xN
// block of every phase conv, and each phase runs on SparseConv with the layer's sparsity. A phase
// is computed into the workspace and scattered to its rows and columns of the output; a phase
// that no tap reaches (kernel smaller than the stride) is the epilogue of zero.
//
// Covered: everything ConvTransposeParams validates; no residual.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/conv_params.hpp"
#include "kernels/sparse_conv.hpp"

namespace onexn::detail {

class SparseConvTranspose {
 public:
  // Empty when p is valid, otherwise why not.
  static std::string unsupported(const ConvTransposeParams& p);

  // conv_weights: p.weight_shape() floats (conv_layout_weights). n: the block size of the packed
  // phase weights; keep_zero_blocks packs every block (a dense kernel), otherwise blocks whose
  // weights are all zero are dropped. Throws InvalidArgument where unsupported() is not empty.
  SparseConvTranspose(const ConvTransposeParams& p, const float* conv_weights, int n,
                      bool keep_zero_blocks);

  int64_t workspace_floats(int threads) const;
  // y = epilogue(conv_transpose(x)); epi.residual must be null. workspace: workspace_floats(threads).
  void run(const float* x, float* y, const Epilogue& epi, int threads, float* workspace) const;
  // The same work split for every phase conv (see SparseConv::set_work_split).
  void set_work_split(WorkSplit split);
  WorkSplit work_split(int threads) const;

  const ConvTransposeParams& params() const { return p_; }
  int64_t stored_values() const;  // of all phase convs (see SparseConv::stored_values)
  std::string kernel_name() const;

 private:
  struct Axis {  // one phase along one axis
    int64_t phase = 0, count = 0;  // output indices phase + s*j, j < count
    int64_t shift = 0;             // phase output j is the phase conv's output j + shift
  };
  struct Phase {
    Axis y, x;
    std::vector<SparseConv> conv;  // empty when no tap reaches the phase
    int64_t conv_h = 0, conv_w = 0;  // the phase conv's output size (>= count)
  };
  ConvTransposeParams p_;
  std::vector<Phase> phases_;
};

}  // namespace onexn::detail
