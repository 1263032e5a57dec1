#include "onexn/pattern_stats.hpp"

#include <algorithm>

namespace onexn {

double block_fill(ConstWeightView w, int n) {
  const BlockGrid grid(w.shape, n);
  const int64_t taps = w.shape.taps();
  int64_t nonzeros = 0, covered = 0;
  for (int64_t g = 0; g < grid.num_out_groups(); ++g) {
    const int64_t row0 = grid.first_row(g), rows = grid.rows(g);
    for (int64_t c = 0; c < w.shape.c_in_per_group; ++c) {
      int64_t nz = 0;
      for (int64_t r = 0; r < rows; ++r) {
        const float* v = &w.at(row0 + r, c, 0, 0);
        for (int64_t t = 0; t < taps; ++t) nz += v[t] != 0.0f;
      }
      nonzeros += nz;
      if (nz) covered += rows * taps;
    }
  }
  return covered ? double(nonzeros) / double(covered) : 1.0;
}

double PatternStats::fill_for(int n) const {
  for (size_t i = 0; i < std::size(kBlockSizes); ++i)
    if (kBlockSizes[i] == n) return fill[i];
  return 0.0;
}

int PatternStats::exact_block_size() const {
  if (nonzeros == numel) return 0;
  int best = 0;
  for (size_t i = 0; i < std::size(kBlockSizes); ++i)
    if (fill[i] == 1.0) best = kBlockSizes[i];
  return best;
}

PatternStats analyze_pattern(ConstWeightView w) {
  PatternStats s;
  s.numel = w.shape.numel();
  const auto values = w.span();
  s.nonzeros = std::count_if(values.begin(), values.end(), [](float v) { return v != 0.0f; });
  for (size_t i = 0; i < std::size(kBlockSizes); ++i) s.fill[i] = block_fill(w, kBlockSizes[i]);
  return s;
}

}  // namespace onexn
