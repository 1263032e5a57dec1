// The depthwise convolution kernel (depthwise_conv.hpp): per-target code through Highway's dynamic
// dispatch, one call per thread.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/depthwise_conv.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>

#include "kernels/deinterleave-inl.h"
#include "kernels/depthwise_conv.hpp"
#include "kernels/epilogue-inl.h"

HWY_BEFORE_NAMESPACE();
namespace onexn::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

// Targets whose masked loads and stores touch only the lanes of the mask (x86 from AVX2 on);
// elsewhere Highway emulates a masked store by rewriting the whole vector, which would race
// with the thread writing the next row, so row ends are done lane by lane there.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
constexpr bool kNativeMasks = true;
#else
constexpr bool kNativeMasks = false;
#endif

// dst[0, n) = src[0, n); reads stay within src[0, n). Writes may run up to a vector past n.
HWY_INLINE void CopyRun(const float* HWY_RESTRICT src, float* HWY_RESTRICT dst, int64_t n) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + L <= n; i += L) hn::StoreU(hn::LoadU(d, src + i), d, dst + i);
  if (i == n) return;
  if constexpr (kNativeMasks) {
    hn::StoreU(hn::MaskedLoad(hn::FirstN(d, static_cast<size_t>(n - i)), d, src + i), d, dst + i);
  } else {
    for (; i < n; ++i) dst[i] = src[i];
  }
}

// dst[0, n) = 0, in whole vectors: may write up to a vector past n.
HWY_INLINE void ZeroRun(float* HWY_RESTRICT dst, int64_t n) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t i = 0; i < n; i += L) hn::StoreU(hn::Zero(d), d, dst + i);
}

// Where the input columns go in column phase rx (the same for every row): phase column
// c_first + k reads input column col + k * stride_w, k < count; the rest is padding.
struct PhaseColumns {
  int64_t c_first = 0, col = 0, count = 0;
};

// Fills the phase planes of output rows [oy0, oy1) of input plane x (DepthwiseJob says how they
// are laid out). The planes were zeroed before the first item and the padding columns are never
// written, so a row inside the input only copies its columns and one outside it is zeroed.
// Rows are written in address order: a zeroed row's overshoot past its end lands in the next
// row, written after it, or in the plane's slack.
void FillPhases(const DepthwiseJob& job, const PhaseColumns* cols, bool split2, const float* HWY_RESTRICT x,
                int64_t oy0, int64_t oy1, float* HWY_RESTRICT phases) {
  const ConvParams& p = job.p;
  const int64_t sh = p.stride_h, sw = p.stride_w, wq = job.wq;
  const int64_t rows = (oy1 - oy0) + job.max_row_offset;
  for (int64_t ry = 0; ry < sh; ++ry) {
    if (!job.row_phase_used[ry]) continue;
    float* plane = phases + ry * sw * job.phase_floats;
    for (int64_t lr = 0; lr < rows; ++lr) {
      const int64_t iy = (oy0 + lr) * sh + ry - p.pad_top;
      float* row = plane + lr * wq;
      if (iy < 0 || iy >= p.h) {
        for (int64_t rx = 0; rx < sw; ++rx)
          if (job.col_phase_used[rx]) ZeroRun(row + rx * job.phase_floats, wq);
        continue;
      }
      const float* src = x + iy * p.w;
      if (sw == 1) {
        CopyRun(src + cols[0].col, row + cols[0].c_first, cols[0].count);
      } else if (split2) {
        // Stride 2, both phases taking all of their columns (the usual case): one pass splits
        // the row into its even and odd columns.
        const int64_t even = cols[0].col == 0 ? 0 : 1;  // the phase holding the even columns
        Deinterleave2(src, p.w, row + even * job.phase_floats + cols[even].c_first,
                      row + (1 - even) * job.phase_floats + cols[1 - even].c_first);
      } else {
        for (int64_t rx = 0; rx < sw; ++rx) {
          if (!job.col_phase_used[rx]) continue;
          float* dst = row + rx * job.phase_floats + cols[rx].c_first;
          for (int64_t k = 0; k < cols[rx].count; ++k) dst[k] = src[cols[rx].col + k * sw];
        }
      }
    }
  }
}

// Output vectors computed together: a vector load and a multiply-add per tap and vector, the
// tap's weight broadcast once for all of them.
constexpr int kChunk = 8;

