// An independent restatement of the 1xN block geometry for the tests (format, prune, kernels).
//
// BlockGrid computes a group's first row and size with div/mod arithmetic; here the blocks are
// enumerated the obvious way instead: conv group by conv group, output channels in runs of N (the
// last run of a conv group shorter), and for each run every input channel. Tests compare the
// library against this list, never against BlockGrid itself.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>
#include <vector>

#include "onexn/weight_shape.hpp"

namespace onexn {
// Lets GoogleTest print shapes in failure messages.
inline void PrintTo(const WeightShape& s, std::ostream* os) { *os << s.to_string(); }
}  // namespace onexn

namespace onexn::test {

struct RefBlock {
  int64_t group = 0;      // output group number (runs counted across all conv groups)
  int64_t first_row = 0;  // first output channel
  int64_t rows = 0;       // output channels in the run
  int64_t channel = 0;    // input channel within the conv group
};

// Every block, in the numbering g * c_in_per_group + c.
inline std::vector<RefBlock> reference_blocks(const WeightShape& s, int n) {
  std::vector<RefBlock> blocks;
  const int64_t per_group = s.c_out / s.groups;
  int64_t group = 0;
  for (int64_t cg = 0; cg < s.groups; ++cg) {
    for (int64_t start = 0; start < per_group; start += n, ++group) {
      const int64_t rows = std::min<int64_t>(n, per_group - start);
      for (int64_t c = 0; c < s.c_in_per_group; ++c) {
        blocks.push_back({group, cg * per_group + start, rows, c});
      }
    }
  }
  return blocks;
}

// Flat OIHW indices of the weights of one block.
inline std::vector<int64_t> block_elements(const WeightShape& s, const RefBlock& b) {
  std::vector<int64_t> idx;
  for (int64_t r = 0; r < b.rows; ++r)
    for (int64_t y = 0; y < s.kh; ++y)
      for (int64_t x = 0; x < s.kw; ++x) idx.push_back(s.index(b.first_row + r, b.channel, y, x));
  return idx;
}

// Mean |w| over the block's weights, in double.
inline double block_mean_abs(const std::vector<float>& w, const WeightShape& s, const RefBlock& b) {
  double sum = 0.0;
  const auto idx = block_elements(s, b);
  for (int64_t i : idx) sum += std::abs(double(w[i]));
  return sum / double(idx.size());
}

// A random weight shape: 1..max_cog output channels per conv group, 1..4 conv groups, small
// kernels including 1x1, 3x3 and 1x3.
inline WeightShape random_weight_shape(std::mt19937& rng, int64_t max_cog = 40,
                                       int64_t max_cig = 10) {
  static constexpr int64_t kKernels[][2] = {{1, 1}, {3, 3}, {1, 3}, {2, 1}, {5, 5}};
  std::uniform_int_distribution<int64_t> cog(1, max_cog), cig(1, max_cig), groups(1, 4),
      kernel(0, 4);
  const auto k = kKernels[kernel(rng)];
  const int64_t g = groups(rng);
  return WeightShape::conv(cog(rng) * g, cig(rng), k[0], k[1], g);
}

}  // namespace onexn::test
