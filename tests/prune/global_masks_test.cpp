// Global masks: one ranking across layers by mean |w| per unit, floor(total_units * p) units
// zeroed in all, whole units only; balanced and N:M are rejected.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "format/block_reference.hpp"
#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

using Unit = std::vector<int64_t>;  // flat indices of one unit's weights

std::vector<Unit> units_of(const WeightShape& s, const Pattern& pattern) {
  std::vector<Unit> units;
  switch (pattern.kind) {
    case PatternKind::unstructured:
      for (int64_t i = 0; i < s.numel(); ++i) units.push_back({i});
      break;
    case PatternKind::filter: {
      const int64_t row = s.c_in_per_group * s.taps();
      for (int64_t o = 0; o < s.c_out; ++o) {
        Unit u(row);
        for (int64_t i = 0; i < row; ++i) u[i] = o * row + i;
        units.push_back(u);
      }
      break;
    }
    default:
      for (const auto& b : test::reference_blocks(s, pattern.n))
        units.push_back(test::block_elements(s, b));
  }
  return units;
}

struct Layer {
  WeightShape shape;
  std::vector<float> w;
  ConstWeightView view() const { return {w.data(), shape}; }
};

Layer make_layer(WeightShape s, uint32_t seed, float scale) {
  Layer l{s, test::random_values(s.numel(), seed)};
  for (float& x : l.w) x *= scale;
  return l;
}

void expect_global_rule(const std::vector<Layer>& layers, const Pattern& pattern, double p,
                        const std::vector<Mask>& masks) {
  ASSERT_EQ(masks.size(), layers.size());
  int64_t total = 0, zeroed = 0;
  double max_zeroed = -1.0, min_kept = std::numeric_limits<double>::infinity();
  for (size_t l = 0; l < layers.size(); ++l) {
    const Layer& layer = layers[l];
    ASSERT_EQ(static_cast<int64_t>(masks[l].size()), layer.shape.numel());
    for (const Unit& u : units_of(layer.shape, pattern)) {
      double sum = 0.0;
      for (int64_t i : u) {
        ASSERT_EQ(masks[l][i], masks[l][u.front()]) << "layer " << l << ": unit split";
        sum += std::abs(double(layer.w[i]));
      }
      const double mean = sum / double(u.size());
      ++total;
      if (masks[l][u.front()] == 0) {
        ++zeroed;
        max_zeroed = std::max(max_zeroed, mean);
      } else {
        min_kept = std::min(min_kept, mean);
      }
    }
  }
  EXPECT_EQ(zeroed, static_cast<int64_t>(std::floor(double(total) * p + 1e-9)));
  EXPECT_LE(max_zeroed, min_kept * (1.0 + 1e-6));
}

std::vector<ConstWeightView> views(const std::vector<Layer>& layers) {
  std::vector<ConstWeightView> v;
  for (const Layer& l : layers) v.push_back(l.view());
  return v;
}

TEST(GlobalMasks, OneThresholdAcrossLayers) {
  const std::vector<Layer> layers = {
      make_layer(WeightShape::conv(10, 6, 3, 3), 1, 1.0f),
      make_layer(WeightShape::conv(24, 16, 1, 1), 2, 0.5f),
      make_layer(WeightShape::conv(12, 4, 3, 3, 2), 3, 2.0f),
      make_layer(WeightShape::linear(7, 20), 4, 0.8f),
  };
  const auto v = views(layers);
  for (const Pattern& pattern : {Pattern::one_by_n(1), Pattern::one_by_n(4), Pattern::one_by_n(32),
                                 Pattern::unstructured(), Pattern::filter()}) {
    for (double p : {0.0, 0.4, 0.9, 0.999}) {
      SCOPED_TRACE(pattern.to_string() + " p=" + std::to_string(p));
      expect_global_rule(layers, pattern, p, compute_masks_global(v, pattern, p));
    }
  }
}

TEST(GlobalMasks, WeakLayerGoesFirst) {
  // Layer 0 holds 30 of 100 units, all 100x weaker than layer 1's: p = 0.3 takes exactly them.
  std::vector<Layer> layers = {make_layer(WeightShape::conv(30, 1, 1, 1), 5, 0.01f),
                               make_layer(WeightShape::conv(70, 1, 1, 1), 6, 1.0f)};
  for (float& x : layers[1].w) x = x < 0 ? x - 0.1f : x + 0.1f;  // |x| >= 0.1 > 0.01
  const auto masks = compute_masks_global(views(layers), Pattern::one_by_n(1), 0.3);
  EXPECT_EQ(masks[0], Mask(30, 0));
  EXPECT_EQ(masks[1], Mask(70, 1));
}

TEST(GlobalMasks, RanksByMeanNotByBlockSum) {
  // 3x3 layer of 0.2s: 1x4 block sum 7.2, mean 0.2. 1x1 layer of 0.5s: block sum 2, mean 0.5.
  // Two of the four blocks go: ranked by mean, both are the 3x3 layer's.
  const WeightShape s3 = WeightShape::conv(4, 2, 3, 3), s1 = WeightShape::conv(4, 2, 1, 1);
  const std::vector<Layer> layers = {{s1, std::vector<float>(s1.numel(), 0.5f)},
                                     {s3, std::vector<float>(s3.numel(), -0.2f)}};
  const auto masks = compute_masks_global(views(layers), Pattern::one_by_n(4), 0.5);
  EXPECT_EQ(masks[0], Mask(s1.numel(), 1));
  EXPECT_EQ(masks[1], Mask(s3.numel(), 0));
}

TEST(GlobalMasks, TiesGoToTheEarlierLayerFirst) {
  const WeightShape s = WeightShape::conv(8, 2, 1, 1);
  const std::vector<Layer> layers = {{s, std::vector<float>(s.numel(), 1.0f)},
                                     {s, std::vector<float>(s.numel(), 1.0f)}};
  const auto masks = compute_masks_global(views(layers), Pattern::one_by_n(4), 0.5);
  EXPECT_EQ(masks[0], Mask(s.numel(), 0));
  EXPECT_EQ(masks[1], Mask(s.numel(), 1));
}

TEST(GlobalMasks, RejectsPerLayerPatternsAndBadSparsity) {
  const std::vector<Layer> layers = {make_layer(WeightShape::conv(8, 8, 1, 1), 1, 1.0f)};
  const auto v = views(layers);
  EXPECT_THROW(compute_masks_global(v, Pattern::balanced_one_by_n(4), 0.5), InvalidArgument);
  EXPECT_THROW(compute_masks_global(v, Pattern::n_of_m(2, 4), 0.5), InvalidArgument);
  EXPECT_THROW(compute_masks_global(v, Pattern::one_by_n(4), 1.0), InvalidArgument);
  EXPECT_THROW(compute_masks_global(v, Pattern::one_by_n(4), -0.5), InvalidArgument);
  const std::vector<ConstWeightView> bad = {{layers[0].w.data(), WeightShape::conv(8, 8, 1, 1, 3)}};
  EXPECT_THROW(compute_masks_global(bad, Pattern::one_by_n(4), 0.5), InvalidArgument);
}

TEST(GlobalMasks, NoLayersNoMasks) {
  EXPECT_TRUE(compute_masks_global({}, Pattern::one_by_n(4), 0.5).empty());
}

}  // namespace
}  // namespace onexn