// ob[u * L, (u + 1) * L) for u < U = bias + sum over taps t of w[t] * phases[off[t] + u * L, ...).
// kTaps > 0: that many taps, their weights in registers (wv); 0: `taps` taps, broadcast per use.
template <int U, int kTaps>
HWY_INLINE void ComputeChunk(const float* HWY_RESTRICT base, const int64_t* HWY_RESTRICT off,
                             const float* HWY_RESTRICT wk, int64_t taps, const V* wv, V bias,
                             float* HWY_RESTRICT ob) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  V acc[U];
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) acc[u] = bias;
  const int64_t n = kTaps > 0 ? kTaps : taps;
#pragma GCC unroll 9
  for (int64_t t = 0; t < n; ++t) {
    const V w = kTaps > 0 ? wv[t] : hn::Set(d, wk[t]);
    const float* src = base + off[t];
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) acc[u] = hn::MulAdd(w, hn::LoadU(d, src + u * L), acc[u]);
  }
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) hn::Store(acc[u], d, ob + u * L);
}

// The flat output block ob[0, vectors * L): kChunk vectors at a time, then the rest.
template <int kTaps>
void ComputeBlock(const float* HWY_RESTRICT phases, const int64_t* HWY_RESTRICT off,
                  const float* HWY_RESTRICT wk, int64_t taps, float bias, float* HWY_RESTRICT ob,
                  int64_t vectors) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  V wv[kTaps > 0 ? kTaps : 1];
  if constexpr (kTaps > 0) {
    for (int t = 0; t < kTaps; ++t) wv[t] = hn::Set(d, wk[t]);
  }
  const V b = hn::Set(d, bias);
  int64_t v = 0;
  for (; v + kChunk <= vectors; v += kChunk)
    ComputeChunk<kChunk, kTaps>(phases + v * L, off, wk, taps, wv, b, ob + v * L);
  const float* at = phases + v * L;
  float* out = ob + v * L;
  switch (vectors - v) {
    case 0: return;
    case 1: return ComputeChunk<1, kTaps>(at, off, wk, taps, wv, b, out);
    case 2: return ComputeChunk<2, kTaps>(at, off, wk, taps, wv, b, out);
    case 3: return ComputeChunk<3, kTaps>(at, off, wk, taps, wv, b, out);
    case 4: return ComputeChunk<4, kTaps>(at, off, wk, taps, wv, b, out);
    case 5: return ComputeChunk<5, kTaps>(at, off, wk, taps, wv, b, out);
    case 6: return ComputeChunk<6, kTaps>(at, off, wk, taps, wv, b, out);
    default: return ComputeChunk<7, kTaps>(at, off, wk, taps, wv, b, out);
  }
}

// 3x3 kernels at stride 1 or 2 (dilation 1) on rows of at least half a vector: tiles of R output
// rows x U vectors. An input vector feeds every output row of the tile that reads it (up to
// three at stride 1), so a tile loads (R + 2) x 3 x U vectors at stride 1 for 9 x R x U
// multiply-adds, not one per multiply-add: loads, not multiply-adds, bound the flat loop.
#if HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3 || HWY_ARCH_ARM_V7
constexpr int kTileRows = 3, kTileVectors = 1;  // 16 vector registers: 9 weights, 3 sums, a load
#else
constexpr int kTileRows = 4, kTileVectors = 2;  // 32: 9 weights, 8 sums, loads
#endif

// Whether output row r of a tile reads plane (ry, rx) row j, column offset c, and with which tap.
constexpr int TapOf(int S, int ry, int rx, int j, int c, int r) {
  for (int ky = ry; ky < 3; ky += S) {
    const int kx = c * S + rx;
    if (kx < 3 && j - ky / S == r) return ky * 3 + kx;
  }
  return -1;
}

// v, kept in a register: GCC otherwise folds a load used by several multiply-adds into each
// of them as a memory operand, loading it again for every one (x86 only: elsewhere a
// multiply-add takes no memory operand).
HWY_INLINE V InRegister(V v) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  asm("" : "+v"(v.raw));
#elif HWY_ARCH_X86 && HWY_TARGET <= HWY_SSE4
  asm("" : "+x"(v.raw));
#endif
  return v;
}

template <int S, int R, int U>
HWY_INLINE void RowTile(const float* HWY_RESTRICT base, int64_t wq, int64_t plane_floats, const V* wv, V bias,
                        float* HWY_RESTRICT ob) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  V acc[R][U];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) acc[r][u] = bias;
#pragma GCC unroll 2
  for (int ry = 0; ry < S; ++ry)
#pragma GCC unroll 2
    for (int rx = 0; rx < S; ++rx)
