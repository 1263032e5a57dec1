// Scalar reference pooling: the oracles of the pooling kernels (kernels/pooling.hpp), obvious
// loops over each window's taps inside the input.
#pragma once

#include <cstdint>

#include "kernels/pool_params.hpp"

namespace onexn {

// y (out_h x out_w) = the pool of one plane x (in_h x in_w). Each window must hold at least one
// tap inside the input.
void pool2d_ref(const PoolParams& p, const float* x, float* y);

// The maximum (max) or the mean (else) of the n floats of x; the mean is summed in double.
float global_pool_ref(bool max, const float* x, int64_t n);

}  // namespace onexn
