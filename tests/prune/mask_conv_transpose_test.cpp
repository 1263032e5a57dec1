// 1xN masks of ConvTranspose weights. A ConvTranspose stores W[C_in][C_out/g][kH][kW]; its 1xN
// block (j, c) is W[c][j*N : j*N + N][:][:] (N consecutive output channels at one input channel,
// all taps; the last run of each conv group shorter). The library reaches it by converting the
// weights to OIHW (oihw_from_iohw) and back; the reference here enumerates the blocks on the
// stored layout itself and prunes the lowest mean |w| (L1 scaled to N rows), ties by position.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "onexn/weight_shape.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

// A ConvTranspose weight as stored: [c_in][c_out_per_group][kh][kw], `groups` conv groups.
struct StoredShape {
  int64_t c_in, c_out_per_group, kh, kw, groups;
  int64_t taps() const { return kh * kw; }
  int64_t numel() const { return c_in * c_out_per_group * taps(); }
  int64_t index(int64_t c, int64_t j, int64_t t) const {
    return (c * c_out_per_group + j) * taps() + t;
  }
  WeightShape oihw() const {
    return WeightShape::transposed_conv(c_in, c_out_per_group, kh, kw, groups);
  }
};

struct StoredBlock {
  int64_t c;          // input channel (axis 0)
  int64_t j0, rows;   // output channels j0 .. j0 + rows of axis 1
  double score;       // mean |w|
  int64_t out_group;  // output group across conv groups, for the balanced pattern
};

// Blocks in the order 1xN ranks them on ties: output group by output group (conv group by conv
// group), then input channel within the conv group.
std::vector<StoredBlock> stored_blocks(const std::vector<float>& w, const StoredShape& s, int n) {
  std::vector<StoredBlock> blocks;
  const int64_t in_pg = s.c_in / s.groups;
  int64_t out_group = 0;
  for (int64_t g = 0; g < s.groups; ++g) {
    for (int64_t j0 = 0; j0 < s.c_out_per_group; j0 += n, ++out_group) {
      const int64_t rows = std::min<int64_t>(n, s.c_out_per_group - j0);
      for (int64_t c = g * in_pg; c < (g + 1) * in_pg; ++c) {
        double l1 = 0;
        for (int64_t j = j0; j < j0 + rows; ++j)
          for (int64_t t = 0; t < s.taps(); ++t) l1 += std::abs(w[s.index(c, j, t)]);
        blocks.push_back({c, j0, rows, l1 / double(rows * s.taps()), out_group});
      }
    }
  }
  return blocks;
}

void zero_block(std::vector<float>& w, const StoredShape& s, const StoredBlock& b) {
  for (int64_t j = b.j0; j < b.j0 + b.rows; ++j)
    for (int64_t t = 0; t < s.taps(); ++t) w[s.index(b.c, j, t)] = 0.0f;
}

// Indices of the k lowest scores, ties to the lower index.
std::vector<size_t> lowest(const std::vector<StoredBlock>& blocks, const std::vector<size_t>& among,
                           int64_t k) {
  std::vector<size_t> order = among;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return blocks[a].score < blocks[b].score; });
  order.resize(static_cast<size_t>(k));
  return order;
}

int64_t floor_count(int64_t total, double p) {
  return static_cast<int64_t>(std::floor(double(total) * p + 1e-9));
}

std::vector<float> reference_1xn(std::vector<float> w, const StoredShape& s, int n, double p) {
  const auto blocks = stored_blocks(w, s, n);
  std::vector<size_t> all(blocks.size());
  std::iota(all.begin(), all.end(), size_t{0});
  for (size_t b : lowest(blocks, all, floor_count(static_cast<int64_t>(blocks.size()), p)))
    zero_block(w, s, blocks[b]);
  return w;
}

std::vector<float> reference_balanced(std::vector<float> w, const StoredShape& s, int n, double p) {
  const auto blocks = stored_blocks(w, s, n);
  const int64_t per_group = floor_count(s.c_in / s.groups, p);
  for (int64_t og = 0; og <= blocks.back().out_group; ++og) {
    std::vector<size_t> in_group;
    for (size_t b = 0; b < blocks.size(); ++b)
      if (blocks[b].out_group == og) in_group.push_back(b);
    for (size_t b : lowest(blocks, in_group, per_group)) zero_block(w, s, blocks[b]);
  }
  return w;
}

// What pruning a ConvTranspose layer does: OIHW view, mask, apply, back to the stored layout.
std::vector<float> library_pruned(const std::vector<float>& stored, const StoredShape& s,
                                  const Pattern& pattern, double p) {
  std::vector<float> oihw = oihw_from_iohw(stored, s.oihw());
  const Mask mask = compute_mask({oihw.data(), s.oihw()}, pattern, p);
  apply_mask({oihw.data(), s.oihw()}, mask);
  return iohw_from_oihw(oihw, s.oihw());
}

const StoredShape kShapes[] = {
    {6, 10, 3, 3, 1},  // C_out not divisible by 4 or 8: a short last run
    {8, 6, 2, 2, 2},   // grouped, 6 outputs per group
    {5, 16, 1, 1, 1},  // 1x1
    {4, 3, 4, 4, 4},   // one input channel per group, 3 outputs each
    {12, 32, 3, 3, 3},
};

TEST(ConvTransposeMask, OneByNMatchesTheStoredLayoutReference) {
  uint32_t seed = 1;
  for (const StoredShape& s : kShapes) {
    for (int n : {1, 2, 4, 8, 16}) {
      for (double p : {0.0, 0.3, 0.5, 0.7, 0.95}) {
        const std::vector<float> w = test::random_values(s.numel(), seed++);
        const auto expected = reference_1xn(w, s, n, p);
        const auto got = library_pruned(w, s, Pattern::one_by_n(n), p);
        ASSERT_EQ(got, expected) << s.oihw().to_string() << " 1x" << n << " p=" << p;
      }
    }
  }
}