#pragma GCC unroll 8
      for (int j = 0; j < R + 2 / S; ++j)
#pragma GCC unroll 3
        for (int c = 0; c <= 2 / S; ++c) {
          const float* src = base + (ry * S + rx) * plane_floats + j * wq + c;
          V in[U];
#pragma GCC unroll 4
          for (int u = 0; u < U; ++u) in[u] = InRegister(hn::LoadU(d, src + u * L));
#pragma GCC unroll 4
          for (int r = 0; r < R; ++r) {
            const int t = TapOf(S, ry, rx, j, c, r);
            if (t < 0) continue;
#pragma GCC unroll 4
            for (int u = 0; u < U; ++u) acc[r][u] = hn::MulAdd(wv[t], in[u], acc[r][u]);
          }
        }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) hn::StoreU(acc[r][u], d, ob + r * wq + u * L);
}

// Output rows [0, rows) of the block, vectors [0, ceil(out_w / L)) of each, as R x U tiles.
template <int S, int R>
HWY_INLINE void RowTiles(const float* base, int64_t wq, int64_t plane_floats, const V* wv, V bias, float* ob,
                         int64_t vectors) {
  const int64_t L = static_cast<int64_t>(hn::Lanes(D()));
  int64_t v = 0;
  for (; v + kTileVectors <= vectors; v += kTileVectors)
    RowTile<S, R, kTileVectors>(base + v * L, wq, plane_floats, wv, bias, ob + v * L);
  for (; v < vectors; ++v) RowTile<S, R, 1>(base + v * L, wq, plane_floats, wv, bias, ob + v * L);
}

template <int S>
void ComputeRowTiles(const float* HWY_RESTRICT phases, int64_t wq, int64_t plane_floats, const float* HWY_RESTRICT wk,
                     float bias, float* HWY_RESTRICT ob, int64_t rows, int64_t out_w) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  V wv[9];
  for (int t = 0; t < 9; ++t) wv[t] = hn::Set(d, wk[t]);
  const V b = hn::Set(d, bias);
  const int64_t vectors = (out_w + L - 1) / L;
  int64_t r = 0;
  for (; r + kTileRows <= rows; r += kTileRows)
    RowTiles<S, kTileRows>(phases + r * wq, wq, plane_floats, wv, b, ob + r * wq, vectors);
  switch (rows - r) {
    case 0: return;
    case 1: return RowTiles<S, 1>(phases + r * wq, wq, plane_floats, wv, b, ob + r * wq, vectors);
    case 2: return RowTiles<S, 2>(phases + r * wq, wq, plane_floats, wv, b, ob + r * wq, vectors);
    default: return RowTiles<S, 3>(phases + r * wq, wq, plane_floats, wv, b, ob + r * wq, vectors);
  }
}

// y row [0, n) = activation(ob row + residual row): whole vectors, then the row's end.
HWY_INLINE void StoreRow(const Epi& e, const float* HWY_RESTRICT ob, const float* res, float* y, int64_t n) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    V v = hn::LoadU(d, ob + i);
    if (res) v = hn::Add(v, hn::LoadU(d, res + i));
    hn::StoreU(Activate(e, v), d, y + i);
  }
  if (i == n) return;
  if constexpr (kNativeMasks) {
    const auto m = hn::FirstN(d, static_cast<size_t>(n - i));
    V v = hn::LoadU(d, ob + i);
    if (res) v = hn::Add(v, hn::MaskedLoad(m, d, res + i));
    hn::BlendedStore(Activate(e, v), m, d, y + i);
  } else {
    for (; i < n; ++i) y[i] = ActivateScalar(e, ob[i] + (res ? res[i] : 0.0f));
  }
}

