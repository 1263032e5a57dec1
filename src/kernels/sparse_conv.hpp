// Fast sparse 2-D convolutions over NCHW float32 tensors.
//
// SparseConv::from_1xn runs 1xN block-sparse weights (packed_1xn.hpp); SparseConv::from_csr runs
// unstructured weights stored row by row (CSR), our baseline for unstructured sparsity. Both use
// the same SIMD tile kernels, picked at run time for the CPU (AVX-512, AVX2, SSE4, NEON, scalar),
// and the same threading, so they differ only in what the sparsity pattern allows: a 1xN step
// loads one input vector and uses it for N output channels, a CSR step for one.
//
// Covered: any batch, channels, groups, kernel size, padding, dilation; stride equal along H and W. The epilogue (conv_params.hpp) is fused: bias, residual add, activation.
// Threads: OpenMP, the runtime oneDNN and LibTorch use too, so sparse and dense layers of one
// network share one set of threads instead of oversubscribing the cores.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kernels/conv_params.hpp"
#include "onexn/packed_1xn.hpp"
#include "onexn/weight_shape.hpp"

namespace onexn {

// How the threads of one call share the work. `automatic` splits the pixels when there are at
// least 4 tiles per thread (every thread then does every group, so uneven kept-block counts cannot
// unbalance them), otherwise the groups. The split never changes the result, only the speed.
enum class WorkSplit { automatic, pixels, groups };

class SparseConv {
 public:
  // Throws InvalidArgument when the weights do not fit p, or p is outside what is covered.
  static SparseConv from_1xn(const ConvParams& p, const Packed1xN& weights);
  static SparseConv from_csr(const ConvParams& p, ConstWeightView weights);

  // Copies share the (immutable) plan and weights; each copy has its own work split.
  SparseConv(const SparseConv&);
  SparseConv& operator=(const SparseConv&);
  SparseConv(SparseConv&&) noexcept;
  SparseConv& operator=(SparseConv&&) noexcept;
  ~SparseConv();

  // Scratch a run on `threads` threads needs, in floats (prepared input planes or staged input
  // columns, one copy per thread).
  int64_t workspace_floats(int threads = 1) const;
  // y = epilogue(conv(x)). x: batch * c_in * h * w floats; y: batch * c_out * out_h * out_w;
  // epi.residual, if set, has y's shape. `workspace` holds workspace_floats(threads) floats. Runs on
  // `threads` OpenMP threads. Safe to call concurrently with different workspaces. Any alignment
  // works; y and workspace 64-byte aligned (AlignedBuffer) are faster.
  void run(const float* x, float* y, const Epilogue& epi, int threads, float* workspace) const;
  // The same with a workspace allocated for the call.
  void run(const float* x, float* y, const Epilogue& epi, int threads = 1) const;

  // Forces a split for this object (the runtime times both at load, see docs/runtime.md).
  // Default: automatic.
  void set_work_split(WorkSplit split);
  // The split a run on `threads` threads uses: pixels or groups.
  WorkSplit work_split(int threads) const;

  const ConvParams& params() const;
  // Multiply-adds actually performed per image: stored weights (1xN: kept blocks incl. padding
  // lanes of short groups; CSR: nonzeros) times output pixels.
  int64_t macs_per_image() const;
  // Weights and indices the plan keeps, in 4-byte values.
  int64_t stored_values() const;
  // e.g. "1x16 AVX3 16x1 padded" or "csr AVX3 1x12 direct".
  std::string kernel_name() const;

  struct Plan;

 private:
  explicit SparseConv(std::shared_ptr<const Plan> plan);
  std::shared_ptr<const Plan> plan_;
  WorkSplit split_ = WorkSplit::automatic;
};

}  // namespace onexn
