#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "onexn/block_grid.hpp"
#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "ranking_units.hpp"

namespace onexn {
namespace {

// Every output group loses the same number of blocks: floor(c_in_per_group * p), lowest first.
Mask balanced_mask(ConstWeightView w, const Pattern& pattern, double p) {
  const WeightShape& s = w.shape;
  const BlockGrid grid(s, pattern.n);
  const auto scores = detail::unit_scores(w, Pattern::one_by_n(pattern.n));
  const int64_t per_group = detail::prune_count(s.c_in_per_group, p);
  Mask mask(s.numel(), 1);
  for (int64_t g = 0; g < grid.num_out_groups(); ++g) {
    const auto first = scores.begin() + g * s.c_in_per_group;
    const std::vector<float> group(first, first + s.c_in_per_group);
    for (int64_t c : detail::lowest_k(group, per_group)) {
      detail::clear_unit(s, pattern, g * s.c_in_per_group + c, mask);
    }
  }
  return mask;
}

// For each output channel and tap, every run of M consecutive input channels keeps its N largest
// magnitudes. A shorter last run (c_in_per_group not divisible by M) also keeps up to N.
Mask n_of_m_mask(ConstWeightView w, const Pattern& pattern) {
  const WeightShape& s = w.shape;
  Mask mask(s.numel(), 1);
  std::vector<float> run;
  for (int64_t o = 0; o < s.c_out; ++o) {
    for (int64_t t = 0; t < s.taps(); ++t) {
      for (int64_t c0 = 0; c0 < s.c_in_per_group; c0 += pattern.m) {
        const int64_t len = std::min<int64_t>(pattern.m, s.c_in_per_group - c0);
        if (len <= pattern.n) continue;
        run.resize(len);
        for (int64_t j = 0; j < len; ++j) run[j] = std::abs(w.data[s.index(o, c0 + j, 0, 0) + t]);
        for (int64_t j : detail::lowest_k(run, len - pattern.n)) mask[s.index(o, c0 + j, 0, 0) + t] = 0;
      }
    }
  }
  return mask;
}

}  // namespace

Mask compute_mask(ConstWeightView w, const Pattern& pattern, double sparsity) {
  w.shape.validate();
  pattern.check_sparsity(sparsity);
  switch (pattern.kind) {
    case PatternKind::balanced_one_by_n: return balanced_mask(w, pattern, sparsity);
    case PatternKind::n_of_m: return n_of_m_mask(w, pattern);
    default: {
      const ConstWeightView one[] = {w};
      return std::move(compute_masks_global(one, pattern, sparsity).front());
    }
  }
}

void apply_mask(WeightView w, const Mask& mask) {
  if (static_cast<int64_t>(mask.size()) != w.shape.numel()) {
    throw InvalidArgument("apply_mask: mask has " + std::to_string(mask.size()) +
                          " entries, weights " + w.shape.to_string() + " have " +
                          std::to_string(w.shape.numel()));
  }
  for (int64_t i = 0; i < w.shape.numel(); ++i)
    if (!mask[i]) w.data[i] = 0.0f;
}

double mask_sparsity(const Mask& mask) {
  if (mask.empty()) return 0.0;
  const auto kept = std::count(mask.begin(), mask.end(), uint8_t{1});
  return 1.0 - double(kept) / double(mask.size());
}

}  // namespace onexn
