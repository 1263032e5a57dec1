#include <fmt/format.h>

#include <map>

#include "onexn/error.hpp"
#include "runtime/op.hpp"
#include "runtime/ops/op_families.hpp"

namespace onexn::runtime {

struct OpTable {
  std::map<std::string, OpDef, std::less<>> ops;
};

void add_op(OpTable& table, std::string_view op_type, OpDef def) {
  table.ops.emplace(std::string(op_type), def);
}

namespace {

const OpTable& op_table() {
  static const OpTable table = [] {
    OpTable t;
    register_conv_ops(t);
    register_elementwise_ops(t);
    register_pooling_ops(t);
    register_tensor_ops(t);
    register_linear_ops(t);
    register_normalization_ops(t);
    register_math_ops(t);
    register_logic_ops(t);
    register_resize_ops(t);
    register_reduce_ops(t);
    register_index_ops(t);
    register_fill_ops(t);
    register_sample_norm_ops(t);
    return t;
  }();
  return table;
}

}  // namespace

const OpDef* find_op(std::string_view op_type) {
  const auto& ops = op_table().ops;
  auto it = ops.find(op_type);
  return it == ops.end() ? nullptr : &it->second;
}

graph::ChannelRole channel_role(std::string_view op_type) {
  const OpDef* def = find_op(op_type);
  return def ? def->channel_role : graph::ChannelRole::barrier;
}

std::vector<std::string> supported_ops() {
  std::vector<std::string> out;
  for (const auto& [name, def] : op_table().ops) out.push_back(name);
  return out;
}

const graph::Value& input_value(const graph::Graph& g, const graph::Node& node, size_t k) {
  if (k >= node.inputs.size() || node.inputs[k] < 0) {
    fail(g, node, fmt::format("input {} is missing", k));
  }
  return g.value(node.inputs[k]);
}

void set_output(graph::Graph& g, const graph::Node& node, size_t k, DataType type, Shape shape) {
  if (k >= node.outputs.size() || node.outputs[k] < 0) return;  // an omitted optional output
  // Shapes come from untrusted files: refuse negative sizes and anything beyond 2^40 elements
  // (no product of dims may overflow on the way).
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > kMaxTensorElements) {
      fail(g, node, fmt::format("output {} would have shape {}{}", k, graph::shape_string(shape),
                                d < 0 ? "" : ": more than 2^40 elements"));
    }
  }
  graph::Value& v = g.value(node.outputs[k]);
  v.type = type;
  v.shape = std::move(shape);
  v.shape_known = true;
}

void fail(const graph::Graph& g, const graph::Node& node, const std::string& what) {
  throw Error(fmt::format("{}: {}: {}", g.name, node.where(), what));
}

}  // namespace onexn::runtime
