// Layer-wise masks of the other patterns: balanced 1xN, unstructured, filter and N:M; and
// apply_mask / mask_sparsity.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "format/block_reference.hpp"
#include "onexn/block_grid.hpp"
#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

int64_t expected_pruned(int64_t total, double p) {
  return static_cast<int64_t>(std::floor(double(total) * p + 1e-9));
}

const WeightShape kShapes[] = {
    WeightShape::conv(10, 5, 1, 1),     WeightShape::conv(12, 3, 3, 3, 2),
    WeightShape::conv(33, 9, 3, 3, 3),  WeightShape::conv(64, 16, 1, 1),
    WeightShape::conv(7, 2, 1, 3),      WeightShape::conv(6, 1, 3, 3, 6),
    WeightShape::conv(16, 11, 3, 3, 2), WeightShape::linear(20, 7),
};
const double kSparsities[] = {0.0, 0.3, 0.5, 0.75, 0.99};

TEST(MaskBalanced, EveryOutputGroupLosesItsLowestFloorCinTimesP) {
  uint32_t seed = 40;
  for (const WeightShape& s : kShapes) {
    const auto w = test::random_values(s.numel(), seed++, 0.2);
    for (int n : kBlockSizes) {
      for (double p : kSparsities) {
        SCOPED_TRACE(s.to_string() + " N=" + std::to_string(n) + " p=" + std::to_string(p));
        const Mask m = compute_mask(ConstWeightView{w.data(), s}, Pattern::balanced_one_by_n(n), p);
        const auto blocks = test::reference_blocks(s, n);
        // Blocks are listed group by group, c_in_per_group blocks each.
        for (size_t first = 0; first < blocks.size(); first += s.c_in_per_group) {
          int64_t zeroed = 0;
          double max_zeroed = -1.0, min_kept = std::numeric_limits<double>::infinity();
          for (int64_t c = 0; c < s.c_in_per_group; ++c) {
            const auto& b = blocks[first + c];
            const auto idx = test::block_elements(s, b);
            for (int64_t i : idx) ASSERT_EQ(m[i], m[idx.front()]) << "split block";
            const double score = test::block_mean_abs(w, s, b);
            if (m[idx.front()] == 0) {
              ++zeroed;
              max_zeroed = std::max(max_zeroed, score);
            } else {
              min_kept = std::min(min_kept, score);
            }
          }
          EXPECT_EQ(zeroed, expected_pruned(s.c_in_per_group, p))
              << "group " << blocks[first].group;
          EXPECT_LE(max_zeroed, min_kept * (1.0 + 1e-6)) << "group " << blocks[first].group;
        }
      }
    }
  }
}

TEST(MaskUnstructured, FloorNumelTimesPSmallestMagnitudes) {
  uint32_t seed = 60;
  for (const WeightShape& s : kShapes) {
    const auto w = test::random_values(s.numel(), seed++, 0.1);
    for (double p : kSparsities) {
      SCOPED_TRACE(s.to_string() + " p=" + std::to_string(p));
      const Mask m = compute_mask(ConstWeightView{w.data(), s}, Pattern::unstructured(), p);
      ASSERT_EQ(static_cast<int64_t>(m.size()), s.numel());
      int64_t zeroed = 0;
      float max_zeroed = -1.0f, min_kept = std::numeric_limits<float>::infinity();
      for (int64_t i = 0; i < s.numel(); ++i) {
        ASSERT_TRUE(m[i] == 0 || m[i] == 1);
        if (m[i] == 0) {
          ++zeroed;
          max_zeroed = std::max(max_zeroed, std::abs(w[i]));
        } else {
          min_kept = std::min(min_kept, std::abs(w[i]));
        }
      }
      EXPECT_EQ(zeroed, expected_pruned(s.numel(), p));
      EXPECT_LE(max_zeroed, min_kept);
    }
  }
}

TEST(MaskUnstructured, TiesGoInIndexOrder) {
  const WeightShape s = WeightShape::conv(2, 3, 1, 1);
  const std::vector<float> w = {0.5f, -0.5f, 0.5f, 0.25f, -0.5f, 0.5f};
  const Mask m = compute_mask(ConstWeightView{w.data(), s}, Pattern::unstructured(), 0.5);
  EXPECT_EQ(m, (Mask{0, 0, 1, 0, 1, 1}));  // 0.25 first, then the first two 0.5s
}

TEST(MaskFilter, FloorCoutTimesPWeakestWholeFilters) {
  uint32_t seed = 80;
  for (const WeightShape& s : kShapes) {
    const auto w = test::random_values(s.numel(), seed++);
    const int64_t row = s.c_in_per_group * s.taps();
    for (double p : kSparsities) {
      SCOPED_TRACE(s.to_string() + " p=" + std::to_string(p));
      const Mask m = compute_mask(ConstWeightView{w.data(), s}, Pattern::filter(), p);
      int64_t zeroed = 0;
      double max_zeroed = -1.0, min_kept = std::numeric_limits<double>::infinity();
      for (int64_t o = 0; o < s.c_out; ++o) {
        double l1 = 0.0;
        for (int64_t i = 0; i < row; ++i) {
          ASSERT_EQ(m[o * row + i], m[o * row]) << "filter " << o << " split";
          l1 += std::abs(double(w[o * row + i]));
        }
        if (m[o * row] == 0) {
          ++zeroed;
          max_zeroed = std::max(max_zeroed, l1);
        } else {
          min_kept = std::min(min_kept, l1);
        }
      }
      EXPECT_EQ(zeroed, expected_pruned(s.c_out, p));
      EXPECT_LE(max_zeroed, min_kept * (1.0 + 1e-6));
    }
  }
}

