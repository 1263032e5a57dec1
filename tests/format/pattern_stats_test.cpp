// Pattern analysis: block_fill against hand-computed values and an independent count, its
// defining cases (dense, exact 1xN, unstructured), exact_block_size and sparsity().
#include "onexn/pattern_stats.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "format/block_reference.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

// Nonzeros / weights of blocks holding a nonzero, counted over the reference block list.
double reference_fill(const std::vector<float>& w, const WeightShape& s, int n) {
  int64_t nonzeros = 0, covered = 0;
  for (const auto& b : test::reference_blocks(s, n)) {
    const auto idx = test::block_elements(s, b);
    int64_t nz = 0;
    for (int64_t i : idx) nz += w[i] != 0.0f;
    nonzeros += nz;
    if (nz > 0) covered += static_cast<int64_t>(idx.size());
  }
  return covered ? double(nonzeros) / double(covered) : 1.0;
}

// Nonzero random weights with about half of the 1xN blocks zeroed: exact 1xN structure.
std::vector<float> one_by_n_pruned(const WeightShape& s, int n, uint32_t seed) {
  auto w = test::random_values(s.numel(), seed);
  for (float& x : w)
    if (x == 0.0f) x = 1.0f;
  std::mt19937 rng(seed);
  std::bernoulli_distribution drop(0.5);
  for (const auto& b : test::reference_blocks(s, n))
    if (drop(rng))
      for (int64_t i : test::block_elements(s, b)) w[i] = 0.0f;
  return w;
}