// Work items [begin, end): item i is output rows [rb * rows_per_item, ...) of output channel
// co = ci * multiplier + j of image n, i = ((n * c_in + ci) * row_blocks + rb) * multiplier + j,
// so the output channels of one input channel follow each other and share its phase planes.
// work: job.phases_floats phase planes, then job.out_floats of flat output block.
void DepthwiseItemsImpl(const DepthwiseJob& job, int64_t begin, int64_t end, float* work) {
  const ConvParams& p = job.p;
  const Epi e = MakeEpi(job.epi);
  const int64_t oh = p.out_h(), ow = p.out_w(), wq = job.wq;
  const int64_t L = static_cast<int64_t>(hn::Lanes(D()));
  const int64_t row_blocks = (oh + job.rows_per_item - 1) / job.rows_per_item;
  const int64_t taps = p.kh * p.kw;
  std::vector<int64_t> off(static_cast<size_t>(taps));
  for (int64_t ky = 0; ky < p.kh; ++ky) {
    for (int64_t kx = 0; kx < p.kw; ++kx) {
      const int64_t dy = ky * p.dilation_h, dx = kx * p.dilation_w;
      off[ky * p.kw + kx] = ((dy % p.stride_h) * p.stride_w + dx % p.stride_w) * job.phase_floats +
                            (dy / p.stride_h) * wq + dx / p.stride_w;
    }
  }
  // Phase column runs, the same for every row.
  std::vector<PhaseColumns> cols(static_cast<size_t>(p.stride_w));
  for (int64_t rx = 0; rx < p.stride_w; ++rx) {
    const int64_t c0 = rx - p.pad_left;  // the input column phase column 0 reads
    PhaseColumns& c = cols[rx];
    c.c_first = std::min(wq, c0 >= 0 ? 0 : (-c0 + p.stride_w - 1) / p.stride_w);
    c.col = c0 + c.c_first * p.stride_w;
    c.count = c.col < p.w ? std::min(wq - c.c_first, (p.w - 1 - c.col) / p.stride_w + 1) : 0;
  }
  const bool split2 = p.stride_w == 2 && job.col_phase_used[0] && job.col_phase_used[1] &&
                      cols[0].col + cols[1].col == 1 && cols[cols[0].col].count == (p.w + 1) / 2 &&
                      cols[1 - cols[0].col].count == p.w / 2;
  // 3x3 at stride 1 or 2 on rows of at least half a vector: row tiles (their stride), else the
  // flat loop (0), which fills whole vectors on narrower rows.
  const bool tiles = p.kh == 3 && p.kw == 3 && p.dilation_h == 1 && p.dilation_w == 1 &&
                     p.stride_h == p.stride_w && p.stride_h <= 2 && 2 * ow >= L;
  const int row_tiles = tiles ? static_cast<int>(p.stride_h) : 0;
  float* phases = work;
  float* ob = work + job.phases_floats;
  std::fill(phases, ob, 0.0f);
  int64_t filled = -1;  // the (input plane, row block) the phase planes hold
  for (int64_t i = begin; i < end; ++i) {
    const int64_t j = i % job.multiplier, rest = i / job.multiplier;
    const int64_t rb = rest % row_blocks, input = rest / row_blocks;  // input = n * c_in + ci
    const int64_t n = input / p.c_in, co = (input % p.c_in) * job.multiplier + j;
    const int64_t oy0 = rb * job.rows_per_item, oy1 = std::min(oh, oy0 + job.rows_per_item);
    if (rest != filled) FillPhases(job, cols.data(), split2, job.x + input * p.h * p.w, oy0, oy1, phases);
    filled = rest;
    const float* wk = job.w + co * taps;
    const float bias = job.epi.bias ? job.epi.bias[co] : 0.0f;
    if (row_tiles == 1) {
      ComputeRowTiles<1>(phases, wq, job.phase_floats, wk, bias, ob, oy1 - oy0, ow);
    } else if (row_tiles == 2) {
      ComputeRowTiles<2>(phases, wq, job.phase_floats, wk, bias, ob, oy1 - oy0, ow);
    } else {
      const int64_t vectors = ((oy1 - oy0) * wq + L - 1) / L;
      if (taps == 9) ComputeBlock<9>(phases, off.data(), wk, taps, bias, ob, vectors);
      else ComputeBlock<0>(phases, off.data(), wk, taps, bias, ob, vectors);
    }
    const int64_t out = ((n * p.c_out + co) * oh + oy0) * ow;
    for (int64_t r = 0; r < oy1 - oy0; ++r) {
      StoreRow(e, ob + r * wq, job.epi.residual ? job.epi.residual + out + r * ow : nullptr, job.y + out + r * ow, ow);
    }
  }
}

const char* TargetNameImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace onexn::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <fmt/format.h>
#include <omp.h>

#include "kernels/aligned_buffer.hpp"
#include "onexn/error.hpp"

namespace onexn::detail {

HWY_EXPORT(DepthwiseItemsImpl);
HWY_EXPORT(TargetNameImpl);

namespace {
// Floats of phase planes and flat output per thread the row blocks are sized to: with the input
// rows and output rows they touch, about what an L1 data cache holds (32 KB on Zen 3 / 4).
constexpr int64_t kBlockBudget = 6144;
// Floats past each plane's rows that the last vectors' loads may reach: two of the widest
// target's vectors (AVX-512: 16 lanes).
constexpr int64_t kSlack = 2 * 16;
int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }
}  // namespace

