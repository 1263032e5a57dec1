// Float32 data of ONNX TensorProtos, whichever way the tensor stores it (raw_data or float_data).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace onexn::detail {

int64_t tensor_numel(const onnx::TensorProto& t);
// float32, float16, bfloat16 or float64: the tensors weights may be stored in.
bool is_floating(const onnx::TensorProto& t);
// The values as float32 (float16 / bfloat16 / float64 converted). Throws Error (naming `where`
// and the tensor) for other types, external data, or data whose length does not match the dims.
std::vector<float> tensor_floats(const onnx::TensorProto& t, const std::string& where);
// Replaces the data, keeping name, dims, data type (float16 values rounded to nearest even,
// exact for values read from the tensor) and storage form (raw_data stays raw_data).
void set_tensor_floats(onnx::TensorProto& t, std::span<const float> values);

}  // namespace onexn::detail
