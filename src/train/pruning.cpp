#include "train/pruning.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "onexn/model_pruning.hpp"

namespace onexn::train {
namespace {

double l1_kept_share(const float* w, const Mask& mask) {
  double kept = 0, total = 0;
  for (size_t k = 0; k < mask.size(); ++k) {
    const double a = std::fabs(w[k]);
    total += a;
    if (mask[k]) kept += a;
  }
  return total > 0 ? kept / total : 1.0;
}

// The mask of one weight tensor, as onexn::compute_mask takes it (OIHW floats).
Mask tensor_mask(const torch::Tensor& weight, const WeightShape& shape, const Pattern& pattern,
                 double p) {
  const torch::Tensor w = weight.detach().contiguous();
  return compute_mask({w.data_ptr<float>(), shape}, pattern, p);
}

void set_mask(MaskedLayer& layer, const Mask& mask) {
  torch::Tensor bytes =
      torch::from_blob(const_cast<uint8_t*>(mask.data()), {int64_t(mask.size())}, torch::kUInt8);
  layer.mask = bytes.to(torch::kFloat).view(layer.weight.sizes()).clone();
}

}  // namespace

void copy_into_model(NetImpl& net, const std::vector<NetTensor>& tensors) {
  const auto params = net.named_parameters(/*recurse=*/true);
  const auto buffers = net.named_buffers(/*recurse=*/true);
  torch::NoGradGuard no_grad;
  for (const NetTensor& t : tensors) {
    if (t.name == kClipMinName || t.name == kClipMaxName) continue;
    const torch::Tensor* target = params.find(t.name);
    if (!target) target = buffers.find(t.name);
    if (!target)
      throw Error(
          fmt::format("tensor '{}' of the exported model is not in the LibTorch model", t.name));
    if (target->numel() != static_cast<int64_t>(t.values.size())) {
      throw Error(fmt::format("tensor '{}': {} values for a LibTorch tensor of {}", t.name,
                              t.values.size(), target->numel()));
    }
    torch::Tensor src =
        torch::from_blob(const_cast<float*>(t.values.data()), target->sizes(), torch::kFloat);
    target->copy_(src);
  }
}

std::vector<MaskedLayer> default_set_layers(NetImpl& net) {
  const OnnxModel model = to_onnx_model(describe_model(net), "the model being pruned");
  const auto params = net.named_parameters(/*recurse=*/true);
  std::vector<MaskedLayer> layers;
  for (const WeightedLayer& layer : model.weighted_layers()) {
    if (!in_default_layer_set(layer.kind, /*full=*/false)) continue;
    const torch::Tensor* w = params.find(layer.weight_tensor);
    if (!w)
      throw Error(fmt::format("layer weight '{}' is not a parameter of the LibTorch model",
                              layer.weight_tensor));
    MaskedLayer m;
    m.name = layer.weight_tensor;
    m.node = layer.node_name;
    m.kind = to_string(layer.kind);
    m.shape = layer.shape;
    m.weight = *w;
    m.mask = torch::ones_like(*w);
    layers.push_back(std::move(m));
  }
  if (layers.empty()) throw Error("the model has no layer in the default layer set to prune");
  return layers;
}

PruningSetup prepare_pruning(NetImpl& net, const Pattern& pattern, double sparsity,
                             RearrangeMode mode, double mask_sparsity) {
  PruningSetup setup;
  setup.layers = default_set_layers(net);
  std::map<std::string, WeightShape> by_node;
  for (MaskedLayer& layer : setup.layers) {
    by_node[layer.node] = layer.shape;
    const torch::Tensor w = layer.weight.detach().contiguous();
    layer.l1_kept_plain =
        l1_kept_share(w.data_ptr<float>(), tensor_mask(w, layer.shape, pattern, sparsity));
  }

  if (mode != RearrangeMode::none) {
    // As prune_model does: an order is taken only when no pruned layer keeps less L1 mass.
    RearrangeOptions ro{mode,
                        [&](const std::string& node, ConstWeightView w) -> std::optional<double> {
                          const auto it = by_node.find(node);
                          if (it == by_node.end() || !(it->second == w.shape)) return std::nullopt;
                          return l1_kept_share(w.data, compute_mask(w, pattern, sparsity));
                        }};
    OnnxModel model = to_onnx_model(describe_model(net), "the model being rearranged");
    setup.permuted_sets = rearrange_model(model, ro).permuted_sets;
    copy_into_model(net, read_initializers(model));
  }

  for (MaskedLayer& layer : setup.layers) {
    const torch::Tensor w = layer.weight.detach().contiguous();
    layer.l1_kept_rearranged =
        l1_kept_share(w.data_ptr<float>(), tensor_mask(w, layer.shape, pattern, sparsity));
  }
  update_masks(setup.layers, pattern, mask_sparsity);
  return setup;
}

void update_masks(std::vector<MaskedLayer>& layers, const Pattern& pattern, double p) {
  for (MaskedLayer& layer : layers)
    set_mask(layer, tensor_mask(layer.weight, layer.shape, pattern, p));
  apply_masks(layers);
}

void apply_masks(const std::vector<MaskedLayer>& layers) {
  torch::NoGradGuard no_grad;
  for (const MaskedLayer& layer : layers) layer.weight.mul_(layer.mask);
}

void mask_gradients(const std::vector<MaskedLayer>& layers) {
  torch::NoGradGuard no_grad;
  for (const MaskedLayer& layer : layers) {
    torch::Tensor grad = layer.weight.grad();
    if (grad.defined()) grad.mul_(layer.mask);
  }
}

}  // namespace onexn::train
