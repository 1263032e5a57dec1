#include "onnx_tensor.hpp"

#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "graph/onnx_constant.hpp"
#include "onexn/error.hpp"
#include "onexn/file_io.hpp"
#include "onexn/tensor_file.hpp"

namespace onexn {
namespace detail {

// The element count of the dims; -1 when one is negative or the count does not fit in int64.
int64_t tensor_numel(const onnx::TensorProto& t) {
  // A zero anywhere makes the tensor empty, whatever the other dims are.
  for (int64_t d : t.dims()) {
    if (d == 0) return 0;
  }
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return -1;
  }
  return n;
}

bool is_floating(const onnx::TensorProto& t) {
  const int type = t.data_type();
  return type == onnx::TensorProto::FLOAT || type == onnx::TensorProto::FLOAT16 ||
         type == onnx::TensorProto::BFLOAT16 || type == onnx::TensorProto::DOUBLE;
}

std::vector<float> tensor_floats(const onnx::TensorProto& t, const std::string& where) {
  const std::string id = fmt::format("{}: tensor '{}'", where, t.name());
  // float16 / bfloat16 / float64 weights (models stored in half precision) as float32.
  if (is_floating(t) && t.data_type() != onnx::TensorProto::FLOAT) return graph::to_constant(t, where).f;
  if (t.data_type() != onnx::TensorProto::FLOAT) {
    throw Error(fmt::format("{} has data type {}, expected float32 ({})", id, t.data_type(),
                            int(onnx::TensorProto::FLOAT)));
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    throw Error(id + " keeps its data in an external file, which onexn does not read");
  }
  for (int64_t d : t.dims()) {
    if (d < 0) throw Error(fmt::format("{} has a negative dimension {}", id, d));
  }
  const int64_t n = tensor_numel(t);
  // n * 4 could overflow for dims a file may claim, so the sizes are compared in elements.
  if (n < 0) {
    throw Error(fmt::format("{} has dims [{}], more elements than fit in 64 bits", id,
                            fmt::join(t.dims(), ", ")));
  }
  std::vector<float> out;
  if (t.has_raw_data()) {
    const size_t bytes = t.raw_data().size();
    if (bytes % 4 != 0 || bytes / 4 != static_cast<uint64_t>(n)) {
      throw Error(fmt::format("{} holds {} bytes, its dims need {} floats", id, bytes, n));
    }
    out.resize(n);
    if (n > 0) std::memcpy(out.data(), t.raw_data().data(), n * 4);
  } else {
    if (t.float_data_size() != n) {
      throw Error(fmt::format("{} holds {} values, its dims need {}", id, t.float_data_size(), n));
    }
    out.assign(t.float_data().begin(), t.float_data().end());
  }
  return out;
}

void set_tensor_floats(onnx::TensorProto& t, std::span<const float> values) {
  const int type = t.data_type();
  if (type == onnx::TensorProto::FLOAT16 || type == onnx::TensorProto::BFLOAT16) {
    std::vector<uint16_t> bits(values.size());
    for (size_t k = 0; k < values.size(); ++k) {
      bits[k] = type == onnx::TensorProto::FLOAT16 ? graph::float_to_half(values[k]) : graph::float_to_bfloat16(values[k]);
    }
    if (t.has_raw_data()) {
      t.set_raw_data(bits.data(), bits.size() * 2);
    } else {
      t.mutable_int32_data()->Assign(bits.begin(), bits.end());  // one 16-bit pattern per int32
    }
    return;
  }
  if (type == onnx::TensorProto::DOUBLE) {
    const std::vector<double> d(values.begin(), values.end());
    if (t.has_raw_data()) {
      t.set_raw_data(d.data(), d.size() * 8);
    } else {
      t.mutable_double_data()->Assign(d.begin(), d.end());
    }
    return;
  }
  if (t.has_raw_data()) {
    t.set_raw_data(values.data(), values.size() * 4);
  } else {
    t.mutable_float_data()->Assign(values.begin(), values.end());
  }
}

}  // namespace detail

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

const char* to_string(ElementType t) {
  switch (t) {
    case ElementType::float32: return "float32";
    case ElementType::int64: return "int64";
    case ElementType::boolean: return "bool";
  }
  return "?";
}

Tensor read_tensor_pb(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  onnx::TensorProto t;
  if (!t.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error("'" + path.string() + "' is not an ONNX TensorProto file (protobuf parse failed)");
  }
  graph::Constant c = graph::to_constant(t, "'" + path.string() + "'");
  Tensor out;
  out.name = t.name();
  out.dims = std::move(c.shape);
  if (c.type == graph::DataType::f32) {
    out.data = std::move(c.f);
  } else {
    out.type = t.data_type() == onnx::TensorProto::BOOL ? ElementType::boolean : ElementType::int64;
    out.ints = std::move(c.i);
  }
  return out;
}

}  // namespace onexn
