// SIMD tile kernels of the sparse convolutions, one source for every target through Highway's
// dynamic dispatch (AVX-512, AVX2, SSE4 on x86; NEON on ARM; scalar elsewhere).
//
// Tile contract: a tile computes R output rows x P vectors of L consecutive flattened pixels
// (L = lanes of the target). Its K loop visits the group's steps; each step loads P vectors of
// input at planes + offset[s] + q0 (unaligned) and broadcasts R weights, then does R*P
// multiply-adds: a dense GEMM micro-kernel whose K dimension is indexed. Input loads may run up to
// P*L - 1 floats past the last valid pixel: the operator gives prepared planes that much slack and
// stages the caller's data for the last tile of the direct layout. Weight reads stay within the
// step's lane_stride lanes (R divides lane_stride; padding lanes of short groups are zero).
// Stores never touch invalid pixels or rows.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/spmm_tiles.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <string>

#include "kernels/spmm_job.hpp"
#include "kernels/epilogue-inl.h"

HWY_BEFORE_NAMESPACE();
namespace onexn::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

// Vector registers the tile may fill: 32 on AVX-512 and AArch64, 16 on AVX2, SSE4 and ARMv7.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL || (HWY_ARCH_ARM_A64 && HWY_TARGET == HWY_NEON)
constexpr int kVectorRegisters = 32;
#else
constexpr int kVectorRegisters = 16;
#endif

// x86 targets with 16 registers (AVX2, SSE4) pick their tile by measured rates (TileInfoRated) and
// fill every register; ARMv7 keeps the rule of the 32-register targets, with 8 rows at most and
// 4 registers spare (not measured on hardware: docs/arm.md).
constexpr bool kRatedTiles = kVectorRegisters == 16 && HWY_ARCH_X86;

// Rows per tile for groups of up to max_rows rows: the whole group up to 16 rows (8 with 16
// registers); more rows take several passes over the group's steps.
constexpr int kMaxTileRows = kVectorRegisters == 32 ? 16 : 8;
constexpr int TileRows(int max_rows) { return max_rows < kMaxTileRows ? max_rows : kMaxTileRows; }

// Below this many steps per group a layer is bound by its stores (see TileInfoByRule).
constexpr double kFewSteps = 24;

// Pixel vectors per tile the registers allow for R rows: R * P accumulators, P input vectors and
// one broadcast weight. A few stay spare, except on the rated targets, which use every one (a 4x3
// tile on AVX2: 12 accumulators, 3 input vectors, 1 weight).
constexpr int MaxTileVectors(int rows) {
  const int budget = kRatedTiles ? kVectorRegisters : kVectorRegisters - 4;
  int p = 1;
  while ((rows + 1) * (p + 1) + 1 <= budget && p < 12) ++p;
  return p;
}

// dst[i] = activation(src[i] + res[i]) for i < n (the bias is already in src); unaligned.
HWY_INLINE void ResidualCopy(const Epi& e, const float* HWY_RESTRICT src,
                             const float* HWY_RESTRICT res, float* HWY_RESTRICT dst, int64_t n) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    hn::StoreU(Activate(e, hn::Add(hn::LoadU(d, src + i), hn::LoadU(d, res + i))), d, dst + i);
  }
  for (; i < n; ++i) dst[i] = ActivateScalar(e, src[i] + res[i]);
}

// How many steps ahead the K loop prefetches its input: the steps jump between channel planes
// and taps, which hardware prefetchers do not follow.
constexpr int64_t kPrefetchSteps = 8;

// dst[i] = src[i] for i < n, unaligned: segments of a tile are short (often under one vector),
// too short for a library memcpy call to pay. Overlapping last vector when n >= L.
HWY_INLINE void CopyRun(const float* HWY_RESTRICT src, float* HWY_RESTRICT dst, int64_t n) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  if (n >= L) {
    for (int64_t i = 0; i + L <= n; i += L) hn::StoreU(hn::LoadU(d, src + i), d, dst + i);
    hn::StoreU(hn::LoadU(d, src + n - L), d, dst + n - L);
    return;
  }
  const hn::CappedTag<float, 4> d4;
  const int64_t L4 = static_cast<int64_t>(hn::Lanes(d4));
  int64_t i = 0;
  for (; i + L4 <= n; i += L4) hn::StoreU(hn::LoadU(d4, src + i), d4, dst + i);
  for (; i < n; ++i) dst[i] = src[i];
}

