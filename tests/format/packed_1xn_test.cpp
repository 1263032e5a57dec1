// The packed 1xN format in memory: unpack(pack(W, mask)) == W (.) mask bit for bit, which blocks
// are stored, the [block][tap][lane] value layout with zero padding lanes, and validate().
#include "onexn/packed_1xn.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "format/block_reference.hpp"
#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

using test::RefBlock;

std::vector<float> masked(const std::vector<float>& w, const Mask& mask) {
  std::vector<float> out(w.size());
  for (size_t i = 0; i < w.size(); ++i) out[i] = mask[i] ? w[i] : 0.0f;
  return out;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Checks the stored blocks against an independent enumeration: block (g, c) is stored exactly when
// `stored(block)` holds, channels ascend within a group, values follow [tap][lane] and lanes past a
// short group's rows are zero.
void expect_layout(const Packed1xN& p, const std::vector<float>& expected_dense,
                   const std::function<bool(const RefBlock&)>& stored) {
  const WeightShape& s = p.shape;
  const auto blocks = test::reference_blocks(s, p.n);
  const int64_t num_groups = blocks.empty() ? 0 : blocks.back().group + 1;
  ASSERT_EQ(static_cast<int64_t>(p.block_begin.size()), num_groups + 1);
  ASSERT_EQ(p.block_begin.front(), 0u);
  size_t b = 0;  // next stored block
  for (const RefBlock& rb : blocks) {
    if (rb.channel == 0) {
      ASSERT_EQ(p.block_begin[rb.group], b) << "group " << rb.group;
    }
    if (!stored(rb)) continue;
    ASSERT_LT(b, p.channel.size());
    ASSERT_EQ(p.channel[b], static_cast<uint32_t>(rb.channel)) << "group " << rb.group;
    for (int64_t y = 0; y < s.kh; ++y) {
      for (int64_t x = 0; x < s.kw; ++x) {
        const float* lanes = p.values.data() + b * s.taps() * p.n + (y * s.kw + x) * p.n;
        for (int64_t r = 0; r < p.n; ++r) {
          const float want =
              r < rb.rows ? expected_dense[s.index(rb.first_row + r, rb.channel, y, x)] : 0.0f;
          ASSERT_EQ(std::memcmp(&lanes[r], &want, sizeof(float)), 0)
              << "block " << b << " tap " << y * s.kw + x << " lane " << r;
        }
      }
    }
    ++b;
  }
  ASSERT_EQ(p.channel.size(), b);
  ASSERT_EQ(p.block_begin.back(), b);
  ASSERT_EQ(p.values.size(), b * s.taps() * p.n);
}

// A mask with some whole blocks, some single weights and the rest kept.
Mask random_mask(const WeightShape& s, uint32_t seed, double drop) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution coin(drop);
  Mask m(s.numel());
  for (auto& v : m) v = coin(rng) ? 0 : 1;
  return m;
}

struct NamedMask {
  std::string name;
  Mask mask;
};

std::vector<NamedMask> masks_for(ConstWeightView w, int n, uint32_t seed) {
  const WeightShape& s = w.shape;
  const int other_n = n == 32 ? 2 : n * 2;
  return {
      {"all-zero", Mask(s.numel(), 0)},
      {"all-ones", Mask(s.numel(), 1)},
      {"random 0.5", random_mask(s, seed, 0.5)},
      {"random 0.97", random_mask(s, seed + 1, 0.97)},
      {"1xN 0.5", compute_mask(w, Pattern::one_by_n(n), 0.5)},
      {"1xN 0.9", compute_mask(w, Pattern::one_by_n(n), 0.9)},
      {"1x(other N) 0.5", compute_mask(w, Pattern::one_by_n(other_n), 0.5)},
      {"balanced 0.5", compute_mask(w, Pattern::balanced_one_by_n(n), 0.5)},
      {"unstructured 0.7", compute_mask(w, Pattern::unstructured(), 0.7)},
      {"filter 0.5", compute_mask(w, Pattern::filter(), 0.5)},
      {"2:4", compute_mask(w, Pattern::n_of_m(2, 4), 0.5)},
  };
}

