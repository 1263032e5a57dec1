// Finding the weighted layers of a graph and telling their kinds apart.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string_view>
#include <vector>
#include <unordered_map>
#include <unordered_set>

#include "onexn/error.hpp"
#include "graph/onnx_node_order.hpp"
#include "graph/onnx_tensor.hpp"
#include "onnx_model_impl.hpp"

namespace onexn {

const char* to_string(LayerKind kind) {
  switch (kind) {
    case LayerKind::first: return "first";
    case LayerKind::depthwise: return "depthwise";
    case LayerKind::pointwise: return "pointwise";
    case LayerKind::kxk: return "KxK";
    case LayerKind::transposed: return "transposed";
    case LayerKind::fc: return "fc";
  }
  return "?";
}

namespace detail {
namespace {

int64_t int_attribute(const onnx::NodeProto& node, const char* name, int64_t fallback) {
  for (const onnx::AttributeProto& a : node.attribute())
    if (a.name() == name) return a.i();
  return fallback;
}

bool is_float_tensor(const onnx::TensorProto* t) { return t && is_floating(*t); }

// Initializers and node outputs by name, built once per graph: looking each name up by scanning
// the graph made find_weighted_layers cubic in the node count (a 47 KB file of Identity nodes
// and Convs took 20 s to load).
class ConstantFinder {
 public:
  explicit ConstantFinder(const onnx::GraphProto& graph) : node_count_(graph.node_size()) {
    // The first definition of a name wins, as in a scan from the top.
    for (const onnx::TensorProto& init : graph.initializer()) {
      initializers_.emplace(init.name(), &init);
    }
    for (const onnx::NodeProto& node : graph.node())
      for (const std::string& out : node.output()) producers_.emplace(out, &node);
  }

  const onnx::TensorProto* find(const std::string& name) const {
    std::string current = name;
    // Each step follows one pass-through node backwards; a chain cannot be longer than the graph.
    for (int step = 0; step <= node_count_; ++step) {
      if (auto it = initializers_.find(current); it != initializers_.end()) return it->second;
      auto it = producers_.find(current);
      if (it == producers_.end()) return nullptr;
      const onnx::NodeProto* producer = it->second;
      if (is_pass_through(*producer)) {
        current = producer->input(0);
        continue;
      }
      if (producer->op_type() == "Constant") {
        for (const onnx::AttributeProto& a : producer->attribute())
          if (a.name() == "value" && a.has_t()) return &a.t();
      }
      return nullptr;
    }
    return nullptr;
  }