template <int R, int P>
HWY_INLINE void Accumulate(const float* HWY_RESTRICT x, const int32_t* HWY_RESTRICT offset,
                           const float* HWY_RESTRICT w, int64_t lane_stride, int64_t steps,
                           V (&acc)[R][P]) {
  const D d;
  constexpr size_t L = hn::MaxLanes(D());
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) acc[r][p] = hn::Zero(d);
  for (int64_t s = 0; s < steps; ++s) {
    const float* HWY_RESTRICT xs = x + offset[s];
    if (s + kPrefetchSteps < steps) {
      const float* ahead = x + offset[s + kPrefetchSteps];
#pragma GCC unroll 16
      for (int p = 0; p <= P * static_cast<int>(L) / 16; ++p) hwy::Prefetch(ahead + p * 16);
    }
    const float* HWY_RESTRICT ws = w + s * lane_stride;
    V xv[P];
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) xv[p] = hn::LoadU(d, xs + p * L);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const V wr = hn::Set(d, ws[r]);
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p) acc[r][p] = hn::MulAdd(wr, xv[p], acc[r][p]);
    }
  }
}

// Writes rows [row, row + valid_rows) x pixels [q0, q0 + qn) of the tile with the epilogue.
template <int R, int P>
HWY_INLINE void StoreTile(const SpmmJob& job, const Epi& e, V (&acc)[R][P], int64_t row,
                          int valid_rows, int64_t q0, int64_t qn) {
  const D d;
  constexpr int64_t L = static_cast<int64_t>(hn::MaxLanes(D()));
  const float* bias = job.epilogue.bias;
  const float* residual = job.epilogue.residual;
  if (job.row_stride == job.out_w && qn == P * L) {
    // Every pixel of the tile is valid and y is contiguous along q: store from registers.
    for (int r = 0; r < valid_rows; ++r) {
      const int64_t base = (row + r) * job.out_plane + q0;
      const V b = hn::Set(d, bias ? bias[row + r] : 0.0f);
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p) {
        V v = hn::Add(acc[r][p], b);
        if (residual) v = hn::Add(v, hn::LoadU(d, residual + base + p * L));
        hn::StoreU(Activate(e, v), d, job.y + base + p * L);
      }
    }
    return;
  }
  // Otherwise the epilogue runs in registers (all of it unless a residual must be added at the
  // output position first), and the valid runs of each output row are copied from a buffer.
  // (GCC cannot see that only the rows stored here are read back.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
  HWY_ALIGN float buf[R * P * L];
  for (int r = 0; r < valid_rows; ++r) {
    const V b = hn::Set(d, bias ? bias[row + r] : 0.0f);
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) {
      const V v = hn::Add(acc[r][p], b);
      hn::Store(residual ? v : Activate(e, v), d, buf + (r * P + p) * L);
    }
  }
  for (int64_t q = q0; q < q0 + qn;) {
    const int64_t oy = q / job.row_stride, ox = q % job.row_stride;
    const int64_t run_end = std::min(q0 + qn, (oy + 1) * job.row_stride);
    if (ox < job.out_w) {
      const int64_t n = std::min(run_end - q, job.out_w - ox);
      const int64_t out = oy * job.out_w + ox;
      for (int r = 0; r < valid_rows; ++r) {
        const int64_t at = (row + r) * job.out_plane + out;
        const float* src = buf + r * P * L + (q - q0);
        if (residual) {
          ResidualCopy(e, src, residual + at, job.y + at, n);
        } else {
          CopyRun(src, job.y + at, n);
        }
      }
    }
    q = run_end;
  }
#pragma GCC diagnostic pop
}

