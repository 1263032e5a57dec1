// The depthwise kernel against the scalar dense reference (conv2d_dense_ref with groups = input
// channels), on random shapes that hit its awkward cases: every kernel size 1-7, non-square
// kernels, strides 1-3 (H and W apart), dilations, pads larger than the kernel's reach on some
// sides, channel multipliers, batches, rows shorter than a vector and not a multiple of one, every
// epilogue, 1-3 threads; on every SIMD target this CPU can run.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <random>
#include <set>

#include "kernels/depthwise_conv.hpp"
#include "kernels/reference/reference_conv.hpp"
#include "onexn/error.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

ConvParams random_depthwise(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  ConvParams p;
  p.batch = pick(1, 2);
  p.c_in = p.groups = pick(1, 12);
  p.c_out = p.c_in * (pick(0, 3) == 0 ? pick(2, 3) : 1);
  p.kh = pick(1, 7);
  p.kw = pick(0, 2) ? p.kh : pick(1, 7);
  p.stride_h = pick(1, 3);
  p.stride_w = pick(0, 2) ? p.stride_h : pick(1, 3);
  if (pick(0, 3) == 0) {
    p.dilation_h = pick(1, 3);
    p.dilation_w = pick(1, 3);
  }
  p.pad_top = pick(0, p.kh + 1);
  p.pad_bottom = pick(0, p.kh);
  p.pad_left = pick(0, p.kw + 1);
  p.pad_right = pick(0, p.kw);
  const int64_t span_h = (p.kh - 1) * p.dilation_h + 1, span_w = (p.kw - 1) * p.dilation_w + 1;
  p.h = pick(std::max<int64_t>(1, span_h - p.pad_top - p.pad_bottom), span_h + 40);
  p.w = pick(std::max<int64_t>(1, span_w - p.pad_left - p.pad_right), span_w + 90);
  return p;
}

void check(const ConvParams& p, const Epilogue& epi, int threads, uint32_t seed, std::set<std::string>* names) {
  const std::vector<float> w = test::random_values(p.weight_shape().numel(), seed);
  const std::vector<float> x = test::random_values(p.input_numel(), seed + 1);
  std::vector<float> ref(p.output_numel());
  conv2d_dense_ref(p, x.data(), w.data(), epi, ref.data());
  const detail::DepthwiseConv conv(p, w.data());
  std::vector<float> y(p.output_numel(), NAN);
  conv.run(x.data(), y.data(), epi, threads);
  // Float sums (the bias first) against the reference's double ones, relative to the largest
  // output, which a clamping activation can make small: a few float roundings of the products.
  // A wrong or missing tap is off by about a product, 1e-2 or more.
  EXPECT_LE(test::max_relative_error(y, ref), 1e-4)
      << conv.kernel_name() << " on " << p.to_string() << ", threads " << threads << ", activation "
      << int(epi.activation) << (epi.residual ? " + residual" : "");
  names->insert(conv.kernel_name());
}

