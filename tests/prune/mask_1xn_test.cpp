// Layer-wise 1xN masks: whole blocks only, exactly floor(num_blocks * p) of them, the lowest
// scores (mean |w| of the block, i.e. L1 for full blocks), ties by position, deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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

// floor(total * p) for the p a user typed: 100 * 0.29 is 28.999999999999996 in doubles, but the
// user asked for 29 units, so a hair of slack goes in before the floor.
int64_t expected_pruned(int64_t total, double p) {
  return static_cast<int64_t>(std::floor(double(total) * p + 1e-9));
}

// Checks a 1xN mask against the rule, with block scores computed independently in double.
void expect_one_by_n_mask(const std::vector<float>& w, const WeightShape& s, int n, double p,
                          const Mask& mask) {
  ASSERT_EQ(static_cast<int64_t>(mask.size()), s.numel());
  const auto blocks = test::reference_blocks(s, n);
  int64_t zeroed = 0;
  double max_zeroed = -1.0, min_kept = std::numeric_limits<double>::infinity();
  for (const auto& b : blocks) {
    const auto idx = test::block_elements(s, b);
    const uint8_t first = mask[idx.front()];
    ASSERT_TRUE(first == 0 || first == 1);
    for (int64_t i : idx) {
      ASSERT_EQ(mask[i], first) << "block (" << b.group << ", " << b.channel << ") split";
    }
    const double score = test::block_mean_abs(w, s, b);
    if (first == 0) {
      ++zeroed;
      max_zeroed = std::max(max_zeroed, score);
    } else {
      min_kept = std::min(min_kept, score);
    }
  }
  EXPECT_EQ(zeroed, expected_pruned(static_cast<int64_t>(blocks.size()), p));
  // Scores are ranked as floats: allow their rounding, nothing more.
  EXPECT_LE(max_zeroed, min_kept * (1.0 + 1e-6)) << "a zeroed block outscores a kept one";
}

struct Case {
  WeightShape shape;
  const char* what;
};

const Case kCases[] = {
    {WeightShape::conv(10, 5, 1, 1), "C_out not divisible by 4 or 8"},
    {WeightShape::conv(12, 3, 3, 3, 2), "two conv groups of 6 rows"},
    {WeightShape::conv(64, 32, 1, 1), "pointwise 64x32"},
    {WeightShape::conv(7, 2, 1, 3), "7 rows, 1x3 taps"},
    {WeightShape::conv(33, 9, 3, 3, 3), "three conv groups of 11 rows"},
    {WeightShape::conv(6, 1, 3, 3, 6), "depthwise"},
    {WeightShape::conv(1, 1, 1, 1), "a single weight"},
    {WeightShape::linear(40, 24), "linear"},
};

TEST(MaskOneByN, RuleHoldsOnFixedShapes) {
  uint32_t seed = 1;
  for (const Case& c : kCases) {
    const auto w = test::random_values(c.shape.numel(), seed++);
    for (int n : kBlockSizes) {
      for (double p : {0.0, 0.25, 0.5, 0.9, 0.999}) {
        SCOPED_TRACE(std::string(c.what) + " " + c.shape.to_string() + " N=" + std::to_string(n) +
                     " p=" + std::to_string(p));
        const Mask mask = compute_mask(ConstWeightView{w.data(), c.shape}, Pattern::one_by_n(n), p);
        expect_one_by_n_mask(w, c.shape, n, p, mask);
      }
    }
  }
}

TEST(MaskOneByN, RuleHoldsOnRandomShapesAndSparseWeights) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> sparsity(0.0, 0.99);
  for (int trial = 0; trial < 80; ++trial) {
    const WeightShape s = test::random_weight_shape(rng);
    // Some weights already zero, so some blocks score exactly 0.
    const auto w = test::random_values(s.numel(), 700 + trial, trial % 2 ? 0.5 : 0.0);
    const int n = kBlockSizes[trial % 6];
    const double p = sparsity(rng);
    SCOPED_TRACE(s.to_string() + " N=" + std::to_string(n) + " p=" + std::to_string(p));
    expect_one_by_n_mask(w, s, n, p,
                         compute_mask(ConstWeightView{w.data(), s}, Pattern::one_by_n(n), p));
  }
}

TEST(MaskOneByN, ZeroSparsityKeepsEverything) {
  const WeightShape s = WeightShape::conv(10, 4, 3, 3);
  const std::vector<float> zeros(s.numel(), 0.0f);
  for (int n : kBlockSizes) {
    const Mask m = compute_mask(ConstWeightView{zeros.data(), s}, Pattern::one_by_n(n), 0.0);
    EXPECT_EQ(m, Mask(s.numel(), 1)) << n;
  }
}

