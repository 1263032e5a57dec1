// The 1xN block grid of a weight tensor.
//
// A block is N consecutive output channels at one input channel, with all kh*kw taps:
//   block(g, c) = W[first(g) .. first(g)+rows(g)][c][:][:]
// Output groups never straddle a conv group: each conv group's c_out_per_group channels are split
// into ceil(c_out_per_group / N) output groups of N, and when N does not divide c_out_per_group the
// last output group of each conv group is shorter (it holds the remaining c_out_per_group % N rows).
// Output groups are numbered conv group by conv group; input channels c index W's second dimension.
#pragma once

#include <cstdint>

#include "onexn/weight_shape.hpp"

namespace onexn {

// The N values onexn supports for 1xN blocks.
inline constexpr int kBlockSizes[] = {1, 2, 4, 8, 16, 32};
bool is_supported_block_size(int n);

struct BlockGrid {
  WeightShape shape;
  int n = 1;

  BlockGrid(WeightShape shape, int n);  // throws InvalidArgument for unsupported N

  int64_t groups_per_conv_group() const { return (shape.c_out_per_group() + n - 1) / n; }
  int64_t num_out_groups() const { return groups_per_conv_group() * shape.groups; }
  int64_t num_blocks() const { return num_out_groups() * shape.c_in_per_group; }
  // First output channel of output group g.
  int64_t first_row(int64_t g) const;
  // Number of output channels in group g: n, or fewer for the last group of a conv group.
  int64_t rows(int64_t g) const;
  // Weights in one block of group g.
  int64_t block_numel(int64_t g) const { return rows(g) * shape.taps(); }
};

}  // namespace onexn