// For every output channel and tap, each run of M consecutive input channels (the last run may be
// shorter) keeps exactly min(N, run length) weights, the largest magnitudes.
void expect_n_of_m(const std::vector<float>& w, const WeightShape& s, int n, int m_len,
                   const Mask& m) {
  for (int64_t o = 0; o < s.c_out; ++o) {
    for (int64_t y = 0; y < s.kh; ++y) {
      for (int64_t x = 0; x < s.kw; ++x) {
        for (int64_t c0 = 0; c0 < s.c_in_per_group; c0 += m_len) {
          const int64_t len = std::min<int64_t>(m_len, s.c_in_per_group - c0);
          int64_t kept = 0;
          float min_kept = std::numeric_limits<float>::infinity(), max_dropped = -1.0f;
          for (int64_t c = c0; c < c0 + len; ++c) {
            const int64_t i = s.index(o, c, y, x);
            if (m[i]) {
              ++kept;
              min_kept = std::min(min_kept, std::abs(w[i]));
            } else {
              max_dropped = std::max(max_dropped, std::abs(w[i]));
            }
          }
          ASSERT_EQ(kept, std::min<int64_t>(n, len))
              << "o=" << o << " tap " << y << "," << x << " run at " << c0;
          ASSERT_GE(min_kept, max_dropped);
        }
      }
    }
  }
}

TEST(MaskNOfM, EachRunKeepsItsLargest) {
  const WeightShape shapes[] = {
      WeightShape::conv(8, 16, 1, 1),    WeightShape::conv(6, 9, 3, 3),  // run of 1 at the end
      WeightShape::conv(4, 2, 3, 3),  // c_in smaller than M: nothing to drop
      WeightShape::conv(5, 6, 1, 3),  // last run of 2
      WeightShape::conv(12, 8, 3, 3, 3), WeightShape::conv(4, 1, 1, 1, 4),
  };
  uint32_t seed = 90;
  for (const WeightShape& s : shapes) {
    const auto w = test::random_values(s.numel(), seed++, 0.1);
    for (auto [n, m_len] : {std::pair{2, 4}, std::pair{1, 4}, std::pair{1, 2}, std::pair{4, 8}}) {
      SCOPED_TRACE(s.to_string() + " " + std::to_string(n) + ":" + std::to_string(m_len));
      const Pattern pattern = Pattern::n_of_m(n, m_len);
      const Mask m = compute_mask(ConstWeightView{w.data(), s}, pattern, 1.0 - double(n) / m_len);
      expect_n_of_m(w, s, n, m_len, m);
    }
  }
}

TEST(MaskNOfM, FullRunsGiveExactlyTheImpliedSparsity) {
  const WeightShape s = WeightShape::conv(16, 32, 3, 3);
  const auto w = test::random_values(s.numel(), 3);
  const Mask m = compute_mask(ConstWeightView{w.data(), s}, Pattern::parse("2:4"), 0.5);
  EXPECT_DOUBLE_EQ(mask_sparsity(m), 0.5);
  const Mask m14 = compute_mask(ConstWeightView{w.data(), s}, Pattern::parse("1:4"), 0.75);
  EXPECT_DOUBLE_EQ(mask_sparsity(m14), 0.75);
}

TEST(MaskNOfM, RejectsAnyOtherSparsity) {
  const WeightShape s = WeightShape::conv(4, 8, 1, 1);
  const auto w = test::random_values(s.numel(), 3);
  EXPECT_THROW(compute_mask(ConstWeightView{w.data(), s}, Pattern::parse("2:4"), 0.3),
               InvalidArgument);
  EXPECT_THROW(compute_mask(ConstWeightView{w.data(), s}, Pattern::parse("2:4"), 0.0),
               InvalidArgument);
}

TEST(ApplyMask, ZeroesExactlyTheMaskedEntries) {
  const WeightShape s = WeightShape::conv(9, 5, 3, 3);
  const auto original = test::random_values(s.numel(), 17);
  std::mt19937 rng(3);
  std::bernoulli_distribution keep(0.4);
  Mask mask(s.numel());
  for (auto& v : mask) v = keep(rng);
  auto w = original;
  apply_mask(WeightView{w.data(), s}, mask);
  for (int64_t i = 0; i < s.numel(); ++i) {
    if (mask[i]) {
      EXPECT_EQ(std::memcmp(&w[i], &original[i], sizeof(float)), 0) << i;
    } else {
      EXPECT_EQ(w[i], 0.0f) << i;
    }
  }
}

TEST(ApplyMask, RejectsAMaskOfTheWrongSize) {
  const WeightShape s = WeightShape::conv(4, 4, 1, 1);
  auto w = test::random_values(s.numel(), 1);
  EXPECT_THROW(apply_mask(WeightView{w.data(), s}, Mask(15, 1)), InvalidArgument);
  EXPECT_THROW(apply_mask(WeightView{w.data(), s}, Mask(17, 1)), InvalidArgument);
}

TEST(MaskSparsity, ShareOfZeros) {
  EXPECT_EQ(mask_sparsity(Mask{}), 0.0);
  EXPECT_EQ(mask_sparsity(Mask{1, 1, 1, 1}), 0.0);
  EXPECT_EQ(mask_sparsity(Mask{0, 0, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(mask_sparsity(Mask{0, 1, 1, 0, 1, 1, 1, 1}), 0.25);
}

}  // namespace
}  // namespace onexn
