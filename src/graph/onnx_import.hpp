// ONNX model -> graph IR.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "graph/ir.hpp"
#include "onexn/onnx_model.hpp"

namespace onexn::graph {

struct ImportOptions {
  // > 0: the batch size (dimension 0 of every graph input of rank >= 2), replacing the model's.
  int64_t batch = 0;
  // Full shapes of inputs, by name: they set the symbolic dimensions and must agree with the
  // dimensions the model (or `batch`) fixes.
  std::map<std::string, Shape> shapes;
};

// Initializers and Constant nodes become constants (float types as f32, integer and bool types
// as i64: see onnx_constant.hpp), graph inputs run-time inputs: float ones f32, integer and bool
// ones i64. Nodes are imported in topological order (onnx_node_order.hpp). An input dimension
// that is symbolic (a dim_param, no value) and not set by the options is -1, and such an input
// has shape_known = false: infer_and_fold needs every input shape, so the caller sets them first
// (the Session does, per input shape). Throws InvalidArgument for options that contradict the
// model (a size other than a fixed one, a shape for an input the model does not have), Error
// naming the model and the input, tensor or node at fault for the rest: unsupported input or
// tensor types, ops of other domains, values nothing defines, cycles. Ops themselves are checked
// later, against the runtime's registry.
Graph import_onnx(const OnnxModel& model, const ImportOptions& options = {});

}  // namespace onexn::graph
