// conv2d_1xn_ref(pack_1xn(W, mask)) == conv2d_dense_ref(W (.) mask) for every N, sparsities 0,
// 0.5, 0.95 and a fully zero mask, short last groups, grouped and depthwise convs; and the shape
// checks on its arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/random_conv_params.hpp"
#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "kernels/reference/reference_conv.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

using test::max_relative_error;

const ConvParams kParams[] = {
    // C_out = 10: not divisible by 4, 8, 16 or 32.
    {.batch = 2,
     .c_in = 6,
     .h = 7,
     .w = 5,
     .c_out = 10,
     .kh = 3,
     .kw = 3,
     .pad_top = 1,
     .pad_left = 1,
     .pad_bottom = 1,
     .pad_right = 1},
    // Pointwise, 37 output channels, c_in smaller than most N.
    {.batch = 1, .c_in = 3, .h = 6, .w = 6, .c_out = 37},
    // Two conv groups of 6 output channels: groups of 4 + 2 rows, never straddling.
    {.batch = 1,
     .c_in = 8,
     .h = 6,
     .w = 7,
     .c_out = 12,
     .kh = 3,
     .kw = 3,
     .stride_h = 2,
     .stride_w = 1,
     .pad_top = 0,
     .pad_left = 1,
     .pad_bottom = 2,
     .pad_right = 0,
     .groups = 2},
    // Three conv groups of 11, dilated 1x3.
    {.batch = 2,
     .c_in = 9,
     .h = 5,
     .w = 9,
     .c_out = 33,
     .kh = 1,
     .kw = 3,
     .dilation_h = 1,
     .dilation_w = 2,
     .groups = 3},
    // Depthwise with a channel multiplier of 2.
    {.batch = 1,
     .c_in = 5,
     .h = 6,
     .w = 6,
     .c_out = 10,
     .kh = 3,
     .kw = 3,
     .pad_top = 1,
     .pad_left = 1,
     .pad_bottom = 1,
     .pad_right = 1,
     .groups = 5},
    // 64 channels: every N divides.
    {.batch = 1,
     .c_in = 16,
     .h = 4,
     .w = 4,
     .c_out = 64,
     .kh = 3,
     .kw = 3,
     .stride_h = 2,
     .stride_w = 2,
     .pad_top = 1,
     .pad_left = 1,
     .pad_bottom = 1,
     .pad_right = 1},
};

// Runs both references on W (.) mask and compares; the outputs start as NaN so an unwritten
// output (e.g. of an output group with no kept block) shows.
void expect_same_as_dense(const ConvParams& p, const std::vector<float>& w, int n, const Mask& mask,
                          uint32_t seed) {
  const auto x = test::random_values(p.input_numel(), seed);
  const auto bias = test::random_values(p.c_out, seed + 1);
  const auto residual = test::random_values(p.output_numel(), seed + 2);
  Epilogue e;
  e.bias = bias.data();
  e.residual = residual.data();

  auto masked = w;
  apply_mask(WeightView{masked.data(), p.weight_shape()}, mask);
  const Packed1xN packed = pack_1xn(ConstWeightView{w.data(), p.weight_shape()}, n, mask);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> dense(p.output_numel(), nan), sparse(p.output_numel() + 1, nan);
  conv2d_dense_ref(p, x.data(), masked.data(), e, dense.data());
  conv2d_1xn_ref(p, x.data(), packed, e, sparse.data());
  EXPECT_TRUE(std::isnan(sparse.back())) << "wrote past the output";
  sparse.pop_back();
  for (float v : sparse) ASSERT_FALSE(std::isnan(v)) << "an output was not written";
  EXPECT_LE(max_relative_error(sparse, dense), 1e-5);

  // Packing the already masked weights without a mask stores the blocks holding a nonzero: the
  // same convolution.
  std::vector<float> from_masked(p.output_numel(), nan);
  conv2d_1xn_ref(p, x.data(), pack_1xn(ConstWeightView{masked.data(), p.weight_shape()}, n), e,
                 from_masked.data());
  EXPECT_LE(max_relative_error(from_masked, dense), 1e-5);
}

TEST(Conv2d1xNRef, MatchesDenseOnMaskedWeights) {
  uint32_t seed = 1;
  for (const ConvParams& p : kParams) {
    const WeightShape s = p.weight_shape();
    const auto w = test::random_values(s.numel(), seed++);
    for (int n : kBlockSizes) {
      for (double sparsity : {0.0, 0.5, 0.95}) {
        SCOPED_TRACE(p.to_string() + " N=" + std::to_string(n) + " p=" + std::to_string(sparsity));
        const Mask mask =
            compute_mask(ConstWeightView{w.data(), s}, Pattern::one_by_n(n), sparsity);
        expect_same_as_dense(p, w, n, mask, 100 * seed + n);
      }
      SCOPED_TRACE(p.to_string() + " N=" + std::to_string(n) + " zero mask");
      const Mask zero(s.numel(), 0);
      ASSERT_EQ(pack_1xn(ConstWeightView{w.data(), s}, n, zero).num_kept_blocks(), 0);
      expect_same_as_dense(p, w, n, zero, 100 * seed + n);
    }
  }
}