template <int R, int P>
void RunTiles(const SpmmJob& job, int64_t g_begin, int64_t g_end, int64_t q_begin, int64_t q_end) {
  constexpr int64_t TL = P * static_cast<int64_t>(hn::MaxLanes(D()));
  const Epi e = MakeEpi(job.epilogue);
  const int64_t chunk = std::max(TL, job.q_chunk / TL * TL);
  // Pixels in chunks whose input stays in L2 while every group sweeps the chunk: a group's weights
  // and its output rows are then used tile after tile.
  for (int64_t c0 = q_begin; c0 < q_end; c0 += chunk) {
    const int64_t c1 = std::min(q_end, c0 + chunk);
    for (int64_t g = g_begin; g < g_end; ++g) {
      const int64_t s0 = job.step_begin[g], s1 = job.step_begin[g + 1];
      const int rows = job.rows[g];
      for (int64_t q0 = c0; q0 < c1; q0 += TL) {
        const int64_t qn = std::min(TL, c1 - q0);
        const bool tail = q0 >= job.tail_begin;
        const float* x = tail ? job.tail_planes + (q0 - job.tail_begin) : job.planes + q0;
        const int32_t* offsets = (tail ? job.tail_offset : job.offset) + s0;
        for (int r0 = 0; r0 < rows; r0 += R) {
          V acc[R][P];
          Accumulate<R, P>(x, offsets, job.weights + s0 * job.lane_stride + r0, job.lane_stride,
                           s1 - s0, acc);
          StoreTile<R, P>(job, e, acc, job.row0[g] + r0, std::min(R, rows - r0), q0, qn);
        }
      }
    }
  }
}

template <int R>
void RunRows(const SpmmJob& job, int64_t g0, int64_t g1, int64_t q0, int64_t q1) {
  constexpr int kMax = MaxTileVectors(R);
  switch (std::min(job.vectors, kMax)) {
    case 1: return RunTiles<R, 1>(job, g0, g1, q0, q1);
    case 2: return RunTiles<R, 2>(job, g0, g1, q0, q1);
    case 3: return RunTiles<R, (kMax < 3 ? kMax : 3)>(job, g0, g1, q0, q1);
    default: return RunTiles<R, kMax>(job, g0, g1, q0, q1);
  }
}

void SpmmRunImpl(const SpmmJob& job, int64_t g0, int64_t g1, int64_t q0, int64_t q1) {
  switch (job.tile_rows) {
    case 1: return RunRows<1>(job, g0, g1, q0, q1);
    case 2: return RunRows<2>(job, g0, g1, q0, q1);
    case 4: return RunRows<4>(job, g0, g1, q0, q1);
    case 8: return RunRows<8>(job, g0, g1, q0, q1);
    default: return RunRows<kMaxTileRows>(job, g0, g1, q0, q1);
  }
}

// The tile for a layer on targets other than the rated ones. R: the whole group up to 16 rows (8
// with 16 registers), except that a layer whose groups have few steps (a 1x1 conv with few kept
// input channels) takes 8-row tiles: its time goes into storing outputs, not multiply-adds, and
// 8 rows leave registers for 3 pixel vectors, i.e. longer contiguous stores per output row.
// P: among 1, 2, 3 and the register limit, the widest whose rounding of q_count up to whole tiles
// wastes at most an eighth more than the narrowest's.
SpmmTileInfo TileInfoByRule(int max_rows, int64_t q_count, double steps_per_group) {
  int rows = TileRows(max_rows);
  if (rows == 16 && steps_per_group < kFewSteps) rows = 8;
  const int p_max = MaxTileVectors(rows);
  const int64_t L = static_cast<int64_t>(hn::MaxLanes(D()));
  auto padded = [&](int p) { return (q_count + p * L - 1) / (p * L) * (p * L); };
  int best = 1;
  for (int p : {2, 3, p_max}) {
    if (p > p_max) continue;
    if (padded(p) * 8 <= padded(1) * 9) best = p;
  }
  return {rows, best, static_cast<int>(L), HWY_TARGET};
}

