// Filter rearrangement: the L1 order, the permutation helpers, and the property that matters:
// permuting a producer's output channels, the per-channel ops after it and its consumer's input
// channels leaves the network's function unchanged.
#include "onexn/rearrange.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "kernels/reference/reference_conv.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

using test::max_relative_error;

double row_l1(const std::vector<float>& w, const WeightShape& s, int64_t o) {
  const int64_t row = s.c_in_per_group * s.taps();
  double sum = 0.0;
  for (int64_t i = 0; i < row; ++i) sum += std::abs(double(w[o * row + i]));
  return sum;
}

// Random weights with filter o scaled by a random factor in [0.05, 2], so L1 norms are spread.
std::vector<float> spread_filters(const WeightShape& s, uint32_t seed) {
  auto w = test::random_values(s.numel(), seed);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> scale(0.05f, 2.0f);
  const int64_t row = s.c_in_per_group * s.taps();
  for (int64_t o = 0; o < s.c_out; ++o) {
    const float f = scale(rng);
    for (int64_t i = 0; i < row; ++i) w[o * row + i] *= f;
  }
  return w;
}

Permutation shuffled(int64_t n, uint32_t seed) {
  Permutation p(n);
  std::iota(p.begin(), p.end(), int64_t{0});
  std::mt19937 rng(seed);
  std::shuffle(p.begin(), p.end(), rng);
  return p;
}

bool is_identity(const Permutation& p) {
  for (size_t k = 0; k < p.size(); ++k)
    if (p[k] != static_cast<int64_t>(k)) return false;
  return true;
}

TEST(FilterOrder, DescendingL1WithTiesInIndexOrder) {
  const WeightShape s = WeightShape::conv(5, 1, 1, 1);
  const std::vector<float> w = {3, -5, 3, 1, 5};
  EXPECT_EQ(filter_order_by_l1(ConstWeightView{w.data(), s}), (Permutation{1, 4, 0, 2, 3}));
}

TEST(FilterOrder, RandomWeightsGiveAPermutationOfNonIncreasingNorms) {
  const WeightShape s = WeightShape::conv(40, 6, 3, 3);
  auto w = spread_filters(s, 3);
  // Make some exact ties: filters 7, 20 and 33 copy filter 2 (with signs flipped).
  const int64_t row = 6 * 9;
  for (int64_t o : {7, 20, 33})
    for (int64_t i = 0; i < row; ++i) w[o * row + i] = -w[2 * row + i];
  const Permutation perm = filter_order_by_l1(ConstWeightView{w.data(), s});
  ASSERT_NO_THROW(check_permutation(perm, 40));
  for (size_t k = 0; k + 1 < perm.size(); ++k) {
    const double a = row_l1(w, s, perm[k]), b = row_l1(w, s, perm[k + 1]);
    EXPECT_GE(a, b) << "position " << k;
    if (a == b) {
      EXPECT_LT(perm[k], perm[k + 1]) << "tie not stable at position " << k;
    }
  }
  const auto at = [&](int64_t o) { return std::find(perm.begin(), perm.end(), o) - perm.begin(); };
  EXPECT_EQ(at(7), at(2) + 1);
  EXPECT_EQ(at(20), at(2) + 2);
  EXPECT_EQ(at(33), at(2) + 3);
}

TEST(FilterOrder, RejectsGroupedProducer) {
  const WeightShape s = WeightShape::conv(8, 2, 3, 3, 2);
  const auto w = test::random_values(s.numel(), 1);
  EXPECT_THROW(filter_order_by_l1(ConstWeightView{w.data(), s}), InvalidArgument);
}

TEST(Permutation, CheckPermutation) {
  EXPECT_NO_THROW(check_permutation(Permutation{2, 0, 1}, 3));
  EXPECT_NO_THROW(check_permutation(Permutation{}, 0));
  EXPECT_THROW(check_permutation(Permutation{0, 1}, 3), InvalidArgument);
  EXPECT_THROW(check_permutation(Permutation{0, 1, 2, 3}, 3), InvalidArgument);
  EXPECT_THROW(check_permutation(Permutation{0, 1, 1}, 3), InvalidArgument);
  EXPECT_THROW(check_permutation(Permutation{0, 1, 3}, 3), InvalidArgument);
  EXPECT_THROW(check_permutation(Permutation{0, -1, 2}, 3), InvalidArgument);
}

