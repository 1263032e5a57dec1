// The depthwise convolution kernel (depthwise_conv.hpp): per-target code through Highway's dynamic
// dispatch, one call per thread.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/depthwise_conv.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>

#include "kernels/deinterleave.hpp"
#include "kernels/depthwise_conv.hpp"
#include "kernels/epilogue-inl.h"

HWY_BEFORE_NAMESPACE();
namespace onexn::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

// Output vectors computed together along a row: each tap's weight is broadcast once for them.
constexpr int kUnroll = 4;

// dst[0, n) = src[0, n), dst[0, n) = 0: vectors, then the rest (rows are short: a library call
// per row would cost more than the copy).
HWY_INLINE void CopyRun(const float* HWY_RESTRICT src, float* HWY_RESTRICT dst, int64_t n) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + L <= n; i += L) hn::StoreU(hn::LoadU(d, src + i), d, dst + i);
  for (; i < n; ++i) dst[i] = src[i];
}
HWY_INLINE void ZeroRun(float* HWY_RESTRICT dst, int64_t n) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + L <= n; i += L) hn::StoreU(hn::Zero(d), d, dst + i);
  for (; i < n; ++i) dst[i] = 0.0f;
}

// Copies input row `src` (w floats) into `dst` as `s` stride phases of `len` floats each:
// dst[r * len + t] = src[t * s + r - pad], zero outside the row.
void PrepareRow(const float* HWY_RESTRICT src, int64_t w, int64_t pad, int64_t s, int64_t len,
                float* HWY_RESTRICT dst) {
  int64_t first[2] = {0, 0}, t0[2] = {0, 0}, count[2] = {0, 0};
  for (int64_t r = 0; r < s; ++r) {
    float* row = dst + r * len;
    const int64_t c0 = r - pad;  // the input column at t = 0
    const int64_t t_first = c0 >= 0 ? 0 : (-c0 + s - 1) / s;
    const int64_t col = c0 + t_first * s;
    const int64_t n = col < w && t_first < len ? std::min(len - t_first, (w - 1 - col) / s + 1) : 0;
    for (int64_t t = 0; t < std::min(t_first, len); ++t) row[t] = 0.0f;
    ZeroRun(row + std::min(len, t_first + n), len - std::min(len, t_first + n));
    if (s == 1) {
      CopyRun(src + col, row + t_first, n);
    } else if (s == 2) {
      first[r] = col, t0[r] = t_first, count[r] = n;
    } else {
      for (int64_t k = 0; k < n; ++k) row[t_first + k] = src[col + k * s];
    }
  }
  if (s != 2) return;
  // Stride 2: one pass splits the row into its even and odd columns when both phases take all of
  // theirs (the usual case), else an element loop.
  const int64_t even = first[0] == 0 ? 0 : 1;  // the phase that holds the even columns
  const int64_t odd = 1 - even;
  if (first[even] == 0 && first[odd] == 1 && count[even] == (w + 1) / 2 && count[odd] == w / 2) {
    deinterleave2(src, w, dst + even * len + t0[even], dst + odd * len + t0[odd]);
    return;
  }
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t k = 0; k < count[r]; ++k) dst[r * len + t0[r] + k] = src[first[r] + k * 2];
}

// y[0, n) = epilogue(acc) for channel bias b; res, if set, is read at y's positions.
HWY_INLINE void StoreOut(const Epi& e, V acc, float b, const float* res, float* y, int64_t n) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  V v = hn::Add(acc, hn::Set(d, b));
  if (n == L) {
    if (res) v = hn::Add(v, hn::LoadU(d, res));
    hn::StoreU(Activate(e, v), d, y);
    return;
  }
  HWY_ALIGN float buf[hn::MaxLanes(D())];
  hn::Store(v, d, buf);
  for (int64_t i = 0; i < n; ++i) y[i] = ActivateScalar(e, buf[i] + (res ? res[i] : 0.0f));
}

