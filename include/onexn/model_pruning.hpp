// Pruning a whole ONNX model: which layers, which pattern, and a report of what changed.
#pragma once

#include <string>
#include <vector>

#include "onexn/onnx_model.hpp"
#include "onexn/pattern.hpp"
#include "onexn/pattern_stats.hpp"

namespace onexn {

// The default layer set (the 1xN paper's choice): every conv except the first conv and depthwise
// convs; fully connected layers only when `full` is set.
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

struct PruneOptions {
  Pattern pattern;
  double sparsity = 0.5;
  LayerSelection layers;
  bool global_ranking = false;  // one threshold across all selected layers (see mask.hpp)
};

struct LayerSummary {
  WeightedLayer layer;
  PatternStats stats;
  bool selected = false;  // in the layer set of the options used (default set for inspect)
};

// Throws InvalidArgument for a bad regex, an invalid pattern / sparsity pair, or a selection that
// matches no layer.
std::vector<const WeightedLayer*> select_layers(const OnnxModel& model, const LayerSelection& sel);

struct PruneResult {
  std::vector<LayerSummary> layers;  // every weighted layer of the model, after pruning
  int pruned_layers = 0;
  int64_t pruned_weights = 0;  // weights set to zero by this run
};

// Prunes the selected layers in place. A weight tensor shared by several nodes is pruned once.
PruneResult prune_model(OnnxModel& model, const PruneOptions& options);

// One summary per weighted layer, `selected` telling whether the selection would prune it.
std::vector<LayerSummary> inspect_model(const OnnxModel& model, const LayerSelection& sel = {});

}  // namespace onexn
