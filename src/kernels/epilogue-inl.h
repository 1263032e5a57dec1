// The fused epilogue's activation in SIMD, for the kernels compiled per Highway target
// (spmm_tiles.cpp, depthwise_conv.cpp). Included after <hwy/highway.h>, once per target: the
// guard toggles with HWY_TARGET_TOGGLE, as Highway's own -inl headers do.
#if defined(ONEXN_KERNELS_EPILOGUE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef ONEXN_KERNELS_EPILOGUE_INL_H_
#undef ONEXN_KERNELS_EPILOGUE_INL_H_
#else
#define ONEXN_KERNELS_EPILOGUE_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <cmath>

#include "kernels/conv_params.hpp"

HWY_BEFORE_NAMESPACE();
namespace onexn::detail {
namespace HWY_NAMESPACE {

// The activation as a clamp: relu [0, inf), relu6 [0, 6], clip [min, max], none: no clamp;
// hardswish its own formula. Kept as floats: vectors made from them before a kernel's K loop
// would hold registers its tile needs.
struct Epi {
  Activation activation;
  float lo, hi;
};

HWY_INLINE Epi MakeEpi(const Epilogue& epi) {
  float lo = -INFINITY, hi = INFINITY;
  if (epi.activation == Activation::relu) lo = 0.0f;
  if (epi.activation == Activation::relu6) lo = 0.0f, hi = 6.0f;
  if (epi.activation == Activation::clip) lo = epi.clip_min, hi = epi.clip_max;
  return {epi.activation, lo, hi};
}

template <class V>
HWY_INLINE V Activate(const Epi& e, V v) {
  const hwy::HWY_NAMESPACE::DFromV<V> d;
  namespace hn = hwy::HWY_NAMESPACE;
  if (e.activation == Activation::hardswish) {
    const V t = hn::MulAdd(v, hn::Set(d, 1.0f / 6.0f), hn::Set(d, 0.5f));
    return hn::Mul(v, hn::Min(hn::Max(t, hn::Zero(d)), hn::Set(d, 1.0f)));
  }
  return e.activation == Activation::none ? v
                                          : hn::Min(hn::Max(v, hn::Set(d, e.lo)), hn::Set(d, e.hi));
}

HWY_INLINE float ActivateScalar(const Epi& e, float v) {
  if (e.activation == Activation::hardswish) {
    return v * std::min(std::max(v * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
  }
  return e.activation == Activation::none ? v : std::min(std::max(v, e.lo), e.hi);
}

}  // namespace HWY_NAMESPACE
}  // namespace onexn::detail
HWY_AFTER_NAMESPACE();

#endif  // ONEXN_KERNELS_EPILOGUE_INL_H_
