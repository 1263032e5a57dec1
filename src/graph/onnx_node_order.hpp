// The order in which the importer reads an ONNX graph's nodes. ONNX requires nodes in
// topological order, but converters do not always keep it (fp16 converters append the Cast nodes
// of the weights at the end), and ONNX Runtime sorts such graphs at load; so do we.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace onexn::graph {

// Node indices of `g` in a topological order that is the file's own order wherever that is
// valid: of the nodes whose inputs are all defined, the one first in the file comes first (so a
// sorted graph keeps its order exactly). Values defined outside the nodes are the initializers
// and the graph inputs. Throws Error naming `model`: for a node reading a value nothing
// defines (the node and the value), and for nodes that depend on each other in a cycle (the
// nodes of one cycle and the values that link them).
std::vector<int> topological_node_order(const onnx::GraphProto& g, const std::string& model);

}  // namespace onexn::graph
