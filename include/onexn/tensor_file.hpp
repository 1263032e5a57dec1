// Tensors passed to and returned by a Session, and single tensors stored as ONNX TensorProto
// files (.pb), the form of ONNX's own test data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace onexn {

// Element types a Session takes and returns. ONNX bool tensors are `boolean`, held as 0 / 1.
enum class ElementType { float32, int64, boolean };
const char* to_string(ElementType t);  // "float32", "int64", "bool"

// A named, row-major tensor. float32 elements are in `data`; int64 and bool elements in `ints`
// (bool as 0 / 1); the other vector stays empty. Code written for float32 tensors keeps working:
// the type defaults to float32 and `data` is the first data member.
struct Tensor {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> data{};                // float32
  ElementType type = ElementType::float32;
  std::vector<int64_t> ints{};              // int64, bool (the braces: designated initializers may omit it)
  int64_t numel() const;                    // product of dims (1 for a scalar)
  // Elements held in the vector of `type` (data.size() or ints.size()).
  int64_t stored() const { return static_cast<int64_t>(type == ElementType::float32 ? data.size() : ints.size()); }
};
using FloatTensor = Tensor;  // the name from before int64 / bool tensors; the same type

// Reads a TensorProto file of type float32 or float64 (as float32), int64 or int32 (as int64),
// bool. Throws Error naming the file if it is missing, not a TensorProto, of another type, or
// its data does not match its dims.
Tensor read_tensor_pb(const std::filesystem::path& path);

}  // namespace onexn
