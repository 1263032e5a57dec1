// Dense float GEMM blocks for the fully connected layers (Gemm, MatMul): Y = A * B, with a SIMD
// kernel through Highway's dynamic dispatch and a scalar reference.
//
// B is read as column panels of W = panel_width columns: element (k, n) at
//   b[(n / W) * panel_stride + k * row_stride + n % W].
// A row-major K x N matrix is the case panel_stride = W, row_stride = ldb (any W); pack_gemm_panels
// rewrites one as contiguous K x W panels (panel_stride = K * W, row_stride = W, the last panel
// zero-padded), which the kernel then streams in order: what a matrix-vector product with large
// constant weights is bound by. gemm_panel_width() is the width that suits this machine's target
// (one tile); the kernel is correct for any W, so panels packed before the target changed (tests,
// ONEXN_MAX_ISA) still read right.
#pragma once

#include <cstdint>
#include <vector>

namespace onexn {

struct GemmOperands {
  int64_t K = 0;
  const float* a = nullptr;  // A element (m, k) at a[m * a_rs + k * a_cs]
  int64_t a_rs = 0, a_cs = 0;
  const float* b = nullptr;  // B element (k, n) as above
  int64_t row_stride = 0, panel_stride = 0, panel_width = 1;
  // Columns n >= N of the last panel can be read (packed panels: zeros); else they are never read.
  bool padded_panels = false;
  float* y = nullptr;  // Y element (m, n) at y[m * ldy + n]
  int64_t ldy = 0;
};

// Columns per B panel on this machine's target (a multiple of its vector lanes).
int64_t gemm_panel_width();

// Y[m0:m1, n0:n1] = A[m0:m1, :] * B[:, n0:n1]; n0 must be a multiple of panel_width. Each
// output is one multiply-add chain over k in order, so it does not depend on the blocking.
void gemm_block(const GemmOperands& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

// The same from the definition, in double precision: the oracle of the tests.
void gemm_block_reference(const GemmOperands& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

// B (K x N, row-major with row stride ldb) as panels of width W: ceil(N / W) * K * W floats.
std::vector<float> pack_gemm_panels(const float* b, int64_t K, int64_t N, int64_t ldb, int64_t W);

}  // namespace onexn