TEST(Packed1xN, UnpackOfPackIsWeightsTimesMaskBitExact) {
  std::mt19937 rng(7);
  int packs = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const WeightShape s = test::random_weight_shape(rng);
    const auto w = test::random_values(s.numel(), 100 + trial);
    const ConstWeightView view{w.data(), s};
    for (int n : kBlockSizes) {
      for (const auto& [name, mask] : masks_for(view, n, 1000 + trial)) {
        SCOPED_TRACE(s.to_string() + " N=" + std::to_string(n) + " mask " + name);
        const Packed1xN p = pack_1xn(view, n, mask);
        EXPECT_NO_THROW(p.validate());
        EXPECT_EQ(p.shape, s);
        EXPECT_EQ(p.n, n);
        const auto want = masked(w, mask);
        ASSERT_TRUE(bit_equal(unpack_1xn(p), want));
        // A block is stored when the mask keeps any of its weights.
        expect_layout(p, want, [&](const RefBlock& b) {
          for (int64_t i : test::block_elements(s, b))
            if (mask[i]) return true;
          return false;
        });
        ++packs;
      }
    }
  }
  EXPECT_EQ(packs, 40 * 6 * 11);
}

TEST(Packed1xN, AllZeroMaskStoresNothingAllOnesStoresEverything) {
  const WeightShape s = WeightShape::conv(10, 3, 3, 3, 2);  // 5 rows per conv group, N=4: 4 + 1
  const auto w = test::random_values(s.numel(), 3);
  const ConstWeightView view{w.data(), s};
  const Packed1xN none = pack_1xn(view, 4, Mask(s.numel(), 0));
  EXPECT_EQ(none.num_kept_blocks(), 0);
  EXPECT_TRUE(none.values.empty());
  EXPECT_EQ(none.block_begin, std::vector<uint32_t>(5, 0));
  EXPECT_TRUE(bit_equal(unpack_1xn(none), std::vector<float>(s.numel(), 0.0f)));

  const Packed1xN all = pack_1xn(view, 4, Mask(s.numel(), 1));
  EXPECT_EQ(all.num_kept_blocks(), 4 * 3);
  EXPECT_EQ(all.block_begin, (std::vector<uint32_t>{0, 3, 6, 9, 12}));
  EXPECT_TRUE(bit_equal(unpack_1xn(all), w));
}

TEST(Packed1xN, WithoutMaskKeepsExactlyTheBlocksHoldingANonzero) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const WeightShape s = test::random_weight_shape(rng);
    for (int n : kBlockSizes) {
      SCOPED_TRACE(s.to_string() + " N=" + std::to_string(n));
      // Scattered zeros, plus whole blocks zeroed so that dropped blocks exist at every N.
      auto w = test::random_values(s.numel(), 500 + trial, 0.6);
      std::bernoulli_distribution zero_block(0.4);
      for (const RefBlock& b : test::reference_blocks(s, n))
        if (zero_block(rng))
          for (int64_t i : test::block_elements(s, b)) w[i] = 0.0f;
      const Packed1xN p = pack_1xn(ConstWeightView{w.data(), s}, n);
      EXPECT_NO_THROW(p.validate());
      ASSERT_TRUE(bit_equal(unpack_1xn(p), w));
      expect_layout(p, w, [&](const RefBlock& b) {
        for (int64_t i : test::block_elements(s, b))
          if (w[i] != 0.0f) return true;
        return false;
      });
    }
  }
}

