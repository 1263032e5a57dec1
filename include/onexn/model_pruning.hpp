// Pruning a whole ONNX model: which layers, which pattern, and a report of what changed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "onexn/onnx_model.hpp"
#include "onexn/pattern.hpp"
#include "onexn/pattern_stats.hpp"
#include "onexn/rearrange_model.hpp"

namespace onexn {

// The default layer set (the 1xN paper's choice): every conv except the first conv and depthwise
// convs, ConvTranspose layers included (kind `transposed`); fully connected layers only when
// `full` is set.
bool in_default_layer_set(LayerKind kind, bool full);

// Which layers to prune. With `include` empty the default layer set is used; a non-empty `include`
// regex selects the layers whose node name or weight tensor name it matches (any kind: an explicit
// choice overrides the default set). `exclude` then removes layers matching it. Regexes use
// ECMAScript syntax and match anywhere in the name (std::regex_search).
struct LayerSelection {
  bool full = false;
  std::string include;
  std::string exclude;
};

// A per-layer override of a recipe: the first rule whose regex matches a selected layer's node
// or weight name sets its pattern and / or sparsity, or leaves it unpruned (`skip`). Rules do not
// select layers; LayerSelection does.
struct LayerRule {
  std::string match;
  std::optional<Pattern> pattern;
  std::optional<double> sparsity;
  bool skip = false;
};

struct PruneOptions {
  Pattern pattern;
  double sparsity = 0.5;
  LayerSelection layers;
  bool global_ranking = false;  // one threshold across all selected layers (see mask.hpp)
  std::vector<LayerRule> rules;
  // Filter rearrangement before the masks are taken (see rearrange_model.hpp).
  RearrangeMode rearrange = RearrangeMode::none;
  // Called with the rearranged, not yet pruned model (e.g. to save it); optional.
  std::function<void(const OnnxModel&)> on_rearranged;
};

struct LayerSummary {
  WeightedLayer layer;
  PatternStats stats;
  bool selected = false;  // in the layer set of the options used (default set for inspect)
};

// Throws InvalidArgument for a bad regex, an invalid pattern / sparsity pair, or a selection that
// matches no layer.
std::vector<const WeightedLayer*> select_layers(const OnnxModel& model, const LayerSelection& sel);

// What pruning kept of one layer: the share of its weights' L1 mass inside the kept units, for
// the mask taken on the original weights and on the rearranged ones (equal without
// rearrangement). The 1xN paper's measure of why rearrangement helps.
struct PrunedLayerReport {
  std::string node_name;
  std::string weight_tensor;
  Pattern pattern;
  double sparsity = 0;
  double l1_kept_plain = 0;
  double l1_kept_rearranged = 0;
};

struct PruneResult {
  std::vector<LayerSummary> layers;  // every weighted layer of the model, after pruning
  std::vector<PrunedLayerReport> pruned;  // the layers this run pruned, in graph order
  RearrangeResult rearrangement;
  int pruned_layers = 0;
  int64_t pruned_weights = 0;  // weights set to zero by this run
};

// Rearranges (options.rearrange), then prunes the selected layers in place. A weight tensor shared
// by several nodes is pruned once. Throws InvalidArgument for a bad rule (regex, pattern /
// sparsity pair) or global ranking combined with per-layer rules.
PruneResult prune_model(OnnxModel& model, const PruneOptions& options);

// One summary per weighted layer, `selected` telling whether the selection would prune it.
std::vector<LayerSummary> inspect_model(const OnnxModel& model, const LayerSelection& sel = {});

}  // namespace onexn
