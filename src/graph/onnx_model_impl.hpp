// Internals of OnnxModel shared by its source files.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "onexn/onnx_model.hpp"

namespace onexn {

struct OnnxModel::Impl {
  onnx::ModelProto model;
  std::string name;
  std::vector<WeightedLayer> layers;
};

namespace detail {

// Nodes a constant is read through unchanged in value: Identity, and Cast(to=FLOAT) (models
// stored in float16 read their weights so).
bool is_pass_through(const onnx::NodeProto& node);

// The tensor holding constant `name`: an initializer, the value of a Constant node, or either of
// those reached through a chain of pass-through nodes. Null when `name` is computed at run time.
const onnx::TensorProto* find_constant(const onnx::GraphProto& graph, const std::string& name);
onnx::TensorProto* find_constant(onnx::GraphProto& graph, const std::string& name);

// Every Conv and ConvTranspose (2-D), Gemm and MatMul whose weights are a floating constant,
// classified (see LayerKind).
std::vector<WeightedLayer> find_weighted_layers(const onnx::GraphProto& graph, const std::string& where);

// Puts the nodes in topological order (graph/onnx_node_order.hpp: the file's order wherever it is
// valid, so a sorted graph is left as it is). Throws Error naming the model when a node reads a
// tensor nothing defines, for a cycle, and for a graph output nothing produces.
void sort_and_check_graph(onnx::GraphProto& graph, const std::string& where);

}  // namespace detail
}  // namespace onexn