TEST(Permutation, OutputChannels) {
  const WeightShape s = WeightShape::conv(9, 4, 3, 1);
  const auto original = test::random_values(s.numel(), 2);
  const Permutation perm = shuffled(9, 4);
  auto w = original;
  permute_output_channels(WeightView{w.data(), s}, perm);
  for (int64_t k = 0; k < 9; ++k)
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t y = 0; y < 3; ++y)
        EXPECT_EQ(w[s.index(k, i, y, 0)], original[s.index(perm[k], i, y, 0)]);
}

TEST(Permutation, InputChannels) {
  const WeightShape s = WeightShape::conv(3, 7, 2, 2);
  const auto original = test::random_values(s.numel(), 5);
  const Permutation perm = shuffled(7, 6);
  auto w = original;
  permute_input_channels(WeightView{w.data(), s}, perm);
  for (int64_t o = 0; o < 3; ++o)
    for (int64_t k = 0; k < 7; ++k)
      for (int64_t t = 0; t < 4; ++t)
        EXPECT_EQ(w[s.index(o, k, t / 2, t % 2)], original[s.index(o, perm[k], t / 2, t % 2)]);
}

TEST(Permutation, Vector) {
  std::vector<float> v = {10, 11, 12, 13};
  permute_channels(v, Permutation{3, 0, 2, 1});
  EXPECT_EQ(v, (std::vector<float>{13, 10, 12, 11}));
}

TEST(Permutation, InvalidPermutationsAndGroupedWeightsThrow) {
  const WeightShape s = WeightShape::conv(4, 3, 1, 1);
  auto w = test::random_values(s.numel(), 7);
  const WeightView v{w.data(), s};
  EXPECT_THROW(permute_output_channels(v, Permutation{0, 1, 2}), InvalidArgument);
  EXPECT_THROW(permute_output_channels(v, Permutation{0, 1, 2, 2}), InvalidArgument);
  EXPECT_THROW(permute_output_channels(v, Permutation{0, 1, 2, 4}), InvalidArgument);
  EXPECT_THROW(permute_input_channels(v, Permutation{0, 1, 2, 3}), InvalidArgument);
  EXPECT_THROW(permute_input_channels(v, Permutation{2, 2, 0}), InvalidArgument);
  EXPECT_THROW(permute_input_channels(v, Permutation{-1, 0, 1}), InvalidArgument);
  std::vector<float> bias(4);
  EXPECT_THROW(permute_channels(bias, Permutation{0, 1, 2}), InvalidArgument);
  EXPECT_THROW(permute_channels(bias, Permutation{0, 0, 1, 2}), InvalidArgument);
  const WeightView grouped{w.data(), WeightShape::conv(4, 1, 1, 1, 4)};
  EXPECT_THROW(permute_output_channels(grouped, Permutation{1, 0, 3, 2}), InvalidArgument);
  EXPECT_THROW(permute_input_channels(grouped, Permutation{0}), InvalidArgument);
}

// conv -> BatchNorm -> activation -> conv, computed with the reference convolution; BatchNorm and
// the activation are applied by hand. The per-channel tensors are the parameters to permute.
struct Chain {
  ConvParams p1, p2;
  std::vector<float> w1, b1, gamma, beta, mean, var, w2, b2;
  bool relu6 = false;
  static constexpr float kEps = 1e-5f;

