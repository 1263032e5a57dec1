// Writing single float32 tensors as ONNX TensorProto files (.pb); read_tensor_pb reads them.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>

#include <cstdint>

#include "onexn/error.hpp"
#include "onexn/file_io.hpp"
#include "onexn/npy.hpp"

namespace onexn {

void write_tensor_pb(const std::filesystem::path& path, const FloatTensor& tensor) {
  const std::string id = fmt::format("'{}': tensor '{}'", path.string(), tensor.name);
  int64_t n = 1;
  for (int64_t d : tensor.dims) {
    if (d < 0 || (d > 0 && n > INT64_MAX / d)) {
      throw InvalidArgument(
          fmt::format("{}: dims [{}] are negative or too large", id, fmt::join(tensor.dims, ", ")));
    }
    n *= d;
  }
  if (static_cast<uint64_t>(n) != tensor.data.size()) {
    throw InvalidArgument(fmt::format("{}: {} values, its dims [{}] need {}", id,
                                      tensor.data.size(), fmt::join(tensor.dims, ", "), n));
  }
  onnx::TensorProto t;
  t.set_name(tensor.name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : tensor.dims) t.add_dims(d);
  // raw_data is little-endian float32 (the ONNX spec), which is the memory layout on every host
  // onexn builds the graph layer for (x86-64, AArch64).
  t.set_raw_data(tensor.data.data(), tensor.data.size() * sizeof(float));
  std::string bytes;
  if (!t.SerializeToString(&bytes)) throw Error(id + ": cannot serialize the TensorProto");
  write_file_atomically(path, std::string_view(bytes));
}

}  // namespace onexn
