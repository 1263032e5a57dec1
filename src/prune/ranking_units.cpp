#include "ranking_units.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "onexn/block_grid.hpp"

namespace onexn::detail {

std::vector<float> unit_scores(ConstWeightView w, const Pattern& pattern) {
  const WeightShape& s = w.shape;
  const int64_t taps = s.taps();
  switch (pattern.kind) {
    case PatternKind::unstructured: {
      std::vector<float> scores(s.numel());
      for (int64_t i = 0; i < s.numel(); ++i) scores[i] = std::abs(w.data[i]);
      return scores;
    }
    case PatternKind::filter: {
      const int64_t row = s.c_in_per_group * taps;
      std::vector<float> scores(s.c_out);
      for (int64_t o = 0; o < s.c_out; ++o) {
        double l1 = 0;
        for (int64_t i = 0; i < row; ++i) l1 += std::abs(w.data[o * row + i]);
        scores[o] = static_cast<float>(l1 / double(row));
      }
      return scores;
    }
    default: {
      const BlockGrid grid(s, pattern.n);
      std::vector<float> scores(grid.num_blocks());
      for (int64_t g = 0; g < grid.num_out_groups(); ++g) {
        const int64_t row0 = grid.first_row(g), rows = grid.rows(g);
        for (int64_t c = 0; c < s.c_in_per_group; ++c) {
          double l1 = 0;
          for (int64_t r = 0; r < rows; ++r) {
            const float* v = &w.at(row0 + r, c, 0, 0);
            for (int64_t t = 0; t < taps; ++t) l1 += std::abs(v[t]);
          }
          scores[g * s.c_in_per_group + c] = static_cast<float>(l1 / double(rows * taps));
        }
      }
      return scores;
    }
  }
}

void clear_unit(const WeightShape& s, const Pattern& pattern, int64_t unit, Mask& mask) {
  const int64_t taps = s.taps();
  switch (pattern.kind) {
    case PatternKind::unstructured: mask[unit] = 0; return;
    case PatternKind::filter: {
      const int64_t row = s.c_in_per_group * taps;
      std::fill_n(mask.begin() + unit * row, row, uint8_t{0});
      return;
    }
    default: {
      const BlockGrid grid(s, pattern.n);
      const int64_t g = unit / s.c_in_per_group, c = unit % s.c_in_per_group;
      const int64_t row0 = grid.first_row(g);
      for (int64_t r = 0; r < grid.rows(g); ++r)
        std::fill_n(mask.begin() + s.index(row0 + r, c, 0, 0), taps, uint8_t{0});
      return;
    }
  }
}

int64_t prune_count(int64_t total, double p) {
  return static_cast<int64_t>(std::floor(double(total) * p + 1e-6));
}

std::vector<int64_t> lowest_k(const std::vector<float>& scores, int64_t k) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  k = std::clamp<int64_t>(k, 0, static_cast<int64_t>(order.size()));
  auto less = [&](int64_t a, int64_t b) {
    return scores[a] < scores[b] || (scores[a] == scores[b] && a < b);
  };
  std::nth_element(order.begin(), order.begin() + k, order.end(), less);
  order.resize(k);
  return order;
}

}  // namespace onexn::detail
