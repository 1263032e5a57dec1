// conv2d_dense_ref against an independent im2col convolution over random geometries and every
// epilogue; the epilogue order; ConvParams arithmetic and validation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/naive_conv.hpp"
#include "kernels/random_conv_params.hpp"
#include "onexn/error.hpp"
#include "kernels/reference/reference_conv.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

using test::max_relative_error;

struct Variant {
  const char* name;
  bool bias, residual;
  Activation activation;
  float lo = 0.0f, hi = 0.0f;
};

const Variant kVariants[] = {
    {"plain", false, false, Activation::none},
    {"bias", true, false, Activation::none},
    {"residual", false, true, Activation::none},
    {"bias+residual", true, true, Activation::none},
    {"relu", false, false, Activation::relu},
    {"bias+relu6", true, false, Activation::relu6},
    {"clip", false, false, Activation::clip, -0.5f, 0.75f},
    {"bias+residual+relu", true, true, Activation::relu},
    {"bias+residual+relu6", true, true, Activation::relu6},
    {"bias+residual+clip", true, true, Activation::clip, -2.0f, 1.5f},
};

// Runs conv2d_dense_ref into a NaN-filled buffer one element longer than the output, and checks
// that every output was written and nothing past the end.
std::vector<float> run_dense(const ConvParams& p, const std::vector<float>& x,
                             const std::vector<float>& w, const Epilogue& e) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> y(p.output_numel() + 1, nan);
  conv2d_dense_ref(p, x.data(), w.data(), e, y.data());
  EXPECT_TRUE(std::isnan(y.back())) << "wrote past the output";
  y.pop_back();
  for (size_t i = 0; i < y.size(); ++i) {
    if (std::isnan(y[i])) {
      ADD_FAILURE() << "output " << i << " not written";
      break;
    }
  }
  return y;
}

TEST(Conv2dDenseRef, MatchesIndependentConvolutionOnRandomGeometries) {
  std::mt19937 rng(2024);
  int64_t at_six = 0, at_zero = 0, at_clip = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const ConvParams p = test::random_conv_params(rng);
    ASSERT_NO_THROW(p.validate()) << p.to_string();
    auto x = test::random_values(p.input_numel(), 10 * trial + 1);
    for (float& v : x) v *= 3.0f;  // outputs beyond 6 and below 0, so activations clamp
    const auto w = test::random_values(p.weight_shape().numel(), 10 * trial + 2);
    const auto bias = test::random_values(p.c_out, 10 * trial + 3);
    const auto residual = test::random_values(p.output_numel(), 10 * trial + 4);
    for (const Variant& v : kVariants) {
      SCOPED_TRACE(p.to_string() + " " + v.name);
      Epilogue e;
      e.bias = v.bias ? bias.data() : nullptr;
      e.residual = v.residual ? residual.data() : nullptr;
      e.activation = v.activation;
      e.clip_min = v.lo;
      e.clip_max = v.hi;
      test::NaiveEpilogue ne{v.bias ? &bias : nullptr, v.residual ? &residual : nullptr,
                             v.activation, v.lo, v.hi};
      const auto want = test::naive_conv(p, x, w, ne);
      const auto got = run_dense(p, x, w, e);
      ASSERT_EQ(got.size(), want.size());
      ASSERT_LE(max_relative_error(got, want), 1e-5);
      for (float y : got) {
        at_six += v.activation == Activation::relu6 && y == 6.0f;
        at_zero += v.activation == Activation::relu && y == 0.0f;
        at_clip += v.activation == Activation::clip && (y == v.lo || y == v.hi);
      }
    }
  }
  // The activations were exercised, not only their identity range.
  EXPECT_GT(at_six, 0);
  EXPECT_GT(at_zero, 0);
  EXPECT_GT(at_clip, 0);
}

