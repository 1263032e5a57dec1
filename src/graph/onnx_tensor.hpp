// Float32 data of ONNX TensorProtos, whichever way the tensor stores it (raw_data or float_data).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace onexn::detail {

int64_t tensor_numel(const onnx::TensorProto& t);
// Throws Error (naming `where` and the tensor) for a non-float32 tensor, external data, or data
// whose length does not match the dims.
std::vector<float> tensor_floats(const onnx::TensorProto& t, const std::string& where);
// Replaces the data, keeping name, dims and storage form (raw_data stays raw_data).
void set_tensor_floats(onnx::TensorProto& t, std::span<const float> values);

}  // namespace onexn::detail
