// Pruning recipes: a JSON file with the options of `onexn prune` and per-layer rules, so a
// pruning setup can be kept, reviewed and reused. Format and example: docs/recipes.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onexn/model_pruning.hpp"

namespace onexn {

// Options that may be left unset: by a recipe file, or by the command line (where they win).
struct PruneOptionOverrides {
  std::optional<Pattern> pattern;
  std::optional<double> sparsity;
  std::optional<bool> full;
  std::optional<bool> global_ranking;
  std::optional<RearrangeMode> rearrange;
  std::optional<std::string> include;
  std::optional<std::string> exclude;
};

// A recipe: every top-level field is optional, plus the per-layer rules.
struct Recipe : PruneOptionOverrides {
  std::vector<LayerRule> rules;
};

// Throws InvalidArgument naming `what` and the offending field for malformed JSON, unknown
// fields, wrong types, unknown patterns or modes, and sparsities outside [0, 1).
Recipe parse_recipe(std::string_view json, std::string_view what);
// Reads and parses a recipe file; Error when it cannot be read.
Recipe load_recipe(const std::filesystem::path& path);

// The options: the command line wins over the recipe, the recipe over the defaults (1x4, 0.5 or
// N:M's implied sparsity, default layer set, graph rearrangement).
PruneOptions resolve_prune_options(const Recipe& recipe, const PruneOptionOverrides& command_line);

}  // namespace onexn
