// Slice, Transpose and Pad: the tensor ops that rearrange elements (strided and padded copies),
// registered by register_tensor_ops (tensor_ops.cpp). Float32 and int64.
#pragma once

#include "runtime/op.hpp"

namespace onexn::runtime::ops {

void register_layout_ops(OpTable& t);  // Slice Transpose Pad

}  // namespace onexn::runtime::ops