// Throughput of the 16-register tiles relative to each other: GFLOP/s with all data in L1 at 128
// steps (bench/spmm_tiles_benchmark, AVX2 code on a Zen 4, medians of 5), for P = 1, 2, 3 and the
// register limit (7, 5, 3, 1 vectors for 1, 2, 4, 8 rows). An 8-row tile has room for one pixel
// vector only: 9 loads (8 weight broadcasts, 1 input vector) per 8 multiply-adds, where a 4x3
// tile needs 7 per 12.
struct TileRates {
  int rows;
  float rate[4];  // P = 1, 2, 3, MaxTileVectors(rows)
};
constexpr TileRates kTileRates16[] = {
    {1, {15, 29, 36, 47}}, {2, {28, 52, 66, 76}}, {4, {50, 83, 101, 101}}, {8, {72, 72, 72, 72}}};

// The tile for a layer on the rated targets: R is the group up to 8 rows, or 4 for groups of 8
// or more; P is 1, 2, 3 or the register limit; of these the tile with the most useful
// multiply-adds per second: its rate times the share of its pixels that are not rounding of
// q_count up to whole tiles.
SpmmTileInfo TileInfoRated(int max_rows, int64_t q_count) {
  const int64_t L = static_cast<int64_t>(hn::MaxLanes(D()));
  SpmmTileInfo best{1, 1, static_cast<int>(L), HWY_TARGET};
  double best_rate = -1;
  for (const TileRates& t : kTileRates16) {
    const int rows = t.rows;
    if (rows != TileRows(max_rows) && !(rows == 4 && max_rows >= 8)) continue;
    const int ps[4] = {1, 2, 3, MaxTileVectors(rows)};
    for (int i = 0; i < 4; ++i) {
      const int p = std::min(ps[i], MaxTileVectors(rows));
      const int64_t padded = (q_count + p * L - 1) / (p * L) * (p * L);
      const double rate = t.rate[i] * static_cast<double>(q_count) / static_cast<double>(padded);
      if (rate > best_rate) best_rate = rate, best.rows = rows, best.vectors = p;
    }
  }
  return best;
}

SpmmTileInfo TileInfoImpl(int max_rows, int64_t q_count, double steps_per_group) {
  SpmmTileInfo info = kRatedTiles ? TileInfoRated(max_rows, q_count)
                                  : TileInfoByRule(max_rows, q_count, steps_per_group);
  // For measurements: ONEXN_TILE_ROWS / ONEXN_TILE_VECTORS force R (a power of two that divides
  // the group) and P (up to the register limit).
  if (const char* forced = std::getenv("ONEXN_TILE_ROWS")) {
    const int r = std::atoi(forced);
    if (r > 0 && (r & (r - 1)) == 0 && r <= kMaxTileRows && max_rows % r == 0) info.rows = r;
  }
  const int p_max = MaxTileVectors(info.rows);
  if (const char* forced = std::getenv("ONEXN_TILE_VECTORS")) info.vectors = std::atoi(forced);
  info.vectors = std::clamp(info.vectors, 1, p_max);
  if (info.vectors > 3) info.vectors = p_max;
  return info;
}

}  // namespace HWY_NAMESPACE
}  // namespace onexn::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace onexn::detail {

HWY_EXPORT(SpmmRunImpl);
HWY_EXPORT(TileInfoImpl);

void spmm_run(const SpmmJob& job, int64_t g_begin, int64_t g_end, int64_t q_begin, int64_t q_end) {
  HWY_DYNAMIC_DISPATCH(SpmmRunImpl)(job, g_begin, g_end, q_begin, q_end);
}

SpmmTileInfo spmm_tile_info(int max_rows, int64_t q_count, double steps_per_group) {
  return HWY_DYNAMIC_DISPATCH(TileInfoImpl)(max_rows, q_count, steps_per_group);
}

std::string SpmmTileInfo::name() const {
  return std::string(hwy::TargetName(target)) + " " + std::to_string(rows) + "x" +
         std::to_string(vectors);
}

}  // namespace onexn::detail
#endif
