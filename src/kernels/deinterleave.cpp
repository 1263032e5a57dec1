// Splitting a row of floats into its even and odd elements, for the stride-2 input planes.
// SIMD through Highway's dynamic dispatch (the code: deinterleave-inl.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/deinterleave.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "kernels/deinterleave-inl.h"
#include "kernels/deinterleave.hpp"

HWY_BEFORE_NAMESPACE();
namespace onexn::detail {
namespace HWY_NAMESPACE {

void Deinterleave2Impl(const float* HWY_RESTRICT src, int64_t n, float* HWY_RESTRICT even,
                       float* HWY_RESTRICT odd) {
  Deinterleave2(src, n, even, odd);
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
