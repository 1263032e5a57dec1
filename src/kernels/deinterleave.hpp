// even[k] = src[2k], odd[k] = src[2k + 1] for the n floats of src (even gets ceil(n/2) values,
// odd floor(n/2)). No alignment needed; reads and writes stay within those bounds.
#pragma once

#include <cstdint>

namespace onexn::detail {

void deinterleave2(const float* src, int64_t n, float* even, float* odd);

}  // namespace onexn::detail