TEST(DepthwiseConv, MatchesTheReferenceOnRandomShapesOnEveryTarget) {
  std::set<std::string> names;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    std::mt19937 rng(static_cast<uint32_t>(target % 9973));
    for (int i = 0; i < 60; ++i) {
      const ConvParams p = random_depthwise(rng);
      ASSERT_EQ(detail::DepthwiseConv::unsupported(p), "") << p.to_string();
      std::vector<float> bias = test::random_values(p.c_out, 11 + i);
      std::vector<float> residual = test::random_values(p.output_numel(), 13 + i);
      Epilogue epi;
      if (rng() % 4) epi.bias = bias.data();
      if (rng() % 3 == 0) epi.residual = residual.data();
      epi.activation = static_cast<Activation>(rng() % 5);
      epi.clip_min = -0.25f;
      epi.clip_max = 0.5f;
      check(p, epi, 1 + static_cast<int>(rng() % 3), 100 + i, &names);
      if (::testing::Test::HasFailure()) break;
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_GE(names.size(), 2u);
}

TEST(DepthwiseConv, MobileNetShapes) {
  std::set<std::string> names;
  struct Shape { int64_t c, h, stride; } shapes[] = {{32, 112, 1}, {96, 112, 2}, {144, 56, 1}, {960, 7, 1}, {576, 14, 2}};
  for (const Shape& s : shapes) {
    ConvParams p;
    p.c_in = p.c_out = p.groups = s.c;
    p.h = p.w = s.h;
    p.kh = p.kw = 3;
    p.stride_h = p.stride_w = s.stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    std::vector<float> bias = test::random_values(p.c_out, 5);
    Epilogue epi;
    epi.bias = bias.data();
    epi.activation = Activation::relu6;
    for (int threads : {1, 2}) check(p, epi, threads, 7, &names);
  }
}

// 3x3 at stride 1 and 2 take the row tiles (several output rows sharing each input load) on rows
// of at least half a vector and the flat loop below that: every row count against the tile
// height (tails of 1-3 rows), widths around the vector widths, pads 0-2 on each side, with
// residual and every activation, on every target.
TEST(DepthwiseConv, ThreeByThreeRowTilesMatchTheReferenceOnEveryTarget) {
  std::set<std::string> names;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    std::mt19937 rng(static_cast<uint32_t>(target % 7919));
    auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
    for (int i = 0; i < 40; ++i) {
      ConvParams p;
      p.batch = pick(1, 2);
      p.c_in = p.groups = pick(1, 5);
      p.c_out = p.c_in * pick(1, 2);
      p.kh = p.kw = 3;
      p.stride_h = p.stride_w = pick(1, 2);
      p.pad_top = pick(0, 2), p.pad_bottom = pick(0, 2), p.pad_left = pick(0, 2), p.pad_right = pick(0, 2);
      p.h = pick(std::max<int64_t>(1, 3 - p.pad_top - p.pad_bottom), 20);
      p.w = pick(std::max<int64_t>(1, 3 - p.pad_left - p.pad_right), 70);
      std::vector<float> bias = test::random_values(p.c_out, 21 + i);
      std::vector<float> residual = test::random_values(p.output_numel(), 23 + i);
      Epilogue epi;
      epi.bias = bias.data();
      if (rng() % 2) epi.residual = residual.data();
      epi.activation = static_cast<Activation>(rng() % 5);
      epi.clip_min = -0.25f;
      epi.clip_max = 0.5f;
      check(p, epi, 1 + static_cast<int>(rng() % 2), 300 + i, &names);
      if (::testing::Test::HasFailure()) break;
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

// The result does not depend on how the rows are split between threads.
TEST(DepthwiseConv, ResultDoesNotDependOnTheThreadCount) {
  ConvParams p;
  p.c_in = p.c_out = p.groups = 3;
  p.h = 37, p.w = 29;
  p.kh = p.kw = 5;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 2;
  const std::vector<float> w = test::random_values(p.weight_shape().numel(), 3);
  const std::vector<float> x = test::random_values(p.input_numel(), 4);
  const detail::DepthwiseConv conv(p, w.data());
  std::vector<float> one(p.output_numel()), three(p.output_numel());
  conv.run(x.data(), one.data(), {}, 1);
  conv.run(x.data(), three.data(), {}, 3);
  EXPECT_EQ(one, three);
}

TEST(DepthwiseConv, DeclinesWhatIsNotDepthwise) {
  ConvParams p;
  p.c_in = 8, p.c_out = 8, p.groups = 2;
  p.h = p.w = 5;
  EXPECT_NE(detail::DepthwiseConv::unsupported(p).find("not depthwise"), std::string::npos);
  const std::vector<float> w(p.weight_shape().numel());
  EXPECT_THROW(detail::DepthwiseConv(p, w.data()), InvalidArgument);
  p.groups = 8;
  p.h = 0;
  EXPECT_NE(detail::DepthwiseConv::unsupported(p), "");
}

}  // namespace
}  // namespace onexn
