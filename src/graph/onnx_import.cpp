#include "graph/onnx_import.hpp"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "graph/onnx_tensor.hpp"
#include "onexn/error.hpp"

namespace onexn::graph {
namespace {

// The element count of dims read from a file (none negative); Error naming `id` when it does not
// fit in int64.
int64_t checked_numel(const Shape& shape, const std::string& id) {
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) {
      throw Error(fmt::format("{} has dims {}, more elements than fit in 64 bits", id,
                              shape_string(shape)));
    }
  }
  return n;
}

// Constant data of a TensorProto: float32 / float64 become f32, int64 / int32 / bool / uint8 /
// int8 become i64 (they only feed shape computations).
Constant to_constant(const onnx::TensorProto& t, const std::string& where) {
  Shape shape(t.dims().begin(), t.dims().end());
  const std::string id = fmt::format("{}: tensor '{}'", where, t.name());
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    throw Error(id + " keeps its data in an external file, which onexn does not read");
  }
  for (int64_t d : shape) {
    if (d < 0) throw Error(fmt::format("{} has a negative dimension", id));
  }
  const int64_t n = checked_numel(shape, id);
  // The stored data is checked against the dims before anything sized by the dims is allocated:
  // dims alone may claim any size. Sizes are compared in elements, n * elem could overflow.
  auto raw_check = [&](size_t elem) {
    const size_t bytes = t.raw_data().size();
    if (bytes % elem != 0 || bytes / elem != static_cast<uint64_t>(n)) {
      throw Error(fmt::format("{} holds {} bytes, its dims {} need {} values of {} bytes", id, bytes,
                              shape_string(shape), n, elem));
    }
  };
  auto count_check = [&](int64_t have) {
    if (have != n) {
      throw Error(fmt::format("{} holds {} values, its dims {} need {}", id, have, shape_string(shape), n));
    }
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      return Constant::floats(shape, detail::tensor_floats(t, where));
    case onnx::TensorProto::DOUBLE: {
      std::vector<double> d;
      if (t.has_raw_data()) {
        raw_check(8);
        d.resize(n);
        if (n > 0) std::memcpy(d.data(), t.raw_data().data(), n * 8);
      } else {
        count_check(t.double_data_size());
        d.assign(t.double_data().begin(), t.double_data().end());
      }
      return Constant::floats(shape, std::vector<float>(d.begin(), d.end()));
    }
    case onnx::TensorProto::INT64: {
      std::vector<int64_t> v;
      if (t.has_raw_data()) {
        raw_check(8);
        v.resize(n);
        if (n > 0) std::memcpy(v.data(), t.raw_data().data(), n * 8);
      } else {
        count_check(t.int64_data_size());
        v.assign(t.int64_data().begin(), t.int64_data().end());
      }
      return Constant::ints(shape, std::move(v));
    }
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: {
      std::vector<int64_t> v;
      const bool is32 = t.data_type() == onnx::TensorProto::INT32;
      if (t.has_raw_data()) {
        raw_check(is32 ? 4 : 1);
        v.resize(n);
        for (int64_t k = 0; k < n; ++k) {
          if (is32) {
            int32_t x;
            std::memcpy(&x, t.raw_data().data() + 4 * k, 4);
            v[k] = x;
          } else {
            const auto byte = static_cast<uint8_t>(t.raw_data()[k]);
            v[k] = t.data_type() == onnx::TensorProto::INT8 ? int8_t(byte) : byte;
          }
        }
      } else {
        count_check(t.int32_data_size());  // int32, int8, uint8 and bool all use int32_data
        v.assign(t.int32_data().begin(), t.int32_data().end());
      }
      return Constant::ints(shape, std::move(v));
    }
    default:
      throw Error(fmt::format("{} has data type {}, which onexn does not support (float32, float64, "
                              "int64, int32, int8, uint8, bool)", id, t.data_type()));
  }
}

Attribute to_attribute(const onnx::AttributeProto& a, const std::string& where) {
  Attribute out;
  switch (a.type()) {
    case onnx::AttributeProto::INT: out.kind = Attribute::Kind::int_; out.i = a.i(); break;
    case onnx::AttributeProto::FLOAT: out.kind = Attribute::Kind::float_; out.f = a.f(); break;
    case onnx::AttributeProto::INTS:
      out.kind = Attribute::Kind::ints;
      out.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case onnx::AttributeProto::FLOATS:
      out.kind = Attribute::Kind::floats;
      out.floats.assign(a.floats().begin(), a.floats().end());
      break;
    case onnx::AttributeProto::STRING: out.kind = Attribute::Kind::string; out.s = a.s(); break;
    case onnx::AttributeProto::TENSOR:
      out.kind = Attribute::Kind::tensor;
      out.t = to_constant(a.t(), where);
      break;
    default:
      throw Error(fmt::format("{}: attribute '{}' has a kind onexn does not support ({})", where,
                              a.name(), int(a.type())));
  }
  return out;
}