TEST(MaskOneByN, CountIsFloorOfTheSparsityTheUserTyped) {
  // 100 blocks: 1x1 blocks of a [100, 1, 1, 1] weight.
  const WeightShape s = WeightShape::conv(100, 1, 1, 1);
  const auto w = test::random_values(s.numel(), 9);
  for (double p : {0.29, 0.3, 0.57, 0.7, 0.99}) {
    const Mask m = compute_mask(ConstWeightView{w.data(), s}, Pattern::one_by_n(1), p);
    EXPECT_EQ(std::count(m.begin(), m.end(), uint8_t{0}), std::lround(100 * p)) << p;
  }
}

TEST(MaskOneByN, TiesArePrunedInBlockOrder) {
  // All blocks score 1: block numbering g * c_in_per_group + c, lowest numbers go first.
  const WeightShape s = WeightShape::conv(8, 3, 1, 1);
  std::vector<float> w(s.numel(), 1.0f);
  for (size_t i = 0; i < w.size(); i += 2) w[i] = -1.0f;  // sign does not matter
  // 6 blocks of 4 rows; p = 0.5 zeroes blocks (0,0), (0,1), (0,2): rows 0..3 entirely.
  const Mask m = compute_mask(ConstWeightView{w.data(), s}, Pattern::one_by_n(4), 0.5);
  for (int64_t o = 0; o < 8; ++o)
    for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(m[s.index(o, c, 0, 0)], o < 4 ? 0 : 1) << o << c;
  // p = 1/3 (2 blocks) zeroes (0,0) and (0,1) only.
  const Mask m2 = compute_mask(ConstWeightView{w.data(), s}, Pattern::one_by_n(4), 2.0 / 6.0);
  for (int64_t o = 0; o < 8; ++o)
    for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(m2[s.index(o, c, 0, 0)], o < 4 && c < 2 ? 0 : 1);
}

TEST(MaskOneByN, ScoreIsMagnitudeNotSignedSum) {
  // Block at channel 0 holds -5s (L1 20), block at channel 1 holds +1s (L1 4): channel 1 goes.
  const WeightShape s = WeightShape::conv(4, 2, 1, 1);
  const std::vector<float> w = {-5, 1, -5, 1, -5, 1, -5, 1};
  const Mask m = compute_mask(ConstWeightView{w.data(), s}, Pattern::one_by_n(4), 0.5);
  EXPECT_EQ(m, (Mask{1, 0, 1, 0, 1, 0, 1, 0}));
}

TEST(MaskOneByN, ShortBlockIsScoredByItsMeanNotItsSum) {
  // 5 rows, N=4: a full block of 1.0s (sum 4, mean 1) and a short block {2.0} (sum 2, mean 2).
  // Ranked by mean the full block is the weaker one.
  const WeightShape s = WeightShape::conv(5, 1, 1, 1);
  const std::vector<float> w = {1, 1, 1, 1, 2};
  const Mask m = compute_mask(ConstWeightView{w.data(), s}, Pattern::one_by_n(4), 0.5);
  EXPECT_EQ(m, (Mask{0, 0, 0, 0, 1}));
}

TEST(MaskOneByN, Deterministic) {
  const WeightShape s = WeightShape::conv(30, 17, 3, 3);
  // Quantized values make many exact ties.
  auto w = test::random_values(s.numel(), 13);
  for (float& x : w) x = std::round(x * 2.0f) / 2.0f;
  for (int n : kBlockSizes) {
    const ConstWeightView v{w.data(), s};
    const Mask a = compute_mask(v, Pattern::one_by_n(n), 0.6);
    const Mask b = compute_mask(v, Pattern::one_by_n(n), 0.6);
    EXPECT_EQ(a, b) << n;
    expect_one_by_n_mask(w, s, n, 0.6, a);
  }
}

TEST(MaskOneByN, RejectsBadArguments) {
  const WeightShape s = WeightShape::conv(8, 4, 1, 1);
  const auto w = test::random_values(s.numel(), 1);
  const ConstWeightView v{w.data(), s};
  EXPECT_THROW(compute_mask(v, Pattern::one_by_n(4), 1.0), InvalidArgument);
  EXPECT_THROW(compute_mask(v, Pattern::one_by_n(4), -0.1), InvalidArgument);
  EXPECT_THROW(compute_mask(v, Pattern::one_by_n(4), std::nan("")), InvalidArgument);
  EXPECT_THROW(compute_mask(ConstWeightView{w.data(), WeightShape::conv(8, 4, 1, 1, 3)},
                            Pattern::one_by_n(4), 0.5),
               InvalidArgument);
  EXPECT_THROW(compute_mask(ConstWeightView{w.data(), WeightShape::conv(0, 4, 1, 1)},
                            Pattern::one_by_n(4), 0.5),
               InvalidArgument);
}

}  // namespace
}  // namespace onexn