  std::vector<float> hidden(const std::vector<float>& x) const {
    std::vector<float> h(p1.output_numel());
    Epilogue e1;
    e1.bias = b1.data();
    conv2d_dense_ref(p1, x.data(), w1.data(), e1, h.data());
    const int64_t plane = p1.out_h() * p1.out_w();
    for (int64_t i = 0; i < p1.output_numel(); ++i) {
      const int64_t c = (i / plane) % p1.c_out;
      float v = gamma[c] * (h[i] - mean[c]) / std::sqrt(var[c] + kEps) + beta[c];
      v = std::max(v, 0.0f);
      if (relu6) v = std::min(v, 6.0f);
      h[i] = v;
    }
    return h;
  }
  std::vector<float> run(const std::vector<float>& x) const {
    const auto h = hidden(x);
    std::vector<float> y(p2.output_numel());
    Epilogue e2;
    e2.bias = b2.data();
    conv2d_dense_ref(p2, h.data(), w2.data(), e2, y.data());
    return y;
  }
};

Chain make_chain(int64_t c_in, int64_t mid, int64_t c_out, uint32_t seed) {
  Chain c;
  c.p1 = {.batch = 2,
          .c_in = c_in,
          .h = 9,
          .w = 8,
          .c_out = mid,
          .kh = 3,
          .kw = 3,
          .pad_top = 1,
          .pad_left = 1,
          .pad_bottom = 1,
          .pad_right = 1};
  c.p2 = {.batch = 2,
          .c_in = mid,
          .h = 9,
          .w = 8,
          .c_out = c_out,
          .kh = 3,
          .kw = 3,
          .stride_h = 2,
          .stride_w = 2,
          .pad_top = 1,
          .pad_left = 0,
          .pad_bottom = 1,
          .pad_right = 1};
  c.w1 = spread_filters(c.p1.weight_shape(), seed);
  c.b1 = test::random_values(mid, seed + 1);
  c.gamma = test::random_values(mid, seed + 2);
  c.beta = test::random_values(mid, seed + 3);
  c.mean = test::random_values(mid, seed + 4);
  c.var = test::random_values(mid, seed + 5);
  for (float& v : c.var) v = 0.1f + std::abs(v);
  c.w2 = test::random_values(c.p2.weight_shape().numel(), seed + 6);
  c.b2 = test::random_values(c_out, seed + 7);
  return c;
}

TEST(Rearrangement, ConvBatchNormReluConvComputesTheSameFunction) {
  const Chain original = make_chain(5, 12, 7, 100);
  const auto x = test::random_values(original.p1.input_numel(), 101);

  Chain permuted = original;
  const Permutation perm =
      filter_order_by_l1(ConstWeightView{original.w1.data(), original.p1.weight_shape()});
  ASSERT_FALSE(is_identity(perm));
  permute_output_channels(WeightView{permuted.w1.data(), permuted.p1.weight_shape()}, perm);
  for (auto* v : {&permuted.b1, &permuted.gamma, &permuted.beta, &permuted.mean, &permuted.var})
    permute_channels(*v, perm);
  permute_input_channels(WeightView{permuted.w2.data(), permuted.p2.weight_shape()}, perm);

  // The hidden tensor's channels are permuted...
  const auto h0 = original.hidden(x), h1 = permuted.hidden(x);
  const int64_t plane = original.p1.out_h() * original.p1.out_w();
  std::vector<float> h0_permuted(h0.size());
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t k = 0; k < 12; ++k)
      std::copy_n(h0.begin() + (n * 12 + perm[k]) * plane, plane,
                  h0_permuted.begin() + (n * 12 + k) * plane);
  EXPECT_LE(max_relative_error(h1, h0_permuted), 1e-6);
  // ...and the output is unchanged.
  const auto y0 = original.run(x), y1 = permuted.run(x);
  EXPECT_LE(max_relative_error(y1, y0), 1e-5);
  // The permutation is not a no-op for the network: permuting only the producer changes it.
  Chain half = original;
  permute_output_channels(WeightView{half.w1.data(), half.p1.weight_shape()}, perm);
  EXPECT_GT(max_relative_error(half.run(x), y0), 1e-2);
}

