// Pruning units shared by the layer-wise and the global masks: 1xN blocks, single weights or whole
// filters. A unit's score is the mean absolute value of its weights. Within a layer this ranks full
// blocks exactly as their L1 norm does; it also ranks the shorter last block of a group (C_out not
// divisible by N) and units of different layers on an equal footing.
#pragma once

#include <cstdint>
#include <vector>

#include "onexn/mask.hpp"
#include "onexn/pattern.hpp"
#include "onexn/weight_shape.hpp"

namespace onexn::detail {

// Scores of every unit of `w` for pattern kinds one_by_n, unstructured or filter. Unit numbering:
// 1xN block (g, c) is g * c_in_per_group + c; a weight is its flat index; a filter is its row.
std::vector<float> unit_scores(ConstWeightView w, const Pattern& pattern);

// Sets to 0 every mask entry of the given unit.
void clear_unit(const WeightShape& shape, const Pattern& pattern, int64_t unit, Mask& mask);

// floor(total * p), robust to the rounding of p: 100 * 0.29 is 28.999999999999996 in doubles, and
// the user asked for 29.
int64_t prune_count(int64_t total, double p);

// Indices of the k lowest scores; equal scores are taken in index order.
std::vector<int64_t> lowest_k(const std::vector<float>& scores, int64_t k);

}  // namespace onexn::detail
