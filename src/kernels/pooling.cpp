// The pooling kernels (pooling.hpp): per-target code through Highway's dynamic dispatch. The
// callers split the planes among threads.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/pooling.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <limits>

#include "kernels/pooling.hpp"

HWY_BEFORE_NAMESPACE();
namespace onexn::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

template <bool kMax>
HWY_INLINE V Combine(V a, V b) {
  if constexpr (kMax) return hn::Max(a, b);
  else return hn::Add(a, b);
}
template <bool kMax>
HWY_INLINE float CombineScalar(float a, float b) {
  if constexpr (kMax) return std::max(a, b);
  else return a + b;
}
template <bool kMax>
constexpr float Identity() {
  return kMax ? -std::numeric_limits<float>::infinity() : 0.0f;
}

// Columns [c, c + L) of `rows` input rows `step` floats apart from x0, reduced. kRows > 0 fixes
// the count (the common 2 and 3 unrolled), else `rows` says it.
template <bool kMax, int kRows>
HWY_INLINE V ColumnsAt(const float* HWY_RESTRICT x0, int64_t step, int64_t rows, int64_t c) {
  const D d;
  if constexpr (kRows > 0) rows = kRows;
  V acc = hn::LoadU(d, x0 + c);
  for (int64_t r = 1; r < rows; ++r) acc = Combine<kMax>(acc, hn::LoadU(d, x0 + r * step + c));
  return acc;
}
template <bool kMax>
HWY_INLINE float ColumnAt(const float* HWY_RESTRICT x0, int64_t step, int64_t rows, int64_t c) {
  float acc = x0[c];
  for (int64_t r = 1; r < rows; ++r) acc = CombineScalar<kMax>(acc, x0[r * step + c]);
  return acc;
}

// The vertical pass of one output row: input columns [0, used_w) of the window's rows, reduced,
// stored at padded column pad_left + c in the phase layout. Rows of at least one vector (two
// for stride 2) end on a vector that overlaps the one before it: it stores the same values again.
template <bool kMax, int kRows>
void VerticalPass(const Pool2dPlan& plan, const float* HWY_RESTRICT x0, int64_t step, int64_t rows,
                  float* HWY_RESTRICT phases, float* HWY_RESTRICT tmp) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  const int64_t s = plan.p.stride_w, pl = plan.p.pad_left, used = plan.used_w, len = plan.phase_len;
  if (s == 1 && used >= L) {
    float* dst = phases + pl;
    for (int64_t c = 0;; c += L) {
      c = std::min(c, used - L);
      hn::StoreU(ColumnsAt<kMax, kRows>(x0, step, rows, c), d, dst + c);
      if (c == used - L) return;
    }
  }
#if HWY_TARGET != HWY_SCALAR  // the scalar target has no ConcatEven / ConcatOdd
  if (s == 2 && used >= 2 * L) {
    for (int64_t c = 0;; c += 2 * L) {
      c = std::min(c, used - 2 * L);
      const V lo = ColumnsAt<kMax, kRows>(x0, step, rows, c), hi = ColumnsAt<kMax, kRows>(x0, step, rows, c + L);
      // Input column c + 2k is padded column q + 2k: phase q % 2, element q / 2 + k.
      const int64_t q = c + pl;
      hn::StoreU(hn::ConcatEven(d, hi, lo), d, phases + (q % 2) * len + q / 2);
      hn::StoreU(hn::ConcatOdd(d, hi, lo), d, phases + ((q + 1) % 2) * len + (q + 1) / 2);
      if (c == used - 2 * L) return;
    }
  }
#endif
  if (s > 2 && used >= L) {
    for (int64_t c = 0;; c += L) {
      c = std::min(c, used - L);
      hn::StoreU(ColumnsAt<kMax, kRows>(x0, step, rows, c), d, tmp + c);
      if (c == used - L) break;
    }
    for (int64_t c = 0; c < used; ++c) {
      const int64_t q = c + pl;
      phases[(q % s) * len + q / s] = tmp[c];
    }
    return;
  }
  for (int64_t c = 0; c < used; ++c) {
    const int64_t q = c + pl;
    phases[(q % s) * len + q / s] = ColumnAt<kMax>(x0, step, rows, c);
  }
}

// The horizontal pass: y[ox] = the reduction of the kw taps of output column ox, divided by the
// count of its taps for averages.
template <bool kMax, int kTaps>
void HorizontalPass(const Pool2dPlan& plan, const float* HWY_RESTRICT phases, float row_divisor,
                    float* HWY_RESTRICT y) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  const int64_t out_w = plan.p.out_w, kw = kTaps > 0 ? kTaps : plan.p.kw;
  const int64_t* tap_at = plan.tap_at.data();
  const float* col_divisor = plan.col_divisor.data();
  if (out_w >= L) {
    const V rd = hn::Set(d, row_divisor);
    for (int64_t ox = 0;; ox += L) {
      ox = std::min(ox, out_w - L);
      V acc = hn::LoadU(d, phases + tap_at[0] + ox);
      for (int64_t kx = 1; kx < kw; ++kx) acc = Combine<kMax>(acc, hn::LoadU(d, phases + tap_at[kx] + ox));
      if constexpr (!kMax) acc = hn::Div(acc, hn::Mul(rd, hn::LoadU(d, col_divisor + ox)));
      hn::StoreU(acc, d, y + ox);
      if (ox == out_w - L) return;
    }
  }
  for (int64_t ox = 0; ox < out_w; ++ox) {
    float acc = phases[tap_at[0] + ox];
    for (int64_t kx = 1; kx < kw; ++kx) acc = CombineScalar<kMax>(acc, phases[tap_at[kx] + ox]);
    if constexpr (!kMax) acc /= row_divisor * col_divisor[ox];
    y[ox] = acc;
  }
}

