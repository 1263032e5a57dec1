// Pooling kernels over NCHW float32 planes: MaxPool / AveragePool windows (Pool2d) and global
// max / mean of whole planes. Per-target code through Highway's dynamic dispatch; the scalar
// references are in kernels/reference/pool_ref.hpp.
//
// Pool2d computes each output row in two passes over one padded row of the workspace. First the
// vertical pass: the input rows of the row's window taps reduced (max or sum) column by column,
// written between identity-valued pads (-inf or 0) and split into the stride_w phases of the
// padded row (phase r, element t = padded column t * stride_w + r; stride 2 deinterleaves the
// even and odd columns as it stores). Then the horizontal pass: tap kx of output column ox reads
// padded column ox * stride_w + kx * dilation_w, that is one phase at a fixed offset, so each tap
// is one contiguous vector load across the outputs. Averages divide by the count of their taps.
// Covered: every geometry PoolParams describes whose padded row fits the workspace bound below.
// Results match the reference exactly for max, and to rounding (other summation order) for the
// averages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/pool_params.hpp"

namespace onexn::detail {

// What one call computes (built by Pool2d, read by the per-target code).
struct Pool2dPlan {
  PoolParams p;
  int64_t padded_w = 0;   // padded columns the windows read: (out_w - 1) * stride_w + reach
  int64_t used_w = 0;     // input columns any window reads: [0, used_w)
  int64_t phase_len = 0;  // floats per stride phase: ceil(padded_w / stride_w)
  std::vector<int64_t> tap_at;       // [kw]: offset of tap kx in the phase layout (phase * phase_len + t)
  std::vector<int64_t> row_first;    // [out_h]: first input row of the window inside the input
  std::vector<int64_t> row_count;    // [out_h]: its rows inside the input
  std::vector<float> row_divisor;    // [out_h]: averages: the taps counted along H
  std::vector<float> col_divisor;    // [out_w]: averages: the taps counted along W
};

class Pool2d {
 public:
  // Workspace floats a call may use at most; geometries needing more are not covered.
  static constexpr int64_t kMaxWorkspaceFloats = 8192;
  // Why this geometry is not one the kernel runs, or empty.
  static std::string unsupported(const PoolParams& p);
  // Throws InvalidArgument when unsupported(p) is not empty.
  explicit Pool2d(const PoolParams& p);

  // Floats of scratch per call (per thread): at most kMaxWorkspaceFloats.
  int64_t workspace_floats() const;
  // y[c] = pool(x[c]) for the `planes` consecutive planes of x (in_h x in_w each) and y
  // (out_h x out_w each). workspace: workspace_floats() floats, any alignment.
  void run(const float* x, float* y, int64_t planes, float* workspace) const;

  const PoolParams& params() const { return plan_.p; }
  // e.g. "pool AVX3 max 3x3 s2".
  std::string kernel_name() const;

 private:
  Pool2dPlan plan_;
};

// y[c] = the max (max) or mean (else) of the n floats x[c * n, (c + 1) * n), for c < planes.
// Means are summed in float vectors (not in double as the reference does).
void global_pool(bool max, const float* x, int64_t planes, int64_t n, float* y);

}  // namespace onexn::detail
