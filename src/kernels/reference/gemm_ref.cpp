// The scalar oracle of the GEMM kernel (see kernels/dense_gemm.hpp).
#include "kernels/dense_gemm.hpp"

namespace onexn {

void gemm_block_reference(const GemmOperands& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int64_t W = g.panel_width;
  for (int64_t m = m0; m < m1; ++m) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* b = g.b + (n / W) * g.panel_stride + n % W;
      double sum = 0;
      for (int64_t k = 0; k < g.K; ++k) {
        sum += static_cast<double>(g.a[m * g.a_rs + k * g.a_cs]) * b[k * g.row_stride];
      }
      g.y[m * g.ldy + n] = static_cast<float>(sum);
    }
  }
}

}  // namespace onexn
