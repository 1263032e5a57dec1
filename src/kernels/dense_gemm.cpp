// The GEMM kernel of the fully connected layers (see dense_gemm.hpp), one source for every target
// through Highway's dynamic dispatch.
//
// A tile is R rows x P vectors of B's columns (one panel: W = P * L columns): R * P accumulators
// stay in registers over the whole K loop; each k step loads P vectors of B's row k and
// broadcasts R elements of A. Every output is one MulAdd chain over k in order. Rows: 4 per tile
// with 32 vector registers (16 accumulators), 2 with 16; a panel's K x W block of B is read once
// per R rows, from cache after the first (ResNet-50's fc: K = 2048, W = 64 on AVX-512: 512 KB).
// Columns of the last panel past N: with padded panels all its vectors are loaded and only the
// valid columns stored; otherwise the whole vectors run as a narrower tile and the last few
// columns (fewer than L) as a scalar chain. Panels of another width than this target's tile
// (packed under another target) are read in chunks of the tile's width.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/dense_gemm.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>

#include "kernels/dense_gemm.hpp"

HWY_BEFORE_NAMESPACE();
namespace onexn::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

constexpr int kPanelVectors = 4;
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL || (HWY_ARCH_ARM_A64 && HWY_TARGET == HWY_NEON)
constexpr int kTileRows = 4;
#else
constexpr int kTileRows = 2;
#endif

int64_t PanelWidthImpl() { return kPanelVectors * static_cast<int64_t>(hn::Lanes(D())); }

// Rows m..m+R-1, the P vectors of columns at b (row k at b + k * row_stride); stores the first
// `cols` columns (cols <= P * L) to y_rows.
template <int R, int P>
HWY_INLINE void Tile(const GemmOperands& g, int64_t m, const float* HWY_RESTRICT b, float* y,
                     int64_t cols) {
  const D d;
  constexpr int64_t L = static_cast<int64_t>(hn::MaxLanes(D()));
  V acc[R][P];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) acc[r][p] = hn::Zero(d);
  const float* a[R];
  for (int r = 0; r < R; ++r) a[r] = g.a + (m + r) * g.a_rs;
  for (int64_t k = 0; k < g.K; ++k) {
    const float* HWY_RESTRICT bk = b + k * g.row_stride;
    V bv[P];
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) bv[p] = hn::LoadU(d, bk + p * L);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const V av = hn::Set(d, a[r][k * g.a_cs]);
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p) acc[r][p] = hn::MulAdd(av, bv[p], acc[r][p]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float* yr = y + (m + r) * g.ldy;
    if (cols == P * L) {
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p) hn::StoreU(acc[r][p], d, yr + p * L);
    } else {
      HWY_ALIGN float buf[P * L];
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p) hn::Store(acc[r][p], d, buf + p * L);
      std::copy_n(buf, cols, yr);
    }
  }
}

template <int R>
void TileOfVectors(const GemmOperands& g, int64_t m, const float* b, float* y, int64_t vectors,
                   int64_t cols) {
  switch (vectors) {
    case 1: return Tile<R, 1>(g, m, b, y, cols);
    case 2: return Tile<R, 2>(g, m, b, y, cols);
    case 3: return Tile<R, 3>(g, m, b, y, cols);
    default: return Tile<R, kPanelVectors>(g, m, b, y, cols);
  }
}

// Rows [m0, m1) of one panel (its first `cols` columns valid, at b; outputs at y), in chunks of
// one tile's width. A chunk's whole vectors run as tiles (with padded panels, every vector that
// lies inside the panel); the columns left, fewer than L, as one scalar chain per output.
void PanelRows(const GemmOperands& g, int64_t m0, int64_t m1, const float* b, float* y,
               int64_t cols) {
  const int64_t L = static_cast<int64_t>(hn::Lanes(D()));
  const int64_t tile = kPanelVectors * L;
  for (int64_t c0 = 0; c0 < cols; c0 += tile) {
    const int64_t valid = std::min(tile, cols - c0);
    const int64_t readable = g.padded_panels ? std::min(tile, g.panel_width - c0) : valid;
    const int64_t vectors = readable / L;
    const int64_t vector_cols = std::min(valid, vectors * L);
    if (vectors > 0) {
      int64_t m = m0;
      for (; m + kTileRows <= m1; m += kTileRows) {
        TileOfVectors<kTileRows>(g, m, b + c0, y + c0, vectors, vector_cols);
      }
      for (; m < m1; ++m) TileOfVectors<1>(g, m, b + c0, y + c0, vectors, vector_cols);
    }
    for (int64_t c = c0 + vector_cols; c < c0 + valid; ++c) {
      for (int64_t m = m0; m < m1; ++m) {
        const float* am = g.a + m * g.a_rs;
        float sum = 0.0f;
        for (int64_t k = 0; k < g.K; ++k) sum += am[k * g.a_cs] * b[k * g.row_stride + c];
        y[m * g.ldy + c] = sum;
      }
    }
  }
}

void GemmBlockImpl(const GemmOperands& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int64_t W = g.panel_width;
  for (int64_t n = n0; n < n1; n += W) {
    const float* b = g.b + (n / W) * g.panel_stride;
    PanelRows(g, m0, m1, b, g.y + n, std::min(W, n1 - n));
  }
}

}  // namespace onexn::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace onexn {

HWY_EXPORT(PanelWidthImpl);
HWY_EXPORT(GemmBlockImpl);

int64_t gemm_panel_width() { return HWY_DYNAMIC_DISPATCH(PanelWidthImpl)(); }

void gemm_block(const GemmOperands& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  HWY_DYNAMIC_DISPATCH(GemmBlockImpl)(g, m0, m1, n0, n1);
}

std::vector<float> pack_gemm_panels(const float* b, int64_t K, int64_t N, int64_t ldb, int64_t W) {
  const int64_t panels = (N + W - 1) / W;
  std::vector<float> out(static_cast<size_t>(panels * K * W), 0.0f);
  for (int64_t p = 0; p < panels; ++p) {
    const int64_t n0 = p * W, cols = std::min(W, N - n0);
    for (int64_t k = 0; k < K; ++k) std::copy_n(b + k * ldb + n0, cols, out.data() + (p * K + k) * W);
  }
  return out;
}

}  // namespace onexn
#endif
