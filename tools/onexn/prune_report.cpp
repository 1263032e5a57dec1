#include "prune_report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ostream>

namespace onexn::cli {

void print_prune_report(std::ostream& out, const PruneResult& result, RearrangeMode mode) {
  const bool rearranged = mode != RearrangeMode::none;
  size_t width = 5;
  for (const PrunedLayerReport& r : result.pruned) width = std::max(width, r.node_name.size());
  width = std::min<size_t>(width, 48);
  out << fmt::format("{:<{}}  {:>8}  {:>5}  {:>10}", "layer", width, "pattern", "p", "L1 kept");
  if (rearranged) out << fmt::format("  {:>10}  {:>7}", fmt::format("{} rearr.", to_string(mode)), "gain");
  out << '\n';
  double plain = 0, with = 0;
  for (const PrunedLayerReport& r : result.pruned) {
    std::string name = r.node_name;
    if (name.size() > width) name = "..." + name.substr(name.size() - width + 3);
    out << fmt::format("{:<{}}  {:>8}  {:>5.2f}  {:>9.2f}%", name, width, r.pattern.to_string(), r.sparsity,
                       100 * r.l1_kept_plain);
    if (rearranged) {
      out << fmt::format("  {:>9.2f}%  {:>+6.2f}", 100 * r.l1_kept_rearranged,
                         100 * (r.l1_kept_rearranged - r.l1_kept_plain));
    }
    out << '\n';
    plain += r.l1_kept_plain;
    with += r.l1_kept_rearranged;
  }
  const double n = std::max<double>(1, result.pruned.size());
  out << fmt::format("mean L1 kept over {} layers: {:.2f}%", result.pruned.size(), 100 * plain / n);
  if (rearranged) {
    int sets = static_cast<int>(result.rearrangement.sets.size());
    out << fmt::format(" without rearrangement, {:.2f}% with {} rearrangement ({} of {} channel sets permuted, "
                       "{} channels)",
                       100 * with / n, to_string(mode), result.rearrangement.permuted_sets, sets,
                       result.rearrangement.permuted_channels);
  }
  out << '\n';
}

std::string prune_report_json(const PruneResult& result, const PruneOptions& options,
                              const std::string& input, const std::string& output) {
  nlohmann::ordered_json j;
  j["input"] = input;
  j["output"] = output;
  j["pattern"] = options.pattern.to_string();
  j["sparsity"] = options.sparsity;
  j["rearrange"] = to_string(options.rearrange);
  j["global_ranking"] = options.global_ranking;
  j["pruned_layers"] = result.pruned_layers;
  j["pruned_weights"] = result.pruned_weights;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const PrunedLayerReport& r : result.pruned) {
    nlohmann::ordered_json l;
    l["layer"] = r.node_name;
    l["weight"] = r.weight_tensor;
    l["pattern"] = r.pattern.to_string();
    l["n"] = r.pattern.is_one_by_n() ? r.pattern.n : 0;
    l["sparsity"] = r.sparsity;
    l["l1_kept_without_rearrangement"] = r.l1_kept_plain;
    l["l1_kept"] = r.l1_kept_rearranged;
    layers.push_back(std::move(l));
  }
  j["layers"] = std::move(layers);
  nlohmann::ordered_json sets = nlohmann::ordered_json::array();
  for (const ChannelSetSummary& s : result.rearrangement.sets) {
    nlohmann::ordered_json o;
    o["channels"] = s.channels;
    o["producers"] = s.producers;
    o["tied"] = s.tied;
    o["permuted"] = s.permuted;
    if (!s.permuted) o["reason"] = s.reason;
    sets.push_back(std::move(o));
  }
  j["channel_sets"] = std::move(sets);
  return j.dump(2) + "\n";
}

}  // namespace onexn::cli
