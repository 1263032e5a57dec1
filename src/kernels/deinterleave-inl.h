// even[k] = src[2k], odd[k] = src[2k + 1] for the n floats of src (deinterleave.hpp), inline in
// per-target code: deinterleave.cpp dispatches it, depthwise_conv.cpp calls it once per input
// row, where a dispatched call would cost about as much as a short row. Included after
// <hwy/highway.h>, once per target: the guard toggles with HWY_TARGET_TOGGLE, as Highway's own
// -inl headers do.
#if defined(ONEXN_KERNELS_DEINTERLEAVE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ONEXN_KERNELS_DEINTERLEAVE_INL_H_
#undef ONEXN_KERNELS_DEINTERLEAVE_INL_H_
#else
#define ONEXN_KERNELS_DEINTERLEAVE_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <cstdint>

HWY_BEFORE_NAMESPACE();
namespace onexn::detail {
namespace HWY_NAMESPACE {

// SIMD pairs of vectors; on x86 from AVX2 on, masked loads and stores finish the row (they touch
// only their lanes), elsewhere a scalar loop.
HWY_INLINE void Deinterleave2(const float* HWY_RESTRICT src, int64_t n, float* HWY_RESTRICT even,
                              float* HWY_RESTRICT odd) {
  namespace hn = hwy::HWY_NAMESPACE;
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
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  // The row's end in one more step of masked loads and stores, which touch only their lanes
  // (short rows of 7-28 columns are common in the stride-2 layers of small networks).
  if (i < n) {
    const size_t rest = static_cast<size_t>(n - i), lanes = static_cast<size_t>(L);
    const auto lo = hn::MaskedLoad(hn::FirstN(d, std::min(rest, lanes)), d, src + i);
    const auto hi = hn::MaskedLoad(hn::FirstN(d, rest > lanes ? rest - lanes : 0), d, src + i + L);
    hn::BlendedStore(hn::ConcatEven(d, hi, lo), hn::FirstN(d, (rest + 1) / 2), d, even + i / 2);
    hn::BlendedStore(hn::ConcatOdd(d, hi, lo), hn::FirstN(d, rest / 2), d, odd + i / 2);
    return;
  }
#endif
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

#endif  // ONEXN_KERNELS_DEINTERLEAVE_INL_H_