TEST(Conv2dDenseRef, EpilogueOrderIsBiasResidualActivation) {
  // 1x1 conv of one channel with weight 1: acc = x.
  const ConvParams p{.c_in = 1, .h = 1, .w = 3, .c_out = 1};
  const std::vector<float> x = {1.0f, 2.0f, -4.0f}, w = {1.0f}, bias = {5.0f},
                           residual = {3.0f, -10.0f, 1.0f};
  Epilogue e;
  e.bias = bias.data();
  e.residual = residual.data();
  e.activation = Activation::relu6;
  // 1+5+3 = 9 -> 6;  2+5-10 = -3 -> 0;  -4+5+1 = 2 -> 2. Activating before the residual add
  // would give 9, -4, 2 instead.
  EXPECT_EQ(run_dense(p, x, w, e), (std::vector<float>{6.0f, 0.0f, 2.0f}));
  e.activation = Activation::clip;
  e.clip_min = -1.0f;
  e.clip_max = 4.0f;
  EXPECT_EQ(run_dense(p, x, w, e), (std::vector<float>{4.0f, -1.0f, 2.0f}));
  e.activation = Activation::relu;
  EXPECT_EQ(run_dense(p, x, w, e), (std::vector<float>{9.0f, 0.0f, 2.0f}));
}

TEST(Conv2dDenseRef, HandComputedPaddedStridedDilated) {
  // x = 1..16 on a 4x4 plane, 2x2 kernel of ones, dilation 2, stride 2, pad 1 on top and left:
  // output (oy, ox) sums x at rows {2oy-1, 2oy+1} and columns {2ox-1, 2ox+1}, inside the plane.
  const ConvParams p{.c_in = 1,
                     .h = 4,
                     .w = 4,
                     .c_out = 1,
                     .kh = 2,
                     .kw = 2,
                     .stride_h = 2,
                     .stride_w = 2,
                     .pad_top = 1,
                     .pad_left = 1,
                     .dilation_h = 2,
                     .dilation_w = 2};
  ASSERT_EQ(p.out_h(), 2);
  ASSERT_EQ(p.out_w(), 2);
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[i] = float(i + 1);
  const std::vector<float> w(4, 1.0f);
  // (0,0): x[1][1] = 6.  (0,1): x[1][1] + x[1][3] = 6 + 8.  (1,0): x[1][1] + x[3][1] = 6 + 14.
  // (1,1): 6 + 8 + 14 + 16.
  EXPECT_EQ(run_dense(p, x, w, Epilogue{}), (std::vector<float>{6, 14, 20, 44}));
}

TEST(Conv2dDenseRef, AllZeroInputGivesTheEpilogueOfZero) {
  const ConvParams p{.batch = 2,
                     .c_in = 4,
                     .h = 5,
                     .w = 6,
                     .c_out = 6,
                     .kh = 3,
                     .kw = 3,
                     .pad_top = 1,
                     .pad_left = 1,
                     .pad_bottom = 1,
                     .pad_right = 1,
                     .groups = 2};
  const std::vector<float> x(p.input_numel(), 0.0f);
  const auto w = test::random_values(p.weight_shape().numel(), 3);
  const auto bias = test::random_values(p.c_out, 4);
  Epilogue e;
  e.bias = bias.data();
  const auto y = run_dense(p, x, w, e);
  const int64_t plane = p.out_h() * p.out_w();
  for (int64_t i = 0; i < p.output_numel(); ++i) EXPECT_EQ(y[i], bias[(i / plane) % 6]) << i;
}

