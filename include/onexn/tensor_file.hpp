// Single tensors stored as ONNX TensorProto files (.pb), the form of ONNX's own test data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace onexn {

struct FloatTensor {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> data;
  int64_t numel() const;
};

// Reads a float32 TensorProto file. Throws Error naming the file if it is missing, not a
// TensorProto, not float32, or its data does not match its dims.
FloatTensor read_tensor_pb(const std::filesystem::path& path);

}  // namespace onexn
