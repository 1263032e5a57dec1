#include <algorithm>

#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "ranking_units.hpp"

namespace onexn {

std::vector<Mask> compute_masks_global(std::span<const ConstWeightView> layers,
                                       const Pattern& pattern, double sparsity) {
  pattern.check_sparsity(sparsity);
  if (pattern.kind == PatternKind::balanced_one_by_n || pattern.kind == PatternKind::n_of_m) {
    throw InvalidArgument("pattern " + pattern.to_string() +
                          " is defined per layer; a global ranking supports 1xN, unstructured "
                          "and filter");
  }
  // All units of all layers in one list; offsets[l] is where layer l's units start.
  std::vector<float> scores;
  std::vector<int64_t> offsets;
  for (const ConstWeightView& w : layers) {
    w.shape.validate();
    offsets.push_back(static_cast<int64_t>(scores.size()));
    const auto layer_scores = detail::unit_scores(w, pattern);
    scores.insert(scores.end(), layer_scores.begin(), layer_scores.end());
  }
  offsets.push_back(static_cast<int64_t>(scores.size()));

  std::vector<Mask> masks;
  for (const ConstWeightView& w : layers) masks.emplace_back(w.shape.numel(), 1);
  const auto k = detail::prune_count(static_cast<int64_t>(scores.size()), sparsity);
  for (int64_t unit : detail::lowest_k(scores, k)) {
    const size_t l = std::upper_bound(offsets.begin(), offsets.end(), unit) - offsets.begin() - 1;
    detail::clear_unit(layers[l].shape, pattern, unit - offsets[l], masks[l]);
  }
  return masks;
}

}  // namespace onexn