TEST(Conv2d1xNRef, MatchesDenseWhenBlocksHoldZeros) {
  // Unstructured masks packed with any N: kept blocks carry zeros inside.
  uint32_t seed = 50;
  for (const ConvParams& p : kParams) {
    const WeightShape s = p.weight_shape();
    const auto w = test::random_values(s.numel(), seed++);
    const Mask mask = compute_mask(ConstWeightView{w.data(), s}, Pattern::unstructured(), 0.8);
    for (int n : kBlockSizes) {
      SCOPED_TRACE(p.to_string() + " N=" + std::to_string(n));
      expect_same_as_dense(p, w, n, mask, seed + n);
    }
  }
}

TEST(Conv2d1xNRef, MatchesDenseOnRandomGeometries) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 180; ++trial) {
    const ConvParams p = test::random_conv_params(rng);
    const WeightShape s = p.weight_shape();
    const auto w = test::random_values(s.numel(), 200 + trial);
    const int n = kBlockSizes[trial % 6];
    const double sparsity = (trial / 6) % 3 == 0 ? 0.0 : (trial / 6) % 3 == 1 ? 0.5 : 0.95;
    SCOPED_TRACE(p.to_string() + " N=" + std::to_string(n) + " p=" + std::to_string(sparsity));
    const Mask mask = compute_mask(ConstWeightView{w.data(), s}, Pattern::one_by_n(n), sparsity);
    expect_same_as_dense(p, w, n, mask, 300 + trial);
  }
}

TEST(Conv2d1xNRef, ActivationAfterSparseAccumulation) {
  const ConvParams& p = kParams[0];
  const WeightShape s = p.weight_shape();
  const auto w = test::random_values(s.numel(), 7);
  const Packed1xN packed = pack_1xn(ConstWeightView{w.data(), s}, 4, Mask(s.numel(), 1));
  auto x = test::random_values(p.input_numel(), 8);
  for (float& v : x) v *= 4.0f;
  for (Activation a : {Activation::relu, Activation::relu6, Activation::clip}) {
    Epilogue e;
    e.activation = a;
    e.clip_min = -1.0f;
    e.clip_max = 1.0f;
    std::vector<float> dense(p.output_numel()), sparse(p.output_numel());
    conv2d_dense_ref(p, x.data(), w.data(), e, dense.data());
    conv2d_1xn_ref(p, x.data(), packed, e, sparse.data());
    EXPECT_LE(max_relative_error(sparse, dense), 1e-5) << int(a);
  }
}

TEST(Conv2d1xNRef, RejectsPackedWeightsThatDoNotFit) {
  const ConvParams p{.c_in = 8, .h = 5, .w = 5, .c_out = 12, .kh = 3, .kw = 3, .groups = 2};
  std::vector<float> x(p.input_numel(), 1.0f), y(p.output_numel());
  auto packed_for = [](WeightShape s) {
    const auto w = test::random_values(s.numel(), 1);
    return pack_1xn(ConstWeightView{w.data(), s}, 4);
  };
  EXPECT_NO_THROW(conv2d_1xn_ref(p, x.data(), packed_for(p.weight_shape()), Epilogue{}, y.data()));
  for (const WeightShape& wrong : {
           WeightShape::conv(13, 4, 3, 3, 1),  // c_out
           WeightShape::conv(12, 4, 3, 3, 1),  // groups (same c_in_per_group)
           WeightShape::conv(12, 8, 3, 3, 1),  // c_in as if ungrouped
           WeightShape::conv(12, 3, 3, 3, 2),  // c_in_per_group
           WeightShape::conv(12, 4, 1, 3, 2),  // kh
           WeightShape::conv(12, 4, 3, 1, 2),  // kw
           WeightShape::conv(12, 4, 3, 3, 4),  // groups
       }) {
    EXPECT_THROW(conv2d_1xn_ref(p, x.data(), packed_for(wrong), Epilogue{}, y.data()),
                 InvalidArgument)
        << wrong.to_string();
  }
  ConvParams bad = p;
  bad.stride_h = 0;
  EXPECT_THROW(conv2d_1xn_ref(bad, x.data(), packed_for(p.weight_shape()), Epilogue{}, y.data()),
               InvalidArgument);
}

}  // namespace
}  // namespace onexn