// The value of a Constant node: `value` (tensor) or one of the value_* forms.
Constant constant_node_value(const onnx::NodeProto& n, const std::string& where) {
  for (const auto& a : n.attribute()) {
    if (a.name() == "value" && a.has_t()) return to_constant(a.t(), where);
    if (a.name() == "value_float") return Constant::floats({}, {a.f()});
    if (a.name() == "value_floats") {
      return Constant::floats({a.floats_size()}, std::vector<float>(a.floats().begin(), a.floats().end()));
    }
    if (a.name() == "value_int") return Constant::ints({}, {a.i()});
    if (a.name() == "value_ints") {
      return Constant::ints({a.ints_size()}, std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    }
  }
  throw Error(where + ": Constant node without a value attribute onexn reads");
}

}  // namespace

Graph import_onnx(const OnnxModel& model, const ImportOptions& options) {
  const onnx::ModelProto& m = model.proto();
  const onnx::GraphProto& g = m.graph();
  Graph out;
  out.name = model.name();
  out.opset = 0;
  for (const auto& op : m.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") out.opset = op.version();
  if (out.opset == 0) throw Error(out.name + ": the model imports no version of the default ONNX opset");

  std::unordered_map<std::string, int> ids;
  auto define = [&](Value v) {
    const std::string n = v.name;
    const int id = out.add_value(std::move(v));
    ids[n] = id;
    return id;
  };
  for (const auto& t : g.initializer()) {
    Value v;
    v.name = t.name();
    v.constant = to_constant(t, fmt::format("{}: initializer", out.name));
    v.type = v.constant->type;
    v.shape = v.constant->shape;
    v.shape_known = true;
    define(std::move(v));
  }
  for (const auto& in : g.input()) {
    if (ids.count(in.name())) continue;  // an initializer listed as input (IR version < 4)
    const std::string where = fmt::format("{}: input '{}'", out.name, in.name());
    if (!in.type().has_tensor_type()) throw Error(where + " is not a tensor");
    const auto& tt = in.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT) {
      throw Error(fmt::format("{} has element type {}, onexn runs float32 inputs", where, tt.elem_type()));
    }
    Value v;
    v.name = in.name();
    for (int k = 0; k < tt.shape().dim_size(); ++k) {
      const auto& dim = tt.shape().dim(k);
      int64_t d = dim.has_dim_value() ? dim.dim_value() : 0;
      // The batch applies to image-like inputs (rank >= 2), not to a rank-1 side input.
      if (k == 0 && options.batch > 0 && tt.shape().dim_size() >= 2) d = options.batch;
      if (k == 0 && d <= 0) d = 1;
      if (d <= 0) {
        throw Error(fmt::format("{} has an unknown size in dimension {} ('{}'); onexn needs fixed "
                                "shapes except for the batch", where, k, dim.dim_param()));
      }
      v.shape.push_back(d);
    }
    checked_numel(v.shape, where);
    v.shape_known = true;
    out.inputs.push_back(define(std::move(v)));
  }
  for (int k = 0; k < g.node_size(); ++k) {
    const onnx::NodeProto& n = g.node(k);
    Node node;
    node.op = n.op_type();
    node.name = n.name().empty() ? fmt::format("{}_{}", n.op_type(), k) : n.name();
    const std::string where = fmt::format("{}: {}", out.name, node.where());
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      throw Error(fmt::format("{}: op of domain '{}' is not supported (onexn runs standard ONNX ops)",
                              where, n.domain()));
    }
    if (node.op == "Constant") {
      if (n.output_size() != 1 || n.output(0).empty()) {
        throw Error(fmt::format("{} has {} outputs, a Constant node has one", where, n.output_size()));
      }
      if (ids.count(n.output(0))) {
        throw Error(fmt::format("{} writes '{}', which is already defined", where, n.output(0)));
      }
      Value v;
      v.name = n.output(0);
      v.constant = constant_node_value(n, where);
      v.type = v.constant->type;
      v.shape = v.constant->shape;
      v.shape_known = true;
      define(std::move(v));
      continue;
    }
    for (const std::string& in : n.input()) {
      if (in.empty()) {
        node.inputs.push_back(-1);
        continue;
      }
      auto it = ids.find(in);
      if (it == ids.end()) {
        throw Error(fmt::format("{} reads '{}', which nothing defines before it", where, in));
      }
      node.inputs.push_back(it->second);
    }
    for (const auto& a : n.attribute()) node.attrs[a.name()] = to_attribute(a, where);
    const int index = static_cast<int>(out.nodes.size());
    for (const std::string& o : n.output()) {
      if (o.empty()) {
        node.outputs.push_back(-1);
        continue;
      }
      if (ids.count(o)) throw Error(fmt::format("{} writes '{}', which is already defined", where, o));
      Value v;
      v.name = o;
      v.producer = index;
      node.outputs.push_back(define(std::move(v)));
    }
    out.nodes.push_back(std::move(node));
  }
  for (const auto& o : g.output()) {
    auto it = ids.find(o.name());
    if (it == ids.end()) throw Error(fmt::format("{}: graph output '{}' is not produced", out.name, o.name()));
    out.outputs.push_back(it->second);
  }
  if (out.inputs.empty()) throw Error(out.name + ": the model has no runtime input");
  return out;
}

}  // namespace onexn::graph
