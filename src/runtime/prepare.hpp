// From an ONNX model to a graph ready to plan: import, shape inference with constant folding,
// then the rewrites of src/graph/passes (BatchNorm folded into Conv, activations and residual
// adds fused into Conv epilogues, no-op nodes removed).
#pragma once

#include <string>
#include <vector>

#include "graph/ir.hpp"
#include "graph/onnx_import.hpp"
#include "onexn/onnx_model.hpp"

namespace onexn::runtime {

struct PrepareOptions {
  int64_t batch = 0;  // see graph::ImportOptions
  bool fuse = true;   // run the rewrites (tests turn them off to check ops one by one)
};

graph::Graph prepare_graph(const OnnxModel& model, const PrepareOptions& options = {});

// The two halves of prepare_graph, for the Session, which imports once and prepares a copy of
// the imported graph per set of input shapes. import_supported also fails for the first node
// whose op the runtime does not have; prepare_imported needs every input shape known.
graph::Graph import_supported(const OnnxModel& model, const graph::ImportOptions& options);
void prepare_imported(graph::Graph& g, bool fuse = true);

// Shape inference over the whole graph, folding every node whose inputs are all constants.
// Throws Error for the first unsupported op (naming node and op type) or inconsistent shapes.
void infer_and_fold(graph::Graph& g);

// Every node whose op the runtime does not have, as "node 'NAME' (OP)" lines, in graph order.
std::vector<std::string> unsupported_nodes(const graph::Graph& g);

}  // namespace onexn::runtime
