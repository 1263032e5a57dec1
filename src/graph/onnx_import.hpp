// ONNX model -> graph IR.
#pragma once

#include <cstdint>

#include "graph/ir.hpp"
#include "onexn/onnx_model.hpp"

namespace onexn::graph {

struct ImportOptions {
  // > 0: the batch size (first dimension of every graph input of rank >= 2). 0: the model's own first
  // dimension, or 1 when it is symbolic.
  int64_t batch = 0;
};

// Initializers and Constant nodes become constants, graph inputs runtime inputs with fixed
// shapes. Throws Error naming the model and the input, tensor or node at fault: non-float inputs,
// unknown dimensions other than the batch, tensors of unsupported data types, ops of other
// domains. Ops themselves are checked later, against the runtime's registry.
Graph import_onnx(const OnnxModel& model, const ImportOptions& options = {});

}  // namespace onexn::graph
