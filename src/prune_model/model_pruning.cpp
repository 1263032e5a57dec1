#include "onexn/model_pruning.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
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
    case LayerKind::kxk:
    case LayerKind::transposed: return true;
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

namespace {

// The pattern and sparsity of one target layer after the recipe's rules; nullopt: skipped.
struct LayerPlan {
  const WeightedLayer* layer = nullptr;
  Pattern pattern;
  double sparsity = 0;
};

struct CompiledRule {
  std::regex re;
  const LayerRule* rule;
};

std::vector<CompiledRule> compile_rules(const PruneOptions& options) {
  std::vector<CompiledRule> out;
  for (const LayerRule& r : options.rules) {
    auto re = compile(r.match, "rule 'match'");
    if (!re) throw InvalidArgument("a rule has an empty 'match' regex");
    const Pattern p = r.pattern.value_or(options.pattern);
    const double sp = r.sparsity.value_or(r.pattern ? p.implied_sparsity().value_or(options.sparsity)
                                                    : options.sparsity);
    if (!r.skip) {
      try {
        p.check_sparsity(sp);
      } catch (const InvalidArgument& e) {
        throw InvalidArgument(fmt::format("rule '{}': {}", r.match, e.what()));
      }
    }
    if (options.global_ranking && (r.pattern || r.sparsity)) {
      throw InvalidArgument(fmt::format("rule '{}': global ranking uses one pattern and sparsity for "
                                        "all layers; per-layer pattern or sparsity cannot be combined with it",
                                        r.match));
    }
    out.push_back({std::move(*re), &r});
  }
  return out;
}

// `once`: a weight tensor shared by several nodes is pruned once, for the first node using it.
std::vector<LayerPlan> plan_layers(const OnnxModel& model, const PruneOptions& options, bool once = true) {
  const std::vector<CompiledRule> rules = compile_rules(options);
  std::vector<LayerPlan> plans;
  std::set<std::string> seen;
  for (const WeightedLayer* layer : select_layers(model, options.layers)) {
    if (once && !seen.insert(layer->weight_tensor).second) continue;
    LayerPlan plan{layer, options.pattern, options.sparsity};
    for (const CompiledRule& r : rules) {
      if (!matches(r.re, *layer)) continue;
      if (r.rule->skip) plan.layer = nullptr;
      if (r.rule->pattern) {
        plan.pattern = *r.rule->pattern;
        plan.sparsity = plan.pattern.implied_sparsity().value_or(options.sparsity);
      }
      if (r.rule->sparsity) plan.sparsity = *r.rule->sparsity;
      break;
    }
    if (plan.layer) plans.push_back(plan);
  }
  if (plans.empty()) throw InvalidArgument(fmt::format("{}: the recipe's rules skip every selected layer", model.name()));
  return plans;
}

std::vector<Mask> compute_plan_masks(const std::vector<LayerPlan>& plans,
                                     const std::vector<std::vector<float>>& weights,
                                     const PruneOptions& options) {
  std::vector<ConstWeightView> views;
  for (size_t i = 0; i < plans.size(); ++i) views.push_back({weights[i].data(), plans[i].layer->shape});
  if (options.global_ranking) return compute_masks_global(views, options.pattern, options.sparsity);
  std::vector<Mask> masks;
  for (size_t i = 0; i < plans.size(); ++i) masks.push_back(compute_mask(views[i], plans[i].pattern, plans[i].sparsity));
  return masks;
}

double l1_kept_share(const std::vector<float>& w, const Mask& mask) {
  double kept = 0, total = 0;
  for (size_t k = 0; k < w.size(); ++k) {
    const double a = std::fabs(w[k]);
    total += a;
    if (mask[k]) kept += a;
  }
  return total > 0 ? kept / total : 1.0;
}

std::vector<std::vector<float>> read_plan_weights(const OnnxModel& model, const std::vector<LayerPlan>& plans) {
  std::vector<std::vector<float>> weights;
  for (const LayerPlan& p : plans) weights.push_back(model.read_weights(*p.layer));
  return weights;
}

}  // namespace

PruneResult prune_model(OnnxModel& model, const PruneOptions& options) {
  options.pattern.check_sparsity(options.sparsity);
  PruneResult result;

  // The masks the original weights would get, for the report's "without rearrangement" share,
  // by node (rearrangement may give nodes that shared a weight tensor their own copies).
  std::map<int, double> plain_share;
  if (options.rearrange != RearrangeMode::none) {
    const std::vector<LayerPlan> plain = plan_layers(model, options, /*once=*/false);
    const auto original = read_plan_weights(model, plain);
    const auto masks = compute_plan_masks(plain, original, options);
    for (size_t i = 0; i < plain.size(); ++i) plain_share[plain[i].layer->node_index] = l1_kept_share(original[i], masks[i]);
    // Rearrangement may not cost a pruned layer kept L1: each order is checked with the
    // layer's own pattern and sparsity.
    // (Copied by value: rearrangement may re-index the model's layers.)
    struct LayerMask {
      WeightShape shape;
      Pattern pattern;
      double sparsity;
    };
    std::map<std::string, LayerMask> by_node;
    for (const LayerPlan& p : plain) by_node[p.layer->node_name] = {p.layer->shape, p.pattern, p.sparsity};
    RearrangeOptions ro{options.rearrange, {}};
    if (!options.global_ranking) {
      ro.kept_share = [&by_node](const std::string& node, ConstWeightView w) -> std::optional<double> {
        const auto it = by_node.find(node);
        if (it == by_node.end() || !(it->second.shape == w.shape)) return std::nullopt;
        const std::vector<float> v(w.data, w.data + w.shape.numel());
        return l1_kept_share(v, compute_mask(w, it->second.pattern, it->second.sparsity));
      };
    }
    result.rearrangement = rearrange_model(model, ro);
    if (options.on_rearranged) options.on_rearranged(model);
  }

  const std::vector<LayerPlan> plans = plan_layers(model, options);
  std::vector<std::vector<float>> weights = read_plan_weights(model, plans);
  const std::vector<Mask> masks = compute_plan_masks(plans, weights, options);
  for (size_t i = 0; i < plans.size(); ++i) {
    const LayerPlan& p = plans[i];
    const double share = l1_kept_share(weights[i], masks[i]);
    const auto plain = plain_share.find(p.layer->node_index);
    result.pruned.push_back({p.layer->node_name, p.layer->weight_tensor, p.pattern, p.sparsity,
                             plain == plain_share.end() ? share : plain->second, share});
    const auto before = std::count(weights[i].begin(), weights[i].end(), 0.0f);
    apply_mask({weights[i].data(), p.layer->shape}, masks[i]);
    const auto after = std::count(weights[i].begin(), weights[i].end(), 0.0f);
    result.pruned_weights += after - before;
    model.write_weights(*p.layer, weights[i]);
  }
  result.pruned_layers = static_cast<int>(plans.size());
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
