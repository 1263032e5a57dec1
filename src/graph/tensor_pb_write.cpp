// Writing single tensors (float32, int64, bool) as ONNX TensorProto files (.pb); read_tensor_pb
// reads them.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>

#include <cstdint>

#include "onexn/error.hpp"
#include "onexn/file_io.hpp"
#include "onexn/npy.hpp"

namespace onexn {

void write_tensor_pb(const std::filesystem::path& path, const Tensor& tensor) {
  const std::string id = fmt::format("'{}': tensor '{}'", path.string(), tensor.name);
  int64_t n = 1;
  for (int64_t d : tensor.dims) {
    if (d < 0 || (d > 0 && n > INT64_MAX / d)) {
      throw InvalidArgument(
          fmt::format("{}: dims [{}] are negative or too large", id, fmt::join(tensor.dims, ", ")));
    }
    n *= d;
  }
  if (static_cast<uint64_t>(n) != static_cast<uint64_t>(tensor.stored())) {
    throw InvalidArgument(fmt::format("{}: {} {} values, its dims [{}] need {}", id, tensor.stored(),
                                      to_string(tensor.type), fmt::join(tensor.dims, ", "), n));
  }
  onnx::TensorProto t;
  t.set_name(tensor.name);
  for (int64_t d : tensor.dims) t.add_dims(d);
  // raw_data is little-endian (the ONNX spec), which is the memory layout on every host onexn
  // builds the graph layer for (x86-64, AArch64).
  if (tensor.type == ElementType::float32) {
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.set_raw_data(tensor.data.data(), tensor.data.size() * sizeof(float));
  } else if (tensor.type == ElementType::int64) {
    t.set_data_type(onnx::TensorProto::INT64);
    t.set_raw_data(tensor.ints.data(), tensor.ints.size() * sizeof(int64_t));
  } else {
    t.set_data_type(onnx::TensorProto::BOOL);
    std::string raw;
    for (int64_t x : tensor.ints) {
      if (x != 0 && x != 1) throw InvalidArgument(fmt::format("{}: a bool tensor holds {}; bools are 0 or 1", id, x));
      raw += static_cast<char>(x);
    }
    t.set_raw_data(raw);
  }
  std::string bytes;
  if (!t.SerializeToString(&bytes)) throw Error(id + ": cannot serialize the TensorProto");
  write_file_atomically(path, std::string_view(bytes));
}

}  // namespace onexn
