// Copies where each output element comes from an affine position in the input: Slice (start and
// step per dim) and Transpose (permuted strides) are both
//     out[i_0, ..., i_{r-1}] = in[base + sum_d i_d * step_d]     (steps in elements, any sign)
// Dims are merged where the map stays affine across them, so the innermost loop is as long as
// possible and a plain memcpy when its step is 1.
#pragma once

#include <cstdint>
#include <cstring>

#include "runtime/op.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime::ops {

struct StridedCopy {
  Shape dims;   // output dims after merging; at least one
  Shape steps;  // input step per output dim
  int64_t base = 0;
  int64_t total = 0;  // output elements
};

// `dims` and `steps` per output dim, before merging.
StridedCopy plan_strided_copy(const Shape& dims, const Shape& steps, int64_t base);

template <typename T>
void run_strided_copy(const StridedCopy& p, const T* in, T* out, int threads) {
  if (p.total == 0) return;
  const size_t last = p.dims.size() - 1;
  const int64_t inner = p.dims[last], step = p.steps[last];
  int64_t rows = 1;
  for (size_t d = 0; d < last; ++d) rows *= p.dims[d];
#pragma omp parallel for num_threads(threads) if (p.total > kParallelMin) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t off = p.base, rest = r;
    for (size_t d = last; d-- > 0;) {
      off += (rest % p.dims[d]) * p.steps[d];
      rest /= p.dims[d];
    }
    const T* src = in + off;
    T* dst = out + r * inner;
    if (step == 1) {
      std::memcpy(dst, src, static_cast<size_t>(inner) * sizeof(T));
    } else {
      for (int64_t k = 0; k < inner; ++k) dst[k] = src[k * step];
    }
  }
}

}  // namespace onexn::runtime::ops
