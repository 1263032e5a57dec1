// Pattern analysis of a dense weight tensor: how sparse it is and which 1xN block sizes its zeros
// follow, so the runtime can pick a kernel N for it.
//
// Block fill for N: nonzero weights / weights in the 1xN blocks that hold at least one nonzero.
// It is the share of useful multiply-adds a 1xN kernel would do on this tensor: 1.0 when every
// block is either all zero or all nonzero (exact 1xN structure, or a dense tensor), about 1 - p
// for unstructured sparsity p and large N. A tensor of all zeros has fill 1 (no wasted work).
#pragma once

#include <array>
#include <cstdint>

#include "onexn/block_grid.hpp"
#include "onexn/weight_shape.hpp"

namespace onexn {

double block_fill(ConstWeightView w, int n);

struct PatternStats {
  int64_t numel = 0;
  int64_t nonzeros = 0;
  std::array<double, std::size(kBlockSizes)> fill{};  // fill[i] is block_fill for kBlockSizes[i]

  double sparsity() const { return numel ? 1.0 - double(nonzeros) / double(numel) : 0.0; }
  double fill_for(int n) const;
  // Largest N whose fill is exactly 1 while the tensor has zeros: the tensor is exactly 1xN
  // pruned. 0 when the tensor has no zeros or no N fits exactly.
  int exact_block_size() const;
};

PatternStats analyze_pattern(ConstWeightView w);

}  // namespace onexn