TEST(Packed1xN, ValuesAreTapMajorWithZeroPaddingLanes) {
  // 3 output channels, N=4: one short group; W[o][c][0][x] = 10*o + 2*c + x + 1.
  const WeightShape s = WeightShape::conv(3, 2, 1, 2);
  std::vector<float> w(s.numel());
  for (int64_t o = 0; o < 3; ++o)
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t x = 0; x < 2; ++x) w[s.index(o, c, 0, x)] = float(10 * o + 2 * c + x + 1);
  const Packed1xN p = pack_1xn(ConstWeightView{w.data(), s}, 4);
  EXPECT_EQ(p.block_begin, (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(p.channel, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(p.block_stride(), 8);
  const std::vector<float> want = {
      1, 11, 21, 0, 2, 12, 22, 0,  // channel 0: tap 0 lanes, tap 1 lanes
      3, 13, 23, 0, 4, 14, 24, 0,  // channel 1
  };
  EXPECT_EQ(p.values, want);
}

TEST(Packed1xN, NegativeZeroCountsAsZero) {
  const WeightShape s = WeightShape::conv(4, 2, 1, 1);
  const std::vector<float> w = {-0.0f, 1.0f, 0.0f, 2.0f, -0.0f, 3.0f, 0.0f, 4.0f};
  const Packed1xN p = pack_1xn(ConstWeightView{w.data(), s}, 4);
  EXPECT_EQ(p.channel, (std::vector<uint32_t>{1}));
  EXPECT_EQ(unpack_1xn(p), w);  // equal as values: -0 == 0
}

TEST(Packed1xN, RejectsBadArguments) {
  const WeightShape s = WeightShape::conv(8, 4, 1, 1);
  const auto w = test::random_values(s.numel(), 5);
  const ConstWeightView view{w.data(), s};
  EXPECT_THROW(pack_1xn(view, 4, Mask(s.numel() - 1, 1)), InvalidArgument);
  EXPECT_THROW(pack_1xn(view, 4, Mask(s.numel() + 1, 1)), InvalidArgument);
  EXPECT_THROW(pack_1xn(view, 3), InvalidArgument);
  EXPECT_THROW(pack_1xn(view, 64, Mask(s.numel(), 1)), InvalidArgument);
}

// A valid packed tensor with a short group, several blocks per group and padding lanes:
// 2 conv groups of 6 rows, N=4 -> groups of 4, 2, 4, 2 rows; 5 input channels; 1x3 taps.
Packed1xN valid_packed() {
  const WeightShape s = WeightShape::conv(12, 5, 1, 3, 2);
  const auto w = test::random_values(s.numel(), 9);
  Mask mask(s.numel(), 1);
  for (const RefBlock& b : test::reference_blocks(s, 4))
    if (b.channel == 2)
      for (int64_t i : test::block_elements(s, b)) mask[i] = 0;
  return pack_1xn(ConstWeightView{w.data(), s}, 4, mask);
}

TEST(Packed1xN, ValidateCatchesEachCorruption) {
  const Packed1xN good = valid_packed();
  ASSERT_NO_THROW(good.validate());
  ASSERT_EQ(good.block_begin, (std::vector<uint32_t>{0, 4, 8, 12, 16}));
  ASSERT_EQ(good.channel[0], 0u);
  ASSERT_EQ(good.channel[1], 1u);
  ASSERT_EQ(good.channel[2], 3u);

  const std::vector<std::pair<std::string, std::function<void(Packed1xN&)>>> corruptions = {
      {"block_begin one short", [](Packed1xN& p) { p.block_begin.pop_back(); }},
      {"block_begin one long", [](Packed1xN& p) { p.block_begin.push_back(16); }},
      {"block_begin empty", [](Packed1xN& p) { p.block_begin.clear(); }},
      {"block_begin[0] not 0", [](Packed1xN& p) { p.block_begin[0] = 1; }},
      {"block_begin decreasing",
       [](Packed1xN& p) {
         p.block_begin = {0, 8, 4, 12, 16};
       }},
      {"block_begin past the blocks", [](Packed1xN& p) { p.block_begin.back() = 17; }},
      {"block_begin short of the blocks", [](Packed1xN& p) { p.block_begin.back() = 15; }},
      {"channel == c_in_per_group", [](Packed1xN& p) { p.channel[3] = 5; }},
      {"channel huge", [](Packed1xN& p) { p.channel[5] = 0xFFFFFFFFu; }},
      {"channels swapped", [](Packed1xN& p) { std::swap(p.channel[0], p.channel[1]); }},
      {"channel repeated", [](Packed1xN& p) { p.channel[2] = p.channel[1]; }},
      {"padding lane nonzero",
       [](Packed1xN& p) {
         // Block 4 is in group 1 (2 rows): lanes 2 and 3 are padding.
         p.values[4 * p.block_stride() + 1 * 4 + 3] = 0.5f;
       }},
      {"padding lane NaN",
       [](Packed1xN& p) {
         p.values[13 * p.block_stride() + 2 * 4 + 2] = std::numeric_limits<float>::quiet_NaN();
       }},
      {"values one short", [](Packed1xN& p) { p.values.pop_back(); }},
      {"values one long", [](Packed1xN& p) { p.values.push_back(0.0f); }},
      {"values empty", [](Packed1xN& p) { p.values.clear(); }},
      {"unsupported N", [](Packed1xN& p) { p.n = 3; }},
      {"N changed", [](Packed1xN& p) { p.n = 8; }},
      {"c_out zero", [](Packed1xN& p) { p.shape.c_out = 0; }},
      {"groups not dividing c_out", [](Packed1xN& p) { p.shape.groups = 5; }},
      {"groups changed", [](Packed1xN& p) { p.shape.groups = 1; }},
      {"taps changed", [](Packed1xN& p) { p.shape.kw = 1; }},
      {"c_in_per_group too small", [](Packed1xN& p) { p.shape.c_in_per_group = 4; }},
  };
  for (const auto& [name, corrupt] : corruptions) {
    Packed1xN p = good;
    corrupt(p);
    EXPECT_THROW(p.validate(), Error) << name;
  }
}

}  // namespace
}  // namespace onexn
