#include "graph/onnx_import.hpp"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_map>

#include "graph/onnx_constant.hpp"
#include "graph/onnx_node_order.hpp"
#include "onexn/error.hpp"

namespace onexn::graph {
namespace {

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

// The element type of a graph input: float inputs (float32, and float16 / float64 / bfloat16,
// whose models then run in float32) are f32; integer and bool inputs i64.
DataType input_type(const onnx::ValueInfoProto& in, const std::string& model) {
  const std::string where = fmt::format("{}: input '{}'", model, in.name());
  if (!in.type().has_tensor_type()) throw Error(where + " is not a tensor");
  switch (in.type().tensor_type().elem_type()) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
    case onnx::TensorProto::DOUBLE: return DataType::f32;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: return DataType::i64;
    default:
      throw Error(fmt::format("{} has element type {}; onexn runs float, integer and bool inputs", where,
                              in.type().tensor_type().elem_type()));
  }
}

// The shape of a graph input with options applied: dims the model fixes (dim_value > 0), the
// batch (dimension 0 of inputs of rank >= 2) when options.batch is set, then options.shapes,
// which sets the symbolic dims (dim_param, no value, or a value <= 0) and must agree with the
// others. Dims still symbolic are -1.
Shape input_shape(const onnx::ValueInfoProto& in, const ImportOptions& options, const std::string& model) {
  const std::string where = fmt::format("{}: input '{}'", model, in.name());
  const auto& tt = in.type().tensor_type();
  const auto given = options.shapes.find(in.name());
  if (!tt.has_shape()) {
    if (given == options.shapes.end()) {
      throw Error(where + " declares no shape; give it in the session options' shapes");
    }
    for (int64_t d : given->second) {
      if (d <= 0) throw InvalidArgument(fmt::format("{}: the shape given, {}, has a size below 1", where,
                                                    shape_string(given->second)));
    }
    return given->second;
  }
  const int rank = tt.shape().dim_size();
  Shape shape;
  for (int k = 0; k < rank; ++k) {
    const auto& dim = tt.shape().dim(k);
    shape.push_back(dim.has_dim_value() && dim.dim_value() > 0 ? dim.dim_value() : -1);
  }
  // The batch applies to image-like inputs (rank >= 2), not to a rank-1 side input.
  if (options.batch > 0 && rank >= 2) shape[0] = options.batch;
  if (given != options.shapes.end()) {
    const Shape& want = given->second;
    if (static_cast<int>(want.size()) != rank) {
      throw InvalidArgument(fmt::format("{} has rank {}, the shape given, {}, has rank {}", where, rank,
                                        shape_string(want), want.size()));
    }
    for (int k = 0; k < rank; ++k) {
      if (want[k] <= 0) {
        throw InvalidArgument(fmt::format("{}: the shape given, {}, has size {} in dimension {}; sizes "
                                          "are at least 1", where, shape_string(want), want[k], k));
      }
      if (shape[k] != -1 && shape[k] != want[k]) {
        throw InvalidArgument(fmt::format(
            "{}: dimension {} is {} ({}), the shape given, {}, has {}", where, k, shape[k],
            k == 0 && options.batch > 0 && rank >= 2 ? "the batch option" : "fixed by the model",
            shape_string(want), want[k]));
      }
      shape[k] = want[k];
    }
  }
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d > 0 && __builtin_mul_overflow(n, d, &n)) {
      throw Error(fmt::format("{} has dims {}, more elements than fit in 64 bits", where, shape_string(shape)));
    }
  }
  return shape;
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
  std::set<std::string> shaped;  // inputs options.shapes names
  for (const auto& in : g.input()) {
    if (ids.count(in.name())) continue;  // an initializer listed as input (IR version < 4)
    Value v;
    v.name = in.name();
    v.type = input_type(in, out.name);
    v.shape = input_shape(in, options, out.name);
    if (options.shapes.count(v.name)) shaped.insert(v.name);
    v.shape_known = std::find(v.shape.begin(), v.shape.end(), -1) == v.shape.end();
    out.inputs.push_back(define(std::move(v)));
  }
  for (const auto& [name, shape] : options.shapes) {
    if (shaped.count(name)) continue;
    std::string names;
    for (int id : out.inputs) names += (names.empty() ? "'" : ", '") + out.value(id).name + "'";
    throw InvalidArgument(fmt::format("{}: a shape is given for '{}', which is not an input of the "
                                      "model (its inputs: {})", out.name, name, names));
  }
  for (int k : topological_node_order(g, out.name)) {
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
        throw Error(fmt::format("{} reads '{}', which nothing defines", where, in));
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