// The window rows of one output row: 2 and 3 (3x3 windows and their borders) unrolled.
template <bool kMax>
void VerticalPassAny(const Pool2dPlan& plan, const float* HWY_RESTRICT x0, int64_t step, int64_t rows,
                     float* HWY_RESTRICT phases, float* HWY_RESTRICT tmp) {
  if (rows == 3) return VerticalPass<kMax, 3>(plan, x0, step, rows, phases, tmp);
  if (rows == 2) return VerticalPass<kMax, 2>(plan, x0, step, rows, phases, tmp);
  VerticalPass<kMax, 0>(plan, x0, step, rows, phases, tmp);
}

template <bool kMax, int kTaps>
void PoolPlanes(const Pool2dPlan& plan, const float* x, float* y, int64_t planes, float* ws) {
  const PoolParams& p = plan.p;
  const int64_t phase_floats = p.stride_w * plan.phase_len;
  // The pads (and the unread ends of the shorter phases) hold the identity; the vertical passes
  // overwrite the same data columns on every row.
  std::fill_n(ws, phase_floats, Identity<kMax>());
  float* tmp = ws + phase_floats;
  const int64_t step = p.dilation_h * p.in_w;
  for (int64_t c = 0; c < planes; ++c) {
    const float* xc = x + c * p.in_h * p.in_w;
    float* yc = y + c * p.out_h * p.out_w;
    for (int64_t oy = 0; oy < p.out_h; ++oy) {
      VerticalPassAny<kMax>(plan, xc + plan.row_first[oy] * p.in_w, step, plan.row_count[oy], ws, tmp);
      HorizontalPass<kMax, kTaps>(plan, ws, kMax ? 1.0f : plan.row_divisor[oy], yc + oy * p.out_w);
    }
  }
}

// Windows 2 and 3 wide unrolled.
template <bool kMax>
void PoolPlanesAny(const Pool2dPlan& plan, const float* x, float* y, int64_t planes, float* ws) {
  if (plan.p.kw == 3) return PoolPlanes<kMax, 3>(plan, x, y, planes, ws);
  if (plan.p.kw == 2) return PoolPlanes<kMax, 2>(plan, x, y, planes, ws);
  PoolPlanes<kMax, 0>(plan, x, y, planes, ws);
}

void Pool2dImpl(const Pool2dPlan& plan, const float* x, float* y, int64_t planes, float* ws) {
  if (plan.p.kind == PoolKind::max) PoolPlanesAny<true>(plan, x, y, planes, ws);
  else PoolPlanesAny<false>(plan, x, y, planes, ws);
}

// The n floats of x reduced: four vector accumulators, then single vectors, then the rest.
template <bool kMax>
float PlaneReduce(const float* HWY_RESTRICT x, int64_t n) {
  const D d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  V a0 = hn::Set(d, Identity<kMax>()), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    a0 = Combine<kMax>(a0, hn::LoadU(d, x + i));
    a1 = Combine<kMax>(a1, hn::LoadU(d, x + i + L));
    a2 = Combine<kMax>(a2, hn::LoadU(d, x + i + 2 * L));
    a3 = Combine<kMax>(a3, hn::LoadU(d, x + i + 3 * L));
  }
  for (; i + L <= n; i += L) a0 = Combine<kMax>(a0, hn::LoadU(d, x + i));
  const V a = Combine<kMax>(Combine<kMax>(a0, a1), Combine<kMax>(a2, a3));
  float r = kMax ? hn::GetLane(hn::MaxOfLanes(d, a)) : hn::GetLane(hn::SumOfLanes(d, a));
  for (; i < n; ++i) r = CombineScalar<kMax>(r, x[i]);
  return r;
}

void GlobalPoolImpl(bool max, const float* x, int64_t planes, int64_t n, float* y) {
  if (max) {
    for (int64_t c = 0; c < planes; ++c) y[c] = PlaneReduce<true>(x + c * n, n);
  } else {
    const float scale = 1.0f / static_cast<float>(n);
    for (int64_t c = 0; c < planes; ++c) y[c] = PlaneReduce<false>(x + c * n, n) * scale;
  }
}

const char* PoolTargetNameImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace onexn::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <fmt/format.h>

#include "onexn/error.hpp"