std::string DepthwiseConv::unsupported(const ConvParams& p) {
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  if (p.groups != p.c_in) return fmt::format("not depthwise: {} groups for {} input channels", p.groups, p.c_in);
  return {};
}

DepthwiseConv::DepthwiseConv(const ConvParams& p, const float* weights) : p_(p) {
  if (const std::string why = unsupported(p); !why.empty()) throw InvalidArgument(why);
  w_.assign(weights, weights + p.c_out * p.kh * p.kw);
  const int64_t oh = p.out_h(), ow = p.out_w();
  max_row_offset_ = (p.kh - 1) * p.dilation_h / p.stride_h;
  const int64_t max_col_offset = (p.kw - 1) * p.dilation_w / p.stride_w;
  wq_ = ow + max_col_offset;
  const int64_t phases = p.stride_h * p.stride_w;
  block_rows_ = std::clamp<int64_t>(kBlockBudget / ((phases + 1) * wq_), 1, oh);
  phase_floats_ = round_up((block_rows_ + max_row_offset_) * wq_ + max_col_offset + kSlack, 16);
  out_floats_ = round_up(block_rows_ * wq_ + 16, 16);
  row_phase_used_.assign(static_cast<size_t>(p.stride_h), 0);
  col_phase_used_.assign(static_cast<size_t>(p.stride_w), 0);
  for (int64_t ky = 0; ky < p.kh; ++ky) row_phase_used_[ky * p.dilation_h % p.stride_h] = 1;
  for (int64_t kx = 0; kx < p.kw; ++kx) col_phase_used_[kx * p.dilation_w % p.stride_w] = 1;
}

int64_t DepthwiseConv::thread_floats() const { return p_.stride_h * p_.stride_w * phase_floats_ + out_floats_; }

int64_t DepthwiseConv::workspace_floats(int threads) const { return std::max(threads, 1) * thread_floats(); }

int64_t DepthwiseConv::rows_per_item(int threads) const {
  // Whole planes (as far as a block holds them) when there are plenty; else planes cut into
  // row blocks, so that every thread has several items.
  const int64_t planes = p_.batch * p_.c_out, oh = p_.out_h();
  const int64_t want = 8 * int64_t{threads};
  if (planes >= want || oh == 1) return block_rows_;
  return std::clamp<int64_t>(oh * planes / want, 1, block_rows_);
}

void DepthwiseConv::run(const float* x, float* y, const Epilogue& epi, int threads, float* workspace) const {
  threads = std::max(threads, 1);
  DepthwiseJob job;
  job.p = p_;
  job.multiplier = p_.c_out / p_.c_in;
  job.x = x;
  job.w = w_.data();
  job.y = y;
  job.epi = epi;
  job.wq = wq_;
  job.phase_floats = phase_floats_;
  job.phases_floats = p_.stride_h * p_.stride_w * phase_floats_;
  job.max_row_offset = max_row_offset_;
  job.row_phase_used = row_phase_used_.data();
  job.col_phase_used = col_phase_used_.data();
  job.rows_per_item = rows_per_item(threads);
  const int64_t oh = p_.out_h();
  const int64_t total = p_.batch * p_.c_out * ((oh + job.rows_per_item - 1) / job.rows_per_item);
  const int64_t per_thread = thread_floats();
  if (threads == 1 || total == 1) {
    HWY_DYNAMIC_DISPATCH(DepthwiseItemsImpl)(job, 0, total, workspace);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = total * t / nt, end = total * (t + 1) / nt;
    if (begin < end) HWY_DYNAMIC_DISPATCH(DepthwiseItemsImpl)(job, begin, end, workspace + t * per_thread);
  }
}

void DepthwiseConv::run(const float* x, float* y, const Epilogue& epi, int threads) const {
  AlignedBuffer workspace(workspace_floats(threads));
  run(x, y, epi, threads, workspace.data());
}

std::string DepthwiseConv::kernel_name() const {
  return fmt::format("depthwise {} {}x{} s{}", HWY_DYNAMIC_DISPATCH(TargetNameImpl)(), p_.kh, p_.kw,
                     p_.stride_h == p_.stride_w ? std::to_string(p_.stride_h)
                                                : fmt::format("{}x{}", p_.stride_h, p_.stride_w));
}

}  // namespace onexn::detail
#endif
