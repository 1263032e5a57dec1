// Printing per-layer summaries: a table for people, JSON Lines for programs.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "onexn/model_pruning.hpp"

namespace onexn::cli {

// One row per layer: name, kind, shape, sparsity, block fill for N = 2..32, and whether the layer
// is selected (column title `selected_title`, e.g. "default" or "pruned").
void print_layer_table(std::ostream& out, const std::vector<LayerSummary>& layers,
                       const std::string& selected_title);

// One JSON object per layer per line; `selected_key` names the selection flag field.
void print_layer_json(std::ostream& out, const std::vector<LayerSummary>& layers,
                      const std::string& model, const std::string& selected_key);

}  // namespace onexn::cli