TEST(PatternStats, HandComputedFill) {
  // W[o][i] (1x1):  o0 = [1, 0], o1 = [0, 0], o2 = [0, 5].
  const WeightShape s = WeightShape::conv(3, 2, 1, 1);
  const std::vector<float> w = {1, 0, 0, 0, 0, 5};
  const ConstWeightView v{w.data(), s};
  EXPECT_DOUBLE_EQ(block_fill(v, 1), 1.0);
  EXPECT_DOUBLE_EQ(block_fill(v, 2), 2.0 / 3.0);  // blocks {1,0} and the short {5}
  for (int n : {4, 8, 16, 32}) EXPECT_DOUBLE_EQ(block_fill(v, n), 1.0 / 3.0) << n;

  const PatternStats st = analyze_pattern(v);
  EXPECT_EQ(st.numel, 6);
  EXPECT_EQ(st.nonzeros, 2);
  EXPECT_DOUBLE_EQ(st.sparsity(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(st.fill_for(2), 2.0 / 3.0);
  EXPECT_EQ(st.exact_block_size(), 1);
}

TEST(PatternStats, HandComputedFillWithTapsAndConvGroups) {
  // 4 output channels in 2 conv groups of 2, one input channel each, 1x2 taps. Only W[2][0][0][0]
  // is nonzero. Blocks stay inside a conv group, so at N >= 2 its block is rows 2..3 (4 weights):
  // fill 1/4 (a block straddling both conv groups would give 1/8).
  const WeightShape s = WeightShape::conv(4, 1, 1, 2, 2);
  std::vector<float> w(8, 0.0f);
  w[s.index(2, 0, 0, 0)] = -3.0f;
  const ConstWeightView v{w.data(), s};
  EXPECT_DOUBLE_EQ(block_fill(v, 1), 0.5);
  for (int n : {2, 4, 32}) EXPECT_DOUBLE_EQ(block_fill(v, n), 0.25) << n;
  EXPECT_EQ(analyze_pattern(v).exact_block_size(), 0);
}

TEST(PatternStats, MatchesIndependentCountOnRandomSparseTensors) {
  std::mt19937 rng(41);
  for (int trial = 0; trial < 60; ++trial) {
    const WeightShape s = test::random_weight_shape(rng);
    const double zeros = std::uniform_real_distribution<double>(0.0, 0.99)(rng);
    const auto w = test::random_values(s.numel(), 300 + trial, zeros);
    const PatternStats st = analyze_pattern(ConstWeightView{w.data(), s});
    int64_t nonzeros = 0;
    for (float x : w) nonzeros += x != 0.0f;
    EXPECT_EQ(st.numel, s.numel());
    EXPECT_EQ(st.nonzeros, nonzeros);
    for (int n : kBlockSizes) {
      EXPECT_DOUBLE_EQ(st.fill_for(n), reference_fill(w, s, n)) << s.to_string() << " N=" << n;
    }
  }
}

TEST(PatternStats, DenseTensorHasFillOneAndNoExactBlockSize) {
  const WeightShape s = WeightShape::conv(24, 7, 3, 3);
  auto w = test::random_values(s.numel(), 5);
  for (float& x : w)
    if (x == 0.0f) x = 1.0f;
  const PatternStats st = analyze_pattern(ConstWeightView{w.data(), s});
  for (double f : st.fill) EXPECT_EQ(f, 1.0);
  EXPECT_EQ(st.sparsity(), 0.0);
  EXPECT_EQ(st.exact_block_size(), 0);
}

TEST(PatternStats, ExactlyOneByNPrunedTensorHasFillOneUpToN) {
  // 64 = 2 * 32 output channels, so every smaller N tiles the N-blocks exactly.
  const WeightShape s = WeightShape::conv(64, 24, 3, 3);
  for (int n : kBlockSizes) {
    SCOPED_TRACE("N=" + std::to_string(n));
    const auto w = one_by_n_pruned(s, n, 17 + n);
    const PatternStats st = analyze_pattern(ConstWeightView{w.data(), s});
    EXPECT_GT(st.sparsity(), 0.3);
    for (int m : kBlockSizes) {
      if (m <= n) {
        EXPECT_EQ(st.fill_for(m), 1.0) << "M=" << m;
      } else {
        EXPECT_LT(st.fill_for(m), 1.0) << "M=" << m;
      }
    }
    EXPECT_EQ(st.exact_block_size(), n);
  }
}

TEST(PatternStats, ShortLastGroupStillCountsAsExact) {
  // 10 output channels pruned 1x4: groups of 4, 4, 2 rows, each all-zero or all-nonzero.
  const WeightShape s = WeightShape::conv(10, 16, 1, 1);
  const auto w = one_by_n_pruned(s, 4, 23);
  EXPECT_EQ(block_fill(ConstWeightView{w.data(), s}, 4), 1.0);
  EXPECT_EQ(analyze_pattern(ConstWeightView{w.data(), s}).exact_block_size(), 4);
}

TEST(PatternStats, UnstructuredSparsityGivesFillNearOneMinusP) {
  const WeightShape s = WeightShape::conv(64, 64, 3, 3);
  for (double p : {0.3, 0.7, 0.9}) {
    const auto w = test::random_values(s.numel(), 29, p);
    const PatternStats st = analyze_pattern(ConstWeightView{w.data(), s});
    EXPECT_NEAR(st.sparsity(), p, 0.01) << p;
    // A 1x32 block of 3x3 taps holds 288 weights: almost never all zero, so fill ~ 1 - p.
    EXPECT_NEAR(st.fill_for(32), 1.0 - p, 0.01) << p;
    EXPECT_NEAR(st.fill_for(16), 1.0 - p, 0.01) << p;
    EXPECT_LT(st.fill_for(1), 1.0) << p;
    EXPECT_EQ(st.exact_block_size(), 0) << p;
  }
}

TEST(PatternStats, AllZeroTensor) {
  const WeightShape s = WeightShape::conv(6, 4, 3, 3, 2);
  const std::vector<float> w(s.numel(), 0.0f);
  const PatternStats st = analyze_pattern(ConstWeightView{w.data(), s});
  EXPECT_EQ(st.nonzeros, 0);
  EXPECT_EQ(st.sparsity(), 1.0);
  for (double f : st.fill) EXPECT_EQ(f, 1.0);  // no wasted work
  EXPECT_EQ(st.exact_block_size(), 32);
}

TEST(PatternStats, EmptyStatsHaveZeroSparsity) { EXPECT_EQ(PatternStats{}.sparsity(), 0.0); }

}  // namespace
}  // namespace onexn
