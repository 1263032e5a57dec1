// The pruning half of the workflow on a LibTorch model: rearrangement through the exported ONNX
// model (onexn::rearrange_model, the code `onexn prune` runs) with the permuted tensors copied
// back by name, then the masks of the default layer set (onexn::compute_mask).
// Includes LibTorch: only src/train and tests/train include this header.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "onexn/onnx_model.hpp"
#include "onexn/pattern.hpp"
#include "onexn/rearrange_model.hpp"
#include "train/models.hpp"

namespace onexn::train {

// One pruned layer: its weight parameter (shares storage with the module) and its 0/1 mask.
struct MaskedLayer {
  std::string name;  // the weight parameter = ONNX initializer name
  std::string node;  // the ONNX Conv node
  std::string kind;  // LayerKind as text
  WeightShape shape;
  torch::Tensor weight;
  torch::Tensor mask;             // float, the weight's shape
  double l1_kept_plain = 0;       // share of L1 mass the mask keeps on the weights as trained
  double l1_kept_rearranged = 0;  // the same after rearrangement (the mask actually used)
};

struct PruningSetup {
  std::vector<MaskedLayer> layers;  // the default layer set, in graph order
  int permuted_sets = 0;
};

// The layers of the default layer set (onexn::in_default_layer_set of the exported model's
// layer kinds) in graph order, with all-ones masks.
std::vector<MaskedLayer> default_set_layers(NetImpl& net);

// Rearranges the model's channels with `mode` (as `onexn prune --rearrange MODE` does: each set
// is permuted only when no pruned layer keeps less L1 mass at `sparsity`), then takes each
// default-set layer's mask at `mask_sparsity` (sparsity, or 0 for the start of a gradual
// schedule) and applies it. The model's function is unchanged by the rearrangement itself.
PruningSetup prepare_pruning(NetImpl& net, const Pattern& pattern, double sparsity,
                             RearrangeMode mode, double mask_sparsity);

// Copies tensors (by name) into the model's parameters and buffers. Throws Error for a name the
// model does not have (other than the Clip bounds) or a size mismatch.
void copy_into_model(NetImpl& net, const std::vector<NetTensor>& tensors);

// Recomputes every mask from the current weights at sparsity p and applies it.
void update_masks(std::vector<MaskedLayer>& layers, const Pattern& pattern, double p);
// W <- W * mask for every layer.
void apply_masks(const std::vector<MaskedLayer>& layers);
// grad <- grad * mask for every layer.
void mask_gradients(const std::vector<MaskedLayer>& layers);

}  // namespace onexn::train
