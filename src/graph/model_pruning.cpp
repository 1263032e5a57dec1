#include "onexn/model_pruning.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <set>

#include "onexn/error.hpp"
#include "onexn/mask.hpp"

namespace onexn {
namespace {

std::optional<std::regex> compile(const std::string& text, const char* option) {
  if (text.empty()) return std::nullopt;
  try {
    return std::regex(text, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw InvalidArgument(fmt::format("{} '{}' is not a valid regular expression: {}", option, text,
                                      e.what()));
  }
}

bool matches(const std::regex& re, const WeightedLayer& layer) {
  return std::regex_search(layer.node_name, re) || std::regex_search(layer.weight_tensor, re);
}

std::vector<bool> selection_flags(const OnnxModel& model, const LayerSelection& sel) {
  const auto include = compile(sel.include, "--layers");
  const auto exclude = compile(sel.exclude, "--exclude");
  std::vector<bool> flags;
  for (const WeightedLayer& layer : model.weighted_layers()) {
    bool on = include ? matches(*include, layer) : in_default_layer_set(layer.kind, sel.full);
    if (exclude && matches(*exclude, layer)) on = false;
    flags.push_back(on);
  }
  return flags;
}

}  // namespace

bool in_default_layer_set(LayerKind kind, bool full) {
  switch (kind) {
    case LayerKind::pointwise:
    case LayerKind::kxk: return true;
    case LayerKind::fc: return full;
    case LayerKind::first:
    case LayerKind::depthwise: return false;
  }
  return false;
}

std::vector<const WeightedLayer*> select_layers(const OnnxModel& model, const LayerSelection& sel) {
  const std::vector<bool> flags = selection_flags(model, sel);
  std::vector<const WeightedLayer*> chosen;
  for (size_t i = 0; i < flags.size(); ++i)
    if (flags[i]) chosen.push_back(&model.weighted_layers()[i]);
  if (chosen.empty()) {
    throw InvalidArgument(fmt::format(
        "{}: no layer to prune ({} weighted layers; selection: {}{})", model.name(), flags.size(),
        sel.include.empty() ? (sel.full ? "default set with fc" : "default set")
                            : "--layers '" + sel.include + "'",
        sel.exclude.empty() ? "" : ", --exclude '" + sel.exclude + "'"));
  }
  return chosen;
}

PruneResult prune_model(OnnxModel& model, const PruneOptions& options) {
  options.pattern.check_sparsity(options.sparsity);
  // A weight tensor shared by several nodes is pruned once, for the first node that uses it.
  std::vector<const WeightedLayer*> targets;
  std::set<std::string> seen;
  for (const WeightedLayer* layer : select_layers(model, options.layers))
    if (seen.insert(layer->weight_tensor).second) targets.push_back(layer);

  std::vector<std::vector<float>> weights;
  std::vector<ConstWeightView> views;
  for (const WeightedLayer* layer : targets) weights.push_back(model.read_weights(*layer));
  for (size_t i = 0; i < targets.size(); ++i) views.push_back({weights[i].data(), targets[i]->shape});

  std::vector<Mask> masks;
  if (options.global_ranking) {
    masks = compute_masks_global(views, options.pattern, options.sparsity);
  } else {
    for (const ConstWeightView& v : views) masks.push_back(compute_mask(v, options.pattern, options.sparsity));
  }

  PruneResult result;
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto before = std::count(weights[i].begin(), weights[i].end(), 0.0f);
    apply_mask({weights[i].data(), targets[i]->shape}, masks[i]);
    const auto after = std::count(weights[i].begin(), weights[i].end(), 0.0f);
    result.pruned_weights += after - before;
    model.write_weights(*targets[i], weights[i]);
  }
  result.pruned_layers = static_cast<int>(targets.size());
  result.layers = inspect_model(model, options.layers);
  return result;
}

std::vector<LayerSummary> inspect_model(const OnnxModel& model, const LayerSelection& sel) {
  const std::vector<bool> flags = selection_flags(model, sel);
  std::vector<LayerSummary> out;
  for (size_t i = 0; i < flags.size(); ++i) {
    const WeightedLayer& layer = model.weighted_layers()[i];
    const std::vector<float> w = model.read_weights(layer);
    out.push_back({layer, analyze_pattern({w.data(), layer.shape}), flags[i]});
  }
  return out;
}

}  // namespace onexn