TEST(ConvParams, OutputSizeAndCounts) {
  const ConvParams p{.batch = 2,
                     .c_in = 8,
                     .h = 10,
                     .w = 7,
                     .c_out = 12,
                     .kh = 3,
                     .kw = 5,
                     .stride_h = 2,
                     .stride_w = 1,
                     .pad_top = 1,
                     .pad_left = 2,
                     .pad_bottom = 0,
                     .pad_right = 1,
                     .dilation_h = 1,
                     .dilation_w = 2,
                     .groups = 4};
  EXPECT_EQ(p.out_h(), (10 + 1 + 0 - 3) / 2 + 1);  // 5
  EXPECT_EQ(p.out_w(), (7 + 2 + 1 - 9) / 1 + 1);   // 2
  EXPECT_EQ(p.weight_shape(), WeightShape::conv(12, 2, 3, 5, 4));
  EXPECT_EQ(p.input_numel(), 2 * 8 * 10 * 7);
  EXPECT_EQ(p.output_numel(), 2 * 12 * 5 * 2);
  EXPECT_EQ(p.dense_macs(), 2 * 12 * 5 * 2 * 2 * 15);
}

TEST(ConvParams, ValidateRejectsBadParams) {
  const ConvParams good{
      .batch = 1, .c_in = 4, .h = 6, .w = 6, .c_out = 8, .kh = 3, .kw = 3, .groups = 2};
  ASSERT_NO_THROW(good.validate());
  const std::vector<std::pair<const char*, void (*)(ConvParams&)>> bad = {
      {"batch 0", [](ConvParams& p) { p.batch = 0; }},
      {"c_in 0", [](ConvParams& p) { p.c_in = 0; }},
      {"h negative", [](ConvParams& p) { p.h = -1; }},
      {"w 0", [](ConvParams& p) { p.w = 0; }},
      {"c_out 0", [](ConvParams& p) { p.c_out = 0; }},
      {"kh 0", [](ConvParams& p) { p.kh = 0; }},
      {"kw negative", [](ConvParams& p) { p.kw = -3; }},
      {"stride_h 0", [](ConvParams& p) { p.stride_h = 0; }},
      {"stride_w negative", [](ConvParams& p) { p.stride_w = -1; }},
      {"dilation_h 0", [](ConvParams& p) { p.dilation_h = 0; }},
      {"dilation_w 0", [](ConvParams& p) { p.dilation_w = 0; }},
      {"pad_top negative", [](ConvParams& p) { p.pad_top = -1; }},
      {"pad_right negative", [](ConvParams& p) { p.pad_right = -2; }},
      {"groups 0", [](ConvParams& p) { p.groups = 0; }},
      {"groups not dividing c_in", [](ConvParams& p) { p.groups = 8; }},
      {"groups not dividing c_out",
       [](ConvParams& p) {
         p.c_out = 6;
         p.groups = 4;
       }},
      {"kernel larger than the input", [](ConvParams& p) { p.kh = 7; }},
      {"dilated kernel larger than the input", [](ConvParams& p) { p.dilation_w = 3; }},
  };
  const std::vector<float> x(1024, 1.0f), w(1024, 1.0f);
  std::vector<float> y(4096);
  for (const auto& [name, corrupt] : bad) {
    ConvParams p = good;
    corrupt(p);
    EXPECT_THROW(p.validate(), InvalidArgument) << name;
    EXPECT_THROW(conv2d_dense_ref(p, x.data(), w.data(), Epilogue{}, y.data()), InvalidArgument)
        << name;
  }
  ConvParams padded = good;
  padded.kh = 7;
  padded.pad_top = 1;  // 6 + 1 rows fit a 7-row kernel once
  EXPECT_NO_THROW(padded.validate());
  EXPECT_EQ(padded.out_h(), 1);
}

TEST(ConvParams, ValidateRejectsAKernelLargerThanTheInputAtAnyStride) {
  // A 7-row kernel does not fit 6 rows: the output is empty (PyTorch and ONNX give
  // floor((6 - 7) / s) + 1 = 0 rows) whatever the stride.
  for (int64_t stride : {1, 2, 3}) {
    ConvParams p{.c_in = 1, .h = 6, .w = 6, .c_out = 1, .kh = 7, .kw = 1};
    p.stride_h = stride;
    EXPECT_THROW(p.validate(), InvalidArgument) << "stride " << stride << ", out_h " << p.out_h();
  }
}

}  // namespace
}  // namespace onexn