TEST(Rearrangement, DepthwiseBetweenProducerAndConsumerIsPermutedAlongItsChannels) {
  // conv 6->16, BN, ReLU6, depthwise 3x3 (+bias), 1x1 conv 16->5: the depthwise conv's channels
  // follow the permutation (its [16][1][3][3] weight permuted as 16 rows of a one-group view).
  Chain c = make_chain(6, 16, 16, 200);
  c.relu6 = true;
  ConvParams dw = c.p1;
  dw.c_in = dw.c_out = dw.groups = 16;
  auto w_dw = test::random_values(dw.weight_shape().numel(), 201);
  auto b_dw = test::random_values(16, 202);
  ConvParams pw = {.batch = 2, .c_in = 16, .h = 9, .w = 8, .c_out = 5};
  auto w_pw = test::random_values(pw.weight_shape().numel(), 203);
  const auto x = test::random_values(c.p1.input_numel(), 204);
  auto run = [&](const Chain& chain, const std::vector<float>& wd, const std::vector<float>& bd,
                 const std::vector<float>& wp) {
    const auto h = chain.hidden(x);
    std::vector<float> d(dw.output_numel()), y(pw.output_numel());
    Epilogue e;
    e.bias = bd.data();
    conv2d_dense_ref(dw, h.data(), wd.data(), e, d.data());
    conv2d_dense_ref(pw, d.data(), wp.data(), Epilogue{}, y.data());
    return y;
  };
  const auto y0 = run(c, w_dw, b_dw, w_pw);

  const Permutation perm = filter_order_by_l1(ConstWeightView{c.w1.data(), c.p1.weight_shape()});
  ASSERT_FALSE(is_identity(perm));
  permute_output_channels(WeightView{c.w1.data(), c.p1.weight_shape()}, perm);
  for (auto* v : {&c.b1, &c.gamma, &c.beta, &c.mean, &c.var}) permute_channels(*v, perm);
  EXPECT_THROW(permute_output_channels(WeightView{w_dw.data(), dw.weight_shape()}, perm),
               InvalidArgument);  // grouped: the caller views it as one group of 16 rows
  permute_output_channels(WeightView{w_dw.data(), WeightShape::conv(16, 1, 3, 3)}, perm);
  permute_channels(b_dw, perm);
  permute_input_channels(WeightView{w_pw.data(), pw.weight_shape()}, perm);
  EXPECT_LE(max_relative_error(run(c, w_dw, b_dw, w_pw), y0), 1e-5);
}

double kept_l1(const std::vector<float>& w, const WeightShape& s, int n, double p) {
  const Mask m = compute_mask(ConstWeightView{w.data(), s}, Pattern::one_by_n(n), p);
  double sum = 0.0;
  for (size_t i = 0; i < w.size(); ++i) sum += m[i] ? std::abs(double(w[i])) : 0.0;
  return sum;
}

TEST(Rearrangement, KeepsMoreL1MassWhenFilterNormsAreSpread) {
  // Strong and weak filters interleaved: unpermuted, every 1x4 block mixes both kinds.
  const WeightShape s = WeightShape::conv(32, 16, 3, 3);
  auto w = test::random_values(s.numel(), 300);
  const int64_t row = 16 * 9;
  for (int64_t o = 0; o < 32; ++o)
    for (int64_t i = 0; i < row; ++i) w[o * row + i] *= (o % 2 == 0) ? 1.0f : 0.05f;
  auto rearranged = w;
  permute_output_channels(WeightView{rearranged.data(), s},
                          filter_order_by_l1(ConstWeightView{w.data(), s}));
  for (int n : {2, 4, 8, 16}) {
    for (double p : {0.3, 0.5, 0.7}) {
      const double before = kept_l1(w, s, n, p), after = kept_l1(rearranged, s, n, p);
      EXPECT_GT(after, before) << "1x" << n << " p=" << p;
    }
  }
  // A permutation moves mass, it does not create it.
  EXPECT_NEAR(kept_l1(rearranged, s, 4, 0.0), kept_l1(w, s, 4, 0.0), 1e-6 * kept_l1(w, s, 4, 0.0));
}

}  // namespace
}  // namespace onexn
