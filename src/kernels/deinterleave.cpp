// Splitting a row of floats into its even and odd elements, for the stride-2 input planes.
// SIMD through Highway's dynamic dispatch; a scalar loop finishes the row.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/deinterleave.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "kernels/deinterleave.hpp"

HWY_BEFORE_NAMESPACE();
namespace onexn::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void Deinterleave2Impl(const float* HWY_RESTRICT src, int64_t n, float* HWY_RESTRICT even,
                       float* HWY_RESTRICT odd) {
  int64_t i = 0;
#if HWY_TARGET != HWY_SCALAR  // the scalar target has no ConcatEven / ConcatOdd
  const hn::ScalableTag<float> d;
  const int64_t L = static_cast<int64_t>(hn::Lanes(d));
  for (; i + 2 * L <= n; i += 2 * L) {
    const auto lo = hn::LoadU(d, src + i);
    const auto hi = hn::LoadU(d, src + i + L);
    hn::StoreU(hn::ConcatEven(d, hi, lo), d, even + i / 2);
    hn::StoreU(hn::ConcatOdd(d, hi, lo), d, odd + i / 2);
  }
#endif
  for (; i + 1 < n; i += 2) {
    even[i / 2] = src[i];
    odd[i / 2] = src[i + 1];
  }
  if (i < n) even[i / 2] = src[i];
}

}  // namespace HWY_NAMESPACE
}  // namespace onexn::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace onexn::detail {

HWY_EXPORT(Deinterleave2Impl);

void deinterleave2(const float* src, int64_t n, float* even, float* odd) {
  HWY_DYNAMIC_DISPATCH(Deinterleave2Impl)(src, n, even, odd);
}

}  // namespace onexn::detail
#endif