 private:
  int node_count_;
  std::unordered_map<std::string_view, const onnx::TensorProto*> initializers_;
  std::unordered_map<std::string_view, const onnx::NodeProto*> producers_;
};

}  // namespace

bool is_pass_through(const onnx::NodeProto& node) {
  if (node.input_size() != 1) return false;
  if (node.op_type() == "Identity") return true;
  // Cast(to=FLOAT): how models stored in float16 read their weights.
  return node.op_type() == "Cast" && int_attribute(node, "to", 0) == onnx::TensorProto::FLOAT;
}

const onnx::TensorProto* find_constant(const onnx::GraphProto& graph, const std::string& name) {
  return ConstantFinder(graph).find(name);
}

onnx::TensorProto* find_constant(onnx::GraphProto& graph, const std::string& name) {
  // The graph is not const, so neither is any tensor inside it.
  return const_cast<onnx::TensorProto*>(find_constant(std::as_const(graph), name));
}

void sort_and_check_graph(onnx::GraphProto& graph, const std::string& where) {
  const std::vector<int> order = graph::topological_node_order(graph, where);
  bool sorted = true;
  for (size_t k = 0; k < order.size(); ++k) sorted = sorted && order[k] == static_cast<int>(k);
  if (!sorted) {
    // Moved out and back in the new order (protobuf's repeated fields swap without copying).
    std::vector<onnx::NodeProto> nodes(order.size());
    for (size_t k = 0; k < order.size(); ++k) nodes[k].Swap(graph.mutable_node(order[k]));
    for (size_t k = 0; k < order.size(); ++k) graph.mutable_node(static_cast<int>(k))->Swap(&nodes[k]);
  }
  std::unordered_set<std::string> defined;
  for (const auto& v : graph.input()) defined.insert(v.name());
  for (const auto& t : graph.initializer()) defined.insert(t.name());
  for (const auto& n : graph.node())
    for (const std::string& out : n.output()) defined.insert(out);
  for (const auto& v : graph.output()) {
    if (!defined.count(v.name())) {
      throw Error(fmt::format("{}: graph output '{}' is not produced by any node", where, v.name()));
    }
  }
}

std::vector<WeightedLayer> find_weighted_layers(const onnx::GraphProto& graph,
                                                const std::string& where) {
  std::vector<WeightedLayer> layers;
  const ConstantFinder constants(graph);
  // Tensors computed from the output of some weighted layer; a conv reading none is a first conv.
  std::unordered_set<std::string> after_weighted;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    bool input_after_weighted = false;
    for (const std::string& in : node.input()) input_after_weighted |= after_weighted.count(in) > 0;

    WeightedLayer layer;
    layer.node_index = i;
    layer.node_name = node.name().empty() ? fmt::format("{}_{}", node.op_type(), i) : node.name();
    layer.op_type = node.op_type();
    const bool weighted_op = (node.op_type() == "Conv" || node.op_type() == "ConvTranspose" ||
                              node.op_type() == "Gemm" || node.op_type() == "MatMul") &&
                             node.input_size() >= 2;
    const onnx::TensorProto* w = weighted_op ? constants.find(node.input(1)) : nullptr;
    bool found = false;
    if (is_float_tensor(w)) {
      layer.weight_tensor = w->name();
      layer.stored_dims.assign(w->dims().begin(), w->dims().end());
      const auto& d = layer.stored_dims;
      if (node.op_type() == "Conv" && d.size() == 4) {
        const int64_t groups = int_attribute(node, "group", 1);
        layer.shape = WeightShape::conv(d[0], d[1], d[2], d[3], groups);
        if (groups > 1 && d[1] == 1) {
          layer.kind = LayerKind::depthwise;
        } else if (!input_after_weighted) {
          layer.kind = LayerKind::first;
        } else {
          layer.kind = d[2] == 1 && d[3] == 1 ? LayerKind::pointwise : LayerKind::kxk;
        }
        found = true;
      } else if (node.op_type() == "ConvTranspose" && d.size() == 4) {
        // Stored [c_in][c_out / group][kh][kw]: kept in that layout, read and written as OIHW.
        const int64_t groups = int_attribute(node, "group", 1);
        if (groups <= 0 || d[0] % groups != 0) {
          throw Error(fmt::format(
              "{}: node '{}': weight tensor '{}' has shape [{}], which does not fit a "
              "ConvTranspose with group={} (group must divide the {} input channels)",
              where, layer.node_name, layer.weight_tensor, fmt::join(d, ", "), groups, d[0]));
        }
        layer.shape = WeightShape::transposed_conv(d[0], d[1], d[2], d[3], groups);
        layer.stored_transposed = true;
        if (groups > 1 && layer.shape.c_in_per_group == 1) {
          layer.kind = LayerKind::depthwise;
        } else {
          layer.kind = input_after_weighted ? LayerKind::transposed : LayerKind::first;
        }
        found = true;
      } else if (node.op_type() == "Gemm" && d.size() == 2) {
        const bool trans_b = int_attribute(node, "transB", 0) != 0;
        layer.shape = trans_b ? WeightShape::linear(d[0], d[1]) : WeightShape::linear(d[1], d[0]);
        layer.stored_transposed = !trans_b;
        layer.kind = LayerKind::fc;
        found = true;
      } else if (node.op_type() == "MatMul" && d.size() == 2 && !constants.find(node.input(0))) {
        layer.shape = WeightShape::linear(d[1], d[0]);
        layer.stored_transposed = true;
        layer.kind = LayerKind::fc;
        found = true;
      }
    }
    if (found) {
      if (layer.shape.c_out <= 0 || layer.shape.c_in_per_group <= 0 || layer.shape.kh <= 0 ||
          layer.shape.kw <= 0 || layer.shape.groups <= 0 || layer.shape.c_out % layer.shape.groups) {
        throw Error(fmt::format("{}: node '{}': weight tensor '{}' has shape {}, which does not fit "
                                "a {} with group={}",
                                where, layer.node_name, layer.weight_tensor,
                                WeightShape(layer.shape).to_string(), node.op_type(),
                                layer.shape.groups));
      }
      layers.push_back(std::move(layer));
    }
    if (found || input_after_weighted) {
      for (const std::string& out : node.output()) after_weighted.insert(out);
    }
  }
  return layers;
}

}  // namespace detail
}  // namespace onexn
