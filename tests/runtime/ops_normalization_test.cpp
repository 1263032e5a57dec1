// BatchNormalization (inference) and Softmax (both axis conventions) against formulas in double.
#include <gtest/gtest.h>

#include <cmath>

#include "ops_harness.hpp"
#include "runtime/ops/op_math.hpp"

namespace onexn::test {
namespace {

TEST(OpsNormalization, ExpAndSigmoidFloats) {
  // Within 3e-7 relative of exp over the range where it is a normal float, at every offset in a
  // block (the loops run in blocks of 64).
  std::vector<float> x;
  for (double v = -87.0; v <= 88.0; v += 0.001) x.push_back(float(v));
  const std::vector<float> specials = {0.0f,   -0.0f, NAN,      -INFINITY, INFINITY,
                                       -88.0f, 89.0f, -1000.0f, 1000.0f};
  x.insert(x.begin() + 37, specials.begin(), specials.end());
  std::vector<float> y(x.size()), s(x.size());
  runtime::ops::exp_floats(x.data(), y.data(), int64_t(x.size()));
  runtime::ops::sigmoid_floats(x.data(), s.data(), int64_t(x.size()));
  double worst = 0, worst_sigmoid = 0;
  for (size_t k = 0; k < x.size(); ++k) {
    const double want = std::exp(double(x[k])), want_s = 1.0 / (1.0 + std::exp(-double(x[k])));
    if (std::isnan(x[k])) {
      EXPECT_TRUE(std::isnan(y[k]) && std::isnan(s[k]));
    } else if (x[k] < -87.3f) {
      EXPECT_EQ(y[k], 0.0f) << x[k];
      EXPECT_LT(s[k], 1e-37f);
    } else if (x[k] > 88.3f) {
      EXPECT_EQ(y[k], INFINITY) << x[k];
      EXPECT_EQ(s[k], 1.0f);
    } else {
      worst = std::max(worst, std::abs(y[k] - want) / want);
      worst_sigmoid = std::max(worst_sigmoid, std::abs(s[k] - want_s) / want_s);
    }
  }
  EXPECT_LT(worst, 3e-7);
  EXPECT_LT(worst_sigmoid, 5e-7);
  // in place
  std::vector<float> z = x;
  runtime::ops::exp_floats(z.data(), z.data(), int64_t(z.size()));
  for (size_t k = 0; k < x.size(); ++k)
    ASSERT_TRUE(z[k] == y[k] || (std::isnan(z[k]) && std::isnan(y[k])));
}

TEST(OpsNormalization, BatchNormalization) {
  for (const Shape& s : {Shape{2, 3}, Shape{1, 4, 5}, Shape{2, 3, 4, 5}, Shape{1, 64, 32, 33}}) {
    const int64_t C = s[1], inner = graph::numel(s) / (s[0] * C);
    const Constant x = random_floats(s, 1), scale = random_floats({C}, 2),
                   bias = random_floats({C}, 3);
    const Constant mean = random_floats({C}, 4), var = random_floats({C}, 5, 0.1f, 2.0f);
    const float eps = 1e-3f;
    std::vector<double> want(x.numel());
    for (int64_t k = 0; k < x.numel(); ++k) {
      const int64_t c = (k / inner) % C;
      want[k] = (x.f[k] - mean.f[c]) / std::sqrt(double(var.f[c]) + eps) * scale.f[c] + bias.f[c];
    }
    for (bool constant : {true, false}) {
      OneNode n("BatchNormalization", 15);
      n.input(x).attr("epsilon", eps).attr("momentum", 0.9f);
      for (const Constant* p : {&scale, &bias, &mean, &var}) {
        if (constant)
          n.constant(*p);
        else
          n.input(*p);
      }
      const Constant y = n.run1(2);
      for (int64_t k = 0; k < x.numel(); ++k)
        ASSERT_NEAR(y.f[k], want[k], 2e-6 * (1 + std::abs(want[k])));
    }
  }
  auto err = [](OneNode n) { return error_of([&] { n.shapes(); }); };
  const Constant x = random_floats({1, 3, 2, 2}, 1), p3 = random_floats({3}, 2),
                 p4 = random_floats({4}, 3);
  EXPECT_NE(err(OneNode("BatchNormalization")
                    .input(x)
                    .constant(p3)
                    .constant(p3)
                    .constant(p3)
                    .constant(p4))
                .find("expected [3]"),
            std::string::npos);
  EXPECT_NE(err(OneNode("BatchNormalization")
                    .input(x)
                    .constant(p3)
                    .constant(p3)
                    .constant(p3)
                    .constant(p3)
                    .attr("training_mode", 1))
                .find("'training_mode' = 1"),
            std::string::npos);
  EXPECT_NE(err(OneNode("BatchNormalization", 7)
                    .input(x)
                    .constant(p3)
                    .constant(p3)
                    .constant(p3)
                    .constant(p3)
                    .attr("spatial", 0))
                .find("'spatial' = 0"),
            std::string::npos);
}

// Softmax of x over the elements that share every index but those in `axes` (a set of dims).
std::vector<double> softmax_reference(const Constant& x, const std::vector<bool>& over) {
  std::vector<double> y(x.numel());
  for (int64_t k = 0; k < x.numel(); ++k) {
    // the group of k: all elements equal to k outside `over`
    const std::vector<int64_t> ik = unravel(k, x.shape);
    double mx = -INFINITY, sum = 0;
    std::vector<int64_t> members;
    for (int64_t j = 0; j < x.numel(); ++j) {
      const std::vector<int64_t> ij = unravel(j, x.shape);
      bool same = true;
      for (size_t d = 0; d < ij.size(); ++d) same &= over[d] || ij[d] == ik[d];
      if (same) members.push_back(j);
    }
    for (int64_t j : members) mx = std::max(mx, double(x.f[j]));
    for (int64_t j : members) sum += std::exp(x.f[j] - mx);
    y[k] = std::exp(x.f[k] - mx) / sum;
  }
  return y;
}

TEST(OpsNormalization, SoftmaxAxisConventions) {
  const Constant x = random_floats({2, 3, 4, 5}, 7, -5.0f, 5.0f);
  for (int64_t axis = -4; axis < 4; ++axis) {
    const int64_t a = axis < 0 ? axis + 4 : axis;
    // opset 13: one axis
    std::vector<bool> one(4, false);
    one[a] = true;
    const std::vector<double> want13 = softmax_reference(x, one);
    const Constant y13 = OneNode("Softmax", 13).input(x).attr("axis", axis).run1();
    for (int64_t k = 0; k < x.numel(); ++k)
      ASSERT_NEAR(y13.f[k], want13[k], 1e-6) << "opset 13 axis " << axis;
    // opset 11: every dim from axis on
    std::vector<bool> tail(4, false);
    for (int64_t d = a; d < 4; ++d) tail[d] = true;
    const std::vector<double> want11 = softmax_reference(x, tail);
    const Constant y11 = OneNode("Softmax", 11).input(x).attr("axis", axis).run1();
    for (int64_t k = 0; k < x.numel(); ++k)
      ASSERT_NEAR(y11.f[k], want11[k], 1e-6) << "opset 11 axis " << axis;
  }
  // defaults: -1 from opset 13, 1 before
  EXPECT_EQ(OneNode("Softmax", 13).input(x).run1().f,
            OneNode("Softmax", 13).input(x).attr("axis", 3).run1().f);
  EXPECT_EQ(OneNode("Softmax", 11).input(x).run1().f,
            OneNode("Softmax", 11).input(x).attr("axis", 1).run1().f);
  // large values do not overflow
  const Constant big = floats({1, 3}, {1000.0f, 1001.0f, 1002.0f});
  const Constant yb = OneNode("Softmax").input(big).run1();
  EXPECT_NEAR(yb.f[2], 1.0 / (1.0 + std::exp(-1.0) + std::exp(-2.0)), 1e-6);
  // a wide map over channels (many interleaved rows), across threads
  const Constant seg = random_floats({1, 21, 64, 80}, 8, -3.0f, 3.0f);
  const Constant s1 = OneNode("Softmax").input(seg).attr("axis", 1).run1(1);
  EXPECT_EQ(OneNode("Softmax").input(seg).attr("axis", 1).run1(2).f, s1.f);
  for (int64_t p = 0; p < 64 * 80; p += 97) {
    double sum = 0;
    for (int64_t c = 0; c < 21; ++c) sum += s1.f[c * 64 * 80 + p];
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  EXPECT_NE(error_of([&] {
              OneNode("Softmax").input(x).attr("axis", 4).shapes();
            }).find("'axis' = 4 is out of range"),
            std::string::npos);
}

}  // namespace
}  // namespace onexn::test
