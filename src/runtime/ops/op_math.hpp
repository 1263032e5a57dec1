// Float math over arrays, in loops the compiler vectorizes (std::exp is a library call it cannot
// vectorize, nor a product of selects under GCC's default -ftrapping-math): used by Sigmoid,
// HardSwish and Softmax over whole activations.
#pragma once

#include <cstdint>

namespace onexn::runtime::ops {

// y[i] = e^x[i] for n floats (y may be x). Within 2 ulp (Cephes expf: Cody-Waite reduction by
// ln 2, degree-6 polynomial, 2^n through the exponent bits) for x in [-87.3, 88.3], where 2^n is a
// normal float; below, 0 (e^x < 1.2e-38: no denormals); above, +inf (e^x > 2.1e38, a little
// early: float holds up to e^88.72). NaN stays NaN.
void exp_floats(const float* x, float* y, int64_t n);

// y[i] = 1 / (1 + e^-x[i]) (y may be x).
void sigmoid_floats(const float* x, float* y, int64_t n);

// y[i] = x[i] * clamp(x[i] / 6 + 1/2, 0, 1) (y may be x).
void hardswish_floats(const float* x, float* y, int64_t n);

}  // namespace onexn::runtime::ops
