#include "layer_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

namespace onexn::cli {
namespace {

std::string shape_text(const WeightShape& s) {
  if (s.kh == 1 && s.kw == 1 && s.groups == 1) return fmt::format("{}x{}", s.c_out, s.c_in_per_group);
  std::string text = fmt::format("{}x{}x{}x{}", s.c_out, s.c_in_per_group, s.kh, s.kw);
  if (s.groups > 1) text += fmt::format(" g{}", s.groups);
  return text;
}

// Fill columns are shown for N = 2 .. 32 (N = 1 is the kernel-level fill, rarely interesting).
constexpr int kShownBlockSizes[] = {2, 4, 8, 16, 32};

}  // namespace

void print_layer_table(std::ostream& out, const std::vector<LayerSummary>& layers,
                       const std::string& selected_title) {
  size_t name_width = 5;
  for (const auto& l : layers) name_width = std::max(name_width, l.layer.node_name.size());
  name_width = std::min<size_t>(name_width, 48);

  std::string header = fmt::format("{:<{}}  {:<10}  {:<16}  {:>8}", "layer", name_width, "kind",
                                   "shape", "sparsity");
  for (int n : kShownBlockSizes) header += fmt::format("  {:>6}", fmt::format("fill{}", n));
  header += fmt::format("  {:>7}", selected_title);
  out << header << '\n';

  int64_t total = 0, zeros = 0, selected_total = 0, selected_zeros = 0;
  for (const auto& l : layers) {
    std::string name = l.layer.node_name;
    if (name.size() > name_width) name = "..." + name.substr(name.size() - name_width + 3);
    std::string row = fmt::format("{:<{}}  {:<10}  {:<16}  {:>7.1f}%", name, name_width,
                                  to_string(l.layer.kind), shape_text(l.layer.shape),
                                  100.0 * l.stats.sparsity());
    for (int n : kShownBlockSizes) row += fmt::format("  {:>6.3f}", l.stats.fill_for(n));
    row += fmt::format("  {:>7}", l.selected ? "yes" : "no");
    out << row << '\n';
    const int64_t z = l.stats.numel - l.stats.nonzeros;
    total += l.stats.numel;
    zeros += z;
    if (l.selected) {
      selected_total += l.stats.numel;
      selected_zeros += z;
    }
  }
  auto share = [](int64_t part, int64_t whole) { return whole ? 100.0 * part / whole : 0.0; };
  out << fmt::format("{} layers, {} weights, {:.1f}% zero; {} layers marked '{}': {} weights, {:.1f}% zero\n",
                     layers.size(), total, share(zeros, total),
                     std::count_if(layers.begin(), layers.end(), [](const auto& l) { return l.selected; }),
                     selected_title, selected_total, share(selected_zeros, selected_total));
}

void print_layer_json(std::ostream& out, const std::vector<LayerSummary>& layers,
                      const std::string& model, const std::string& selected_key) {
  for (const auto& l : layers) {
    nlohmann::ordered_json j;
    j["model"] = model;
    j["layer"] = l.layer.node_name;
    j["op_type"] = l.layer.op_type;
    j["weight"] = l.layer.weight_tensor;
    j["kind"] = to_string(l.layer.kind);
    j["shape"] = {l.layer.shape.c_out, l.layer.shape.c_in_per_group, l.layer.shape.kh, l.layer.shape.kw};
    j["groups"] = l.layer.shape.groups;
    j["numel"] = l.stats.numel;
    j["nonzeros"] = l.stats.nonzeros;
    j["sparsity"] = l.stats.sparsity();
    nlohmann::ordered_json fill;
    for (size_t i = 0; i < std::size(kBlockSizes); ++i) fill[std::to_string(kBlockSizes[i])] = l.stats.fill[i];
    j["block_fill"] = fill;
    j["exact_block_size"] = l.stats.exact_block_size();
    j[selected_key] = l.selected;
    out << j.dump() << '\n';
  }
}

}  // namespace onexn::cli