namespace onexn::detail {

HWY_EXPORT(Pool2dImpl);
HWY_EXPORT(GlobalPoolImpl);
HWY_EXPORT(PoolTargetNameImpl);

namespace {

int64_t padded_width(const PoolParams& p) { return (p.out_w - 1) * p.stride_w + (p.kw - 1) * p.dilation_w + 1; }

int64_t workspace_for(const PoolParams& p) {
  const int64_t padded = padded_width(p);
  const int64_t phases = p.stride_w * ((padded + p.stride_w - 1) / p.stride_w);
  const int64_t used = std::min(p.in_w, padded - p.pad_left);
  return phases + (p.stride_w > 2 ? used : 0);
}

}  // namespace

std::string Pool2d::unsupported(const PoolParams& p) {
  if (p.in_h < 1 || p.in_w < 1 || p.out_h < 1 || p.out_w < 1 || p.kh < 1 || p.kw < 1 || p.stride_h < 1 ||
      p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1 || p.pad_top < 0 || p.pad_left < 0 ||
      p.pad_bottom < 0 || p.pad_right < 0) {
    return fmt::format("invalid pooling geometry {}", p.to_string());
  }
  // Bounds that keep workspace_for's arithmetic in range before it is asked.
  if (p.out_w > kMaxWorkspaceFloats || p.kw > kMaxWorkspaceFloats || p.dilation_w > kMaxWorkspaceFloats ||
      p.stride_w > kMaxWorkspaceFloats || workspace_for(p) > kMaxWorkspaceFloats) {
    return fmt::format("the padded row of {} needs more than {} floats of workspace", p.to_string(),
                       kMaxWorkspaceFloats);
  }
  for (int64_t oy = 0; oy < p.out_h; ++oy) {
    const PoolTaps t = pool_taps(oy * p.stride_h - p.pad_top, p.kh, p.dilation_h, p.in_h, p.pad_top, p.pad_bottom);
    if (t.last <= t.first) return fmt::format("output row {} of {} has no tap inside the input", oy, p.to_string());
  }
  for (int64_t ox = 0; ox < p.out_w; ++ox) {
    const PoolTaps t = pool_taps(ox * p.stride_w - p.pad_left, p.kw, p.dilation_w, p.in_w, p.pad_left, p.pad_right);
    if (t.last <= t.first) return fmt::format("output column {} of {} has no tap inside the input", ox, p.to_string());
  }
  return {};
}

Pool2d::Pool2d(const PoolParams& p) {
  if (const std::string why = unsupported(p); !why.empty()) throw InvalidArgument(why);
  Pool2dPlan& plan = plan_;
  plan.p = p;
  plan.padded_w = padded_width(p);
  plan.used_w = std::min(p.in_w, plan.padded_w - p.pad_left);
  plan.phase_len = (plan.padded_w + p.stride_w - 1) / p.stride_w;
  for (int64_t kx = 0; kx < p.kw; ++kx) {
    const int64_t col = kx * p.dilation_w;  // the padded column tap kx reads for output column 0
    plan.tap_at.push_back((col % p.stride_w) * plan.phase_len + col / p.stride_w);
  }
  const bool count_pad = p.kind == PoolKind::average_count_pad;
  for (int64_t oy = 0; oy < p.out_h; ++oy) {
    const int64_t start = oy * p.stride_h - p.pad_top;
    const PoolTaps t = pool_taps(start, p.kh, p.dilation_h, p.in_h, p.pad_top, p.pad_bottom);
    plan.row_first.push_back(start + t.first * p.dilation_h);
    plan.row_count.push_back(t.last - t.first);
    plan.row_divisor.push_back(static_cast<float>(count_pad ? t.padded : t.last - t.first));
  }
  for (int64_t ox = 0; ox < p.out_w; ++ox) {
    const PoolTaps t = pool_taps(ox * p.stride_w - p.pad_left, p.kw, p.dilation_w, p.in_w, p.pad_left, p.pad_right);
    plan.col_divisor.push_back(static_cast<float>(count_pad ? t.padded : t.last - t.first));
  }
}

int64_t Pool2d::workspace_floats() const { return workspace_for(plan_.p); }

void Pool2d::run(const float* x, float* y, int64_t planes, float* workspace) const {
  if (planes > 0) HWY_DYNAMIC_DISPATCH(Pool2dImpl)(plan_, x, y, planes, workspace);
}

std::string Pool2d::kernel_name() const {
  const PoolParams& p = plan_.p;
  return fmt::format("pool {} {} {}x{} s{}", HWY_DYNAMIC_DISPATCH(PoolTargetNameImpl)(),
                     p.kind == PoolKind::max ? "max" : "avg", p.kh, p.kw,
                     p.stride_h == p.stride_w ? std::to_string(p.stride_h) : fmt::format("{}x{}", p.stride_h, p.stride_w));
}

void global_pool(bool max, const float* x, int64_t planes, int64_t n, float* y) {
  if (planes <= 0) return;
  if (n <= 0) {
    std::fill_n(y, planes, max ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN());
    return;
  }
  HWY_DYNAMIC_DISPATCH(GlobalPoolImpl)(max, x, planes, n, y);
}

}  // namespace onexn::detail
#endif
