// The runtime's Conv and ConvTranspose ops: shape inference, and a kernel that runs the
// implementation chosen for the layer (conv/conv_choice.hpp) from the ordered list of
// conv/conv_implementations.hpp.
#include "runtime/conv_op.hpp"

#include <fmt/format.h>

#include "onexn/error.hpp"
#include "runtime/conv/conv_attributes.hpp"
#include "runtime/conv/conv_choice.hpp"
#include "runtime/conv/conv_dead_taps.hpp"
#include "runtime/ops/op_families.hpp"

namespace onexn::runtime {
namespace {

class ConvKernel final : public ConvKernelBase {
 public:
  ConvKernel(const graph::Graph& g, const graph::Node& node, const ConvKernelOptions& options) {
    ConvLayer layer;
    layer.transposed = node.op == "ConvTranspose";
    const graph::Value& w = input_value(g, node, 1);
    if (layer.transposed) {
      layer.transpose = conv_transpose_params_of(g, node);
      layer.onnx_weights = w.constant->as_floats();
      layer.weights = conv_layout_weights(layer.transpose, layer.onnx_weights.data());
    } else {
      layer.conv = conv_params_of(g, node);
      layer.weights = w.constant->as_floats();
      crop_dead_taps(layer.conv, layer.weights);
    }
    if (node.inputs.size() > 2 && node.inputs[2] >= 0) layer.bias = input_value(g, node, 2).constant->as_floats();
    layer.has_residual = node.inputs.size() > 3 && node.inputs[3] >= 0;
    bias_ = layer.bias;
    layer.epilogue = epilogue_of(node, bias_);
    layer.threads = options.threads;
    layer.tune = options.tune;
    const WeightShape ws = layer.weight_shape();
    layer.stats = analyze_pattern({layer.weights.data(), ws});

    info_.params = layer.conv;
    info_.kind = conv_kind(g, node, ws);
    const int64_t batch = layer.transposed ? layer.transpose.batch : layer.conv.batch;
    info_.dense_macs = layer.dense_macs() / batch;
    info_.weight_bytes_dense = w.constant->numel() * static_cast<int64_t>(sizeof(float));
    info_.sparsity = layer.stats.sparsity();

    ConvChoiceOptions co;
    co.dense_only = options.dense_only;
    co.tune = options.tune;
    co.force = options.force;
    co.tuning = options.tuning;
    ConvChoice choice = choose_conv(layer, co);
    run_ = std::move(choice.built.run);
    scratch_ = choice.built.scratch;
    info_.implementation = choice.implementation;
    info_.kernel = choice.built.name;
    info_.block_size = choice.block_size;
    info_.tuning = choice.tuning;
    info_.weight_bytes_stored = choice.built.stored_weights * static_cast<int64_t>(sizeof(float));
  }

  void run(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
           const RunContext& ctx) const override {
    const float* residual = inputs.size() > 3 && inputs[3].f ? inputs[3].f : nullptr;
    run_(inputs[0].f, outputs[0].f, residual, ctx.threads, ctx.scratch);
  }
  int64_t scratch_floats() const override { return scratch_; }
  std::string describe() const override { return info_.kernel; }
  // Every implementation keeps its own weights and bias (packed, reordered, or copied).
  std::vector<size_t> copied_inputs() const override { return {1, 2}; }
  const ConvLayerInfo& info() const override { return info_; }

 private:
  ConvLayerInfo info_;
  std::vector<float> bias_;  // the epilogue of run_ may point here
  ConvRun run_;
  int64_t scratch_ = 0;
};

void infer_conv(graph::Graph& g, const graph::Node& node) {
  set_output(g, node, 0, DataType::f32, conv_output_shape(g, node));
}

std::unique_ptr<OpKernel> create_conv(const graph::Graph& g, const graph::Node& node) {
  ConvKernelOptions options;
  options.tune = false;
  return make_conv_kernel(g, node, options);
}

}  // namespace

bool is_conv_op(std::string_view op) { return op == "Conv" || op == "ConvTranspose"; }

std::unique_ptr<ConvKernelBase> make_conv_kernel(const graph::Graph& g, const graph::Node& node,
                                                 const ConvKernelOptions& options) {
  return std::make_unique<ConvKernel>(g, node, options);
}

void register_conv_ops(OpTable& t) {
  add_op(t, "Conv", {infer_conv, create_conv, ChannelRole::conv});
  add_op(t, "ConvTranspose", {infer_conv, create_conv, ChannelRole::conv_transpose});
}

}  // namespace onexn::runtime
