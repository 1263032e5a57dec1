// The runtime's Conv and ConvTranspose: shape inference, and a kernel per layer that runs the
// implementation chosen from the ordered list of runtime/conv/conv_implementations.hpp (our 1xN
// sparse kernel, our CSR kernel, oneDNN blocked / NCHW, our tile kernel on all blocks, the scalar
// reference). With `tune`, the candidates are timed on the layer's own shape at load and the
// fastest wins; otherwise a cost model decides. `dense_only` keeps the implementations that run
// every weight (the --dense comparison); `force` names one implementation to use wherever it
// applies.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "graph/ir.hpp"
#include "kernels/conv_params.hpp"
#include "runtime/op.hpp"

namespace onexn::runtime {

class TuningCache;

struct ConvKernelOptions {
  bool dense_only = false;
  bool tune = true;
  int threads = 1;
  std::string force;
  TuningCache* tuning = nullptr;  // see ConvChoiceOptions
};

// What a conv layer is and how it runs, for tables.
struct ConvLayerInfo {
  ConvParams params;            // Conv geometry (default for ConvTranspose)
  std::string kind;             // "first", "depthwise", "pointwise", "KxK", "transposed"
  std::string implementation;   // the list entry, e.g. "sparse" or "onednn"
  std::string kernel;           // what runs, e.g. "1x16 sparse (AVX3 16x1 padded)"
  int block_size = 0;           // N of the 1xN kernel, 0 otherwise
  std::string tuning;           // how it was chosen: see ConvChoice::tuning
  double sparsity = 0;          // share of zero weights
  int64_t dense_macs = 0;       // per image
  int64_t weight_bytes_dense = 0;
  int64_t weight_bytes_stored = 0;  // as the chosen kernel keeps them
};

class ConvKernelBase : public OpKernel {
 public:
  virtual const ConvLayerInfo& info() const = 0;
};

// Conv and ConvTranspose: the ops make_conv_kernel builds.
bool is_conv_op(std::string_view op);

std::unique_ptr<ConvKernelBase> make_conv_kernel(const graph::Graph& g, const graph::Node& node,
                                                 const ConvKernelOptions& options);

}  // namespace onexn::runtime
