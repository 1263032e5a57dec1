// The runtime's Conv: shape inference, and a kernel that picks its implementation per layer.
//
// Candidates: our 1xN sparse kernel (N from the weights' block fill), our CSR kernel (weights
// mostly zero), our tile kernel on all blocks (dense), oneDNN at its best layout (with reorders
// to and from NCHW) and oneDNN on NCHW. With `tune`, each candidate is timed on the layer's own
// shape at load and the fastest wins; otherwise a cost model decides. `dense_only` keeps the
// dense candidates only (the --dense comparison).
#pragma once

#include <memory>
#include <string>

#include "graph/ir.hpp"
#include "onexn/conv_params.hpp"
#include "runtime/op.hpp"

namespace onexn::runtime {

struct ConvKernelOptions {
  bool dense_only = false;
  bool tune = true;
  int threads = 1;
};

// What a conv layer is and how it runs, for tables.
struct ConvLayerInfo {
  ConvParams params;
  std::string kind;        // "first", "depthwise", "pointwise", "KxK"
  std::string kernel;      // chosen implementation, e.g. "1x16 sparse" or "oneDNN brg (blocked)"
  int block_size = 0;      // N of the 1xN kernel, 0 otherwise
  double sparsity = 0;     // share of zero weights
  int64_t dense_macs = 0;  // per image
  int64_t weight_bytes_dense = 0;
  int64_t weight_bytes_stored = 0;  // as the chosen kernel keeps them
};

class ConvKernelBase : public OpKernel {
 public:
  virtual const ConvLayerInfo& info() const = 0;
};

std::unique_ptr<ConvKernelBase> make_conv_kernel(const graph::Graph& g, const graph::Node& node,
                                                 const ConvKernelOptions& options);

// The conv geometry of a Conv node whose input shapes are known (auto_pad resolved).
ConvParams conv_params_of(const graph::Graph& g, const graph::Node& node);

}  // namespace onexn::runtime