TEST(ConvTransposeMask, BalancedOneByNMatchesTheStoredLayoutReference) {
  uint32_t seed = 500;
  for (const StoredShape& s : kShapes) {
    for (int n : {2, 4}) {
      const std::vector<float> w = test::random_values(s.numel(), seed++);
      const auto expected = reference_balanced(w, s, n, 0.5);
      ASSERT_EQ(library_pruned(w, s, Pattern::balanced_one_by_n(n), 0.5), expected)
          << s.oihw().to_string() << " balanced-1x" << n;
    }
  }
}

TEST(ConvTransposeMask, FilterPatternZeroesOutputChannelsOfAxisOne) {
  const StoredShape s{6, 5, 3, 3, 1};
  const std::vector<float> w = test::random_values(s.numel(), 900);
  const auto got = library_pruned(w, s, Pattern::filter(), 0.4);  // floor(5 * 0.4) = 2 filters
  std::vector<double> l1(5, 0.0);
  for (int64_t c = 0; c < s.c_in; ++c)
    for (int64_t j = 0; j < 5; ++j)
      for (int64_t t = 0; t < s.taps(); ++t) l1[j] += std::abs(w[s.index(c, j, t)]);
  std::vector<int64_t> order(5);
  std::iota(order.begin(), order.end(), int64_t{0});
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return l1[a] < l1[b]; });
  for (int64_t j = 0; j < 5; ++j) {
    const bool zeroed = j == order[0] || j == order[1];
    for (int64_t c = 0; c < s.c_in; ++c)
      for (int64_t t = 0; t < s.taps(); ++t)
        EXPECT_EQ(got[s.index(c, j, t)], zeroed ? 0.0f : w[s.index(c, j, t)]) << "filter " << j;
  }
}

TEST(ConvTransposeMask, GlobalRankingCountsTransposedBlocksLikeConvBlocks) {
  // A conv [8][6][3][3] and a ConvTranspose stored [6][8][3][3]: 12 1x4 blocks each, of the
  // same size; one threshold over both zeroes 12.
  const StoredShape ct{6, 8, 3, 3, 1};
  const WeightShape conv = WeightShape::conv(8, 6, 3, 3);
  const std::vector<float> wc = test::random_values(conv.numel(), 31);
  std::vector<float> wt = test::random_values(ct.numel(), 32);
  for (float& v : wt) v *= 0.9f;  // the ConvTranspose's blocks score a little lower on the whole
  std::vector<float> oihw = oihw_from_iohw(wt, ct.oihw());
  const ConstWeightView views[] = {{wc.data(), conv}, {oihw.data(), ct.oihw()}};
  const auto masks = compute_masks_global(views, Pattern::one_by_n(4), 0.5);
  apply_mask({oihw.data(), ct.oihw()}, masks[1]);
  const std::vector<float> got = iohw_from_oihw(oihw, ct.oihw());

  // Reference: the 12 conv blocks, then the 12 ConvTranspose blocks; the 12 lowest mean |w| go.
  std::vector<double> scores;
  for (int64_t o0 = 0; o0 < 8; o0 += 4)
    for (int64_t c = 0; c < 6; ++c) {
      double l1 = 0;
      for (int64_t o = o0; o < o0 + 4; ++o)
        for (int64_t t = 0; t < 9; ++t) l1 += std::abs(wc[(o * 6 + c) * 9 + t]);
      scores.push_back(l1 / 36);
    }
  const auto ct_blocks = stored_blocks(wt, ct, 4);
  for (const auto& b : ct_blocks) scores.push_back(b.score);
  std::vector<double> sorted = scores;
  std::sort(sorted.begin(), sorted.end());
  const double threshold = sorted[11];
  std::vector<float> expected = wt;
  int64_t conv_zeroed = 0;
  for (size_t k = 0; k < scores.size(); ++k) {
    if (scores[k] > threshold) continue;
    if (k < 12)
      ++conv_zeroed;
    else
      zero_block(expected, ct, ct_blocks[k - 12]);
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(std::count(masks[0].begin(), masks[0].end(), uint8_t{0}), conv_zeroed * 36);
  EXPECT_GT(conv_zeroed, 0);
  EXPECT_LT(conv_zeroed, 12);
}

TEST(ConvTransposeLayout, OihwViewPutsOutputChannelsFirst) {
  const StoredShape s{6, 4, 2, 3, 2};  // 3 inputs and 4 outputs per group
  const std::vector<float> w = test::random_values(s.numel(), 7);
  const WeightShape o = s.oihw();
  EXPECT_EQ(o, WeightShape::conv(8, 3, 2, 3, 2));
  const std::vector<float> oihw = oihw_from_iohw(w, o);
  for (int64_t c = 0; c < 6; ++c)
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t t = 0; t < 6; ++t) {
        const int64_t g = c / 3, out = g * 4 + j, in = c % 3;
        ASSERT_EQ(oihw[o.index(out, in, 0, 0) + t], w[s.index(c, j, t)])
            << c << " " << j << " " << t;
      }
  EXPECT_EQ(iohw_from_oihw(oihw, o), w);
  EXPECT_THROW(oihw_from_iohw(std::vector<float>(5), o), InvalidArgument);
  EXPECT_THROW(iohw_from_oihw(std::vector<float>(o.numel() + 1), o), InvalidArgument);
}

}  // namespace
}  // namespace onexn
