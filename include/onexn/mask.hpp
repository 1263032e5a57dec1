// Pruning masks. A Mask holds one byte per weight (same OIHW order as the weights): 1 keeps the
// weight, 0 zeroes it. Ties between equal scores are broken by position (lower index is pruned
// first), so masks are deterministic.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "onexn/pattern.hpp"
#include "onexn/weight_shape.hpp"

namespace onexn {

using Mask = std::vector<uint8_t>;

// Layer-wise mask: prunes this layer alone at sparsity p (see pattern.hpp for each pattern's rule).
Mask compute_mask(ConstWeightView w, const Pattern& pattern, double sparsity);

// Global ranking: one threshold across all layers. Units (blocks, weights or filters) of every layer
// are ranked together and floor(total_units * p) lowest are zeroed. Because layers differ in block
// size (a 3x3 block holds 9x the weights of a 1x1 block), the global score of a unit is its mean
// absolute weight, not its L1 sum. Supported for 1xN, unstructured and filter; the balanced and N:M
// patterns are per-layer by definition and are rejected with InvalidArgument.
std::vector<Mask> compute_masks_global(std::span<const ConstWeightView> layers,
                                       const Pattern& pattern, double sparsity);

// W <- W (.) mask. Throws InvalidArgument if the sizes differ.
void apply_mask(WeightView w, const Mask& mask);

// Share of zero entries in a mask.
double mask_sparsity(const Mask& mask);

}  // namespace onexn