// Output columns [ox, ox + U * L) of R consecutive output rows (the last vectors may run past a
// row's end: they are computed and not stored). rows[r * kh + ky] is the prepared input row of
// output row r's tap row ky, or null where it falls in the padding; tap_at[kx] is where tap
// column kx reads output column 0 in a prepared row. R rows at once give narrow rows R * U
// independent accumulators: one row of one vector would wait on the FMA latency at every tap.
template <int U, int R>
HWY_INLINE void ComputeChunk(const DepthwiseJob& job, const Epi& e, const float* const* rows,
                             const int64_t* tap_at, const float* wk, float bias, const float* res,
                             float* y, int64_t ox) {
  const D d;
  const ConvParams& p = job.p;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  const int64_t out_w = job.out_w;
  V acc[R][U];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) acc[r][u] = hn::Zero(d);
  for (int64_t ky = 0; ky < p.kh; ++ky) {
    const float* w = wk + ky * p.kw;
    for (int64_t kx = 0; kx < p.kw; ++kx) {
      const V wv = hn::Set(d, w[kx]);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const float* row = rows[r * p.kh + ky];
        if (!row) continue;
        const float* src = row + tap_at[kx] + ox;
#pragma GCC unroll 4
        for (int u = 0; u < U; ++u) acc[r][u] = hn::MulAdd(wv, hn::LoadU(d, src + u * L), acc[r][u]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      const int64_t at = ox + u * L;
      if (at < out_w) {
        StoreOut(e, acc[r][u], bias, res ? res + r * out_w + at : nullptr, y + r * out_w + at,
                 std::min(L, out_w - at));
      }
    }
}

// R output rows: kUnroll vectors at a time along them, fewer at their end.
template <int R>
void ComputeRows(const DepthwiseJob& job, const Epi& e, const float* const* rows, const int64_t* tap_at,
                 const float* wk, float bias, const float* res, float* y) {
  const int64_t L = static_cast<int64_t>(hn::Lanes(D()));
  const int64_t out_w = job.out_w;
  int64_t ox = 0;
  for (; ox + kUnroll * L <= out_w; ox += kUnroll * L)
    ComputeChunk<kUnroll, R>(job, e, rows, tap_at, wk, bias, res, y, ox);
  switch ((out_w - ox + L - 1) / L) {
    case 0: return;
    case 1: return ComputeChunk<1, R>(job, e, rows, tap_at, wk, bias, res, y, ox);
    case 2: return ComputeChunk<2, R>(job, e, rows, tap_at, wk, bias, res, y, ox);
    case 3: return ComputeChunk<3, R>(job, e, rows, tap_at, wk, bias, res, y, ox);
    default: return ComputeChunk<kUnroll, R>(job, e, rows, tap_at, wk, bias, res, y, ox);
  }
}

// Output rows computed together: 4 on rows of one or two vectors, 2 on wider ones (8
// accumulators for the 4-vector chunks: 2 rows ran MobileNetV2's 112x112 and 56x56 layers 7-10%
// faster than 1 on Zen 4).
HWY_INLINE int64_t RowsAtOnce(int64_t out_w) {
  const int64_t L = static_cast<int64_t>(hn::Lanes(D()));
  return out_w <= 2 * L ? 4 : 2;
}

// Work items [begin, end): item i is output rows [rb * rows_per_item, ...) of image n, channel co
// with i = (n * c_out + co) * row_blocks + rb. ring: job.ring_rows prepared rows.
void DepthwiseItemsImpl(const DepthwiseJob& job, int64_t begin, int64_t end, float* ring) {
  const ConvParams& p = job.p;
  const Epi e = MakeEpi(job.epi);
  const int64_t oh = p.out_h(), ow = p.out_w();
  const int64_t row_blocks = (oh + job.rows_per_item - 1) / job.rows_per_item;
  const int64_t row_floats = p.stride_w * job.phase_len;
  std::vector<int64_t> tag(static_cast<size_t>(job.ring_rows));
  std::vector<const float*> rows(static_cast<size_t>(4 * p.kh));  // 4: RowsAtOnce's most
  std::vector<int64_t> tap_at(static_cast<size_t>(p.kw));
  for (int64_t kx = 0; kx < p.kw; ++kx) {
    const int64_t col = kx * p.dilation_w;  // the padded column tap kx reads for output column 0
    tap_at[kx] = (col % p.stride_w) * job.phase_len + col / p.stride_w;
  }
  int64_t last_input = -1;
  for (int64_t i = begin; i < end; ++i) {
    const int64_t plane = i / row_blocks, rb = i % row_blocks;  // plane = n * c_out + co
    const int64_t n = plane / p.c_out, co = plane % p.c_out, ci = co / job.multiplier;
    // The ring holds rows of one input plane; the next output channel of the same input channel
    // (a channel multiplier > 1), or the next row block, keeps them.
    const int64_t input = n * p.c_in + ci;
    if (input != last_input) std::fill(tag.begin(), tag.end(), -1);
    last_input = input;
    const float* x = job.x + input * p.h * p.w;
    const float* wk = job.w + co * p.kh * p.kw;
    const float bias = job.epi.bias ? job.epi.bias[co] : 0.0f;
    const int64_t oy_end = std::min(oh, (rb + 1) * job.rows_per_item);
    for (int64_t oy = rb * job.rows_per_item; oy < oy_end;) {
      const int64_t r_count = std::min(RowsAtOnce(ow), oy_end - oy);
      const int64_t R = r_count >= 4 ? 4 : r_count >= 2 ? 2 : 1;
      for (int64_t r = 0; r < R; ++r) {
        for (int64_t ky = 0; ky < p.kh; ++ky) {
          const int64_t iy = (oy + r) * p.stride_h - p.pad_top + ky * p.dilation_h;
          const float*& slot_row = rows[r * p.kh + ky];
          if (iy < 0 || iy >= p.h) {
            slot_row = nullptr;
            continue;
          }
          const int64_t slot = iy % job.ring_rows;
          float* row = ring + slot * row_floats;
          if (tag[slot] != iy) {
            PrepareRow(x + iy * p.w, p.w, p.pad_left, p.stride_w, job.phase_len, row);
            tag[slot] = iy;
          }
          slot_row = row;
        }
      }
      const int64_t out = (plane * oh + oy) * ow;
      const float* res = job.epi.residual ? job.epi.residual + out : nullptr;
      float* y = job.y + out;
      if (R == 4) ComputeRows<4>(job, e, rows.data(), tap_at.data(), wk, bias, res, y);
      else if (R == 2) ComputeRows<2>(job, e, rows.data(), tap_at.data(), wk, bias, res, y);
      else ComputeRows<1>(job, e, rows.data(), tap_at.data(), wk, bias, res, y);
      oy += R;
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
// Floats any target's row loop may read past the last output column: kUnroll vectors of the
// widest target (AVX-512: 16 lanes).
constexpr int64_t kRowSlack = 4 * 16;
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
  // A phase row holds every column a row's loads reach: output columns rounded up to whole
  // unrolled vectors plus the reach of the widest tap.
  phase_len_ = (p.out_w() + kRowSlack - 1) / kRowSlack * kRowSlack + (p.kw - 1) * p.dilation_w / p.stride_w + 1;
  // The input rows of up to 4 output rows computed together.
  ring_rows_ = 3 * p.stride_h + (p.kh - 1) * p.dilation_h + 1;
}

int64_t DepthwiseConv::ring_floats() const { return ring_rows_ * p_.stride_w * phase_len_; }

int64_t DepthwiseConv::workspace_floats(int threads) const { return std::max(threads, 1) * ring_floats(); }

int64_t DepthwiseConv::rows_per_item(int threads) const {
  // Whole planes when there are plenty; else planes cut into row blocks, so that every thread
  // has several items.
  const int64_t planes = p_.batch * p_.c_out, oh = p_.out_h();
  const int64_t want = 8 * int64_t{threads};
  if (planes >= want || oh == 1) return oh;
  return std::max<int64_t>(1, oh * planes / want);
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
  job.phase_len = phase_len_;
  job.ring_rows = ring_rows_;
  job.rows_per_item = rows_per_item(threads);
  job.out_w = p_.out_w();
  const int64_t oh = p_.out_h();
  const int64_t total = p_.batch * p_.c_out * ((oh + job.rows_per_item - 1) / job.rows_per_item);
  const int64_t ring = ring_floats();
  if (threads == 1 || total == 1) {
    HWY_DYNAMIC_DISPATCH(DepthwiseItemsImpl)(job, 0, total, workspace);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = total * t / nt, end = total * (t + 1) / nt;
    if (begin < end) HWY_DYNAMIC_DISPATCH(DepthwiseItemsImpl)(job, begin, end, workspace + t * ring);
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
