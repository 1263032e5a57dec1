// Elementwise ops: hand-computed cases, broadcasting against an index-by-index reference, int64
// folding, and the errors infer must report.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ops_harness.hpp"

namespace onexn::test {
namespace {

void expect_near(const std::vector<float>& got, const std::vector<float>& want, double tol = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(got[k], want[k], tol) << "element " << k;
}

TEST(OpsElementwise, ActivationsByHand) {
  const Constant x = floats({6}, {-3.0f, -1.0f, -0.25f, 0.0f, 0.5f, 4.0f});
  EXPECT_EQ(OneNode("Relu").input(x).run1().f, (std::vector<float>{0, 0, 0, 0, 0.5f, 4.0f}));
  expect_near(OneNode("HardSigmoid").input(x).run1().f, {0.0f, 0.3f, 0.45f, 0.5f, 0.6f, 1.0f});
  const auto hs = OneNode("HardSigmoid").input(x).attr("alpha", 0.5f).attr("beta", 0.25f).run1().f;
  expect_near(hs, {0.0f, 0.0f, 0.125f, 0.25f, 0.5f, 1.0f});
  // x * clamp(x / 6 + 0.5, 0, 1)
  const auto sw = OneNode("HardSwish").input(x).run1().f;
  const std::vector<float> want_sw = {
      -0.0f, -1.0f / 3, -0.25f * (0.5f - 0.25f / 6), 0.0f, 0.5f * (0.5f + 0.5f / 6), 4.0f};
  expect_near(sw, want_sw);
  const auto sg = OneNode("Sigmoid").input(x).run1().f;
  for (size_t k = 0; k < x.f.size(); ++k)
    EXPECT_NEAR(sg[k], 1.0 / (1.0 + std::exp(-double(x.f[k]))), 1e-7);
  EXPECT_EQ(OneNode("Sigmoid").input(floats({2}, {-200.0f, 200.0f})).run1().f,
            (std::vector<float>{0.0f, 1.0f}));
}

TEST(OpsElementwise, ClipForms) {
  const Constant x = floats({5}, {-2.0f, -0.5f, 0.0f, 0.5f, 2.0f});
  // opset 6: attributes
  EXPECT_EQ(OneNode("Clip", 6).input(x).attr("min", -1.0f).attr("max", 1.0f).run1().f,
            (std::vector<float>{-1.0f, -0.5f, 0.0f, 0.5f, 1.0f}));
  EXPECT_EQ(OneNode("Clip", 6).input(x).attr("max", 0.25f).run1().f,
            (std::vector<float>{-2.0f, -0.5f, 0.0f, 0.25f, 0.25f}));
  // opset 13: constant inputs, either omitted
  EXPECT_EQ(
      OneNode("Clip").input(x).constant(floats({}, {0.0f})).constant(floats({}, {6.0f})).run1().f,
      (std::vector<float>{0.0f, 0.0f, 0.0f, 0.5f, 2.0f}));
  EXPECT_EQ(OneNode("Clip").input(x).omitted().constant(floats({}, {0.1f})).run1().f,
            (std::vector<float>{-2.0f, -0.5f, 0.0f, 0.1f, 0.1f}));
  EXPECT_EQ(OneNode("Clip").input(x).run1().f, x.f);
  // run-time bounds
  EXPECT_EQ(OneNode("Clip").input(x).input(floats({}, {-0.5f})).input(floats({1}, {0.0f})).run1().f,
            (std::vector<float>{-0.5f, -0.5f, 0.0f, 0.0f, 0.0f}));
  // min > max: every value is max (numpy.clip)
  EXPECT_EQ(
      OneNode("Clip").input(x).constant(floats({}, {1.0f})).constant(floats({}, {-1.0f})).run1().f,
      (std::vector<float>(5, -1.0f)));
  EXPECT_NE(error_of([&] {
              OneNode("Clip").input(x).constant(floats({2}, {0, 1})).shapes();
            }).find("expected a scalar"),
            std::string::npos);
}

// Broadcasting reference: each output index mapped to each input's index explicitly.
Constant broadcast_reference(const std::string& op, const Constant& a, const Constant& b,
                             const Shape& out) {
  Constant r = Constant::floats(out, std::vector<float>(graph::numel(out)));
  for (int64_t k = 0; k < graph::numel(out); ++k) {
    const std::vector<int64_t> idx = unravel(k, out);
    auto pick = [&](const Constant& t) {
      std::vector<int64_t> ti(t.shape.size());
      for (size_t d = 0; d < t.shape.size(); ++d) {
        const size_t od = d + (out.size() - t.shape.size());
        ti[d] = t.shape[d] == 1 ? 0 : idx[od];
      }
      return t.f[ravel(ti, t.shape)];
    };
    const float x = pick(a), y = pick(b);
    r.f[k] = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
  }
  return r;
}

TEST(OpsElementwise, BroadcastingMatchesReference) {
  struct Case {
    Shape a, b, out;
  };
  const std::vector<Case> cases = {
      {{2, 3, 4, 5}, {2, 3, 4, 5}, {2, 3, 4, 5}},
      {{2, 8, 5, 7}, {2, 8, 1, 1}, {2, 8, 5, 7}},  // SE block
      {{1, 8, 5, 7}, {1, 8, 1, 1}, {1, 8, 5, 7}},
      {{1, 6, 1, 1}, {3, 6, 4, 4}, {3, 6, 4, 4}},
      {{2, 3, 4}, {}, {2, 3, 4}},
      {{}, {2, 3, 4}, {2, 3, 4}},
      {{1}, {7}, {7}},
      {{4, 5}, {5}, {4, 5}},
      {{4, 1}, {1, 5}, {4, 5}},
      {{3, 1, 5}, {1, 4, 1}, {3, 4, 5}},
      {{2, 1, 3, 1}, {4, 1, 2}, {2, 4, 3, 2}},
      {{1, 1, 1}, {2, 3, 4, 5}, {2, 3, 4, 5}},
      {{6, 1, 1, 1}, {6, 2, 2, 2}, {6, 2, 2, 2}},
      {{0, 3}, {1, 3}, {0, 3}},
      {{3, 1}, {3, 0}, {3, 0}},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
      const Constant a = random_floats(c.a, seed++, 0.5f, 2.0f),
                     b = random_floats(c.b, seed++, 0.5f, 2.0f);
      const std::string what =
          std::string(op) + " " + graph::shape_string(c.a) + " " + graph::shape_string(c.b);
      OneNode n(op);
      n.input(a).input(b);
      ASSERT_EQ(n.shapes().at(0), c.out) << what;
      const Constant got = n.run1();
      const Constant want = broadcast_reference(op, a, b, c.out);
      EXPECT_EQ(got.f, want.f) << what;  // one operation per element: exact
      // One input constant (as weights are), and the folded path.
      EXPECT_EQ(OneNode(op).input(a).constant(b).run1().f, want.f) << what;
      EXPECT_EQ(OneNode(op).input(a).input(b).fold().at(0).f, want.f) << what;
    }
  }
}

TEST(OpsElementwise, LargeTensorsSameResultAnyThreads) {
  const Constant a = random_floats({2, 64, 40, 40}, 11), b = random_floats({2, 64, 1, 1}, 12);
  const Constant want = broadcast_reference("Mul", a, b, a.shape);
  for (int threads : {1, 2, 3}) {
    EXPECT_EQ(OneNode("Mul").input(a).input(b).run1(threads).f, want.f);
    EXPECT_EQ(OneNode("Add").input(a).input(a).run1(threads).f,
              broadcast_reference("Add", a, a, a.shape).f);
  }
  const Constant one_row = random_floats({300000}, 13), s = floats({}, {0.5f});
  EXPECT_EQ(OneNode("Sub").input(one_row).input(s).run1(2).f,
            broadcast_reference("Sub", one_row, s, one_row.shape).f);
  const auto relu = OneNode("Relu").input(one_row).run1(2).f;
  for (size_t k = 0; k < relu.size(); ++k) ASSERT_EQ(relu[k], std::max(one_row.f[k], 0.0f));
}

TEST(OpsElementwise, LegacyBroadcastAttribute) {
  const Constant a = random_floats({2, 3, 4}, 21), b = random_floats({3}, 22);
  // opset 6: B [3] aligned at axis 1 of A = numpy broadcasting of [3, 1]
  const Constant got =
      OneNode("Add", 6).input(a).input(b).attr("broadcast", 1).attr("axis", 1).run1();
  Constant b31 = b;
  b31.shape = {3, 1};
  EXPECT_EQ(got.f, broadcast_reference("Add", a, b31, a.shape).f);
  // without broadcast = 1, opset 6 needs equal shapes
  EXPECT_NE(
      error_of([&] { OneNode("Add", 6).input(a).input(b).shapes(); }).find("not broadcastable"),
      std::string::npos);
}

TEST(OpsElementwise, Int64ArithmeticFolds) {
  const Constant a = ints({2, 2}, {7, -7, 12, 5}), b = ints({2}, {2, -3});
  EXPECT_EQ(OneNode("Add").input(a).input(b).fold().at(0).i, (std::vector<int64_t>{9, -10, 14, 2}));
  EXPECT_EQ(OneNode("Sub").input(a).input(b).fold().at(0).i, (std::vector<int64_t>{5, -4, 10, 8}));
  EXPECT_EQ(OneNode("Mul").input(a).input(b).fold().at(0).i,
            (std::vector<int64_t>{14, 21, 24, -15}));
  EXPECT_EQ(OneNode("Div").input(a).input(b).fold().at(0).i,
            (std::vector<int64_t>{3, 2, 6, -1}));  // truncates
  EXPECT_EQ(OneNode("Mul").input(ints({}, {3})).input(ints({1}, {4})).fold().at(0).shape,
            (Shape{1}));
  EXPECT_NE(error_of([&] {
              OneNode("Div").input(a).input(ints({}, {0})).fold();
            }).find("division by zero"),
            std::string::npos);
  const int64_t big = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(OneNode("Add").input(ints({}, {big})).input(ints({}, {1})).fold().at(0).i,
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min()}));  // wraps, as numpy
  EXPECT_NE(error_of([&] {
              OneNode("Div").input(ints({}, {-big - 1})).input(ints({}, {-1})).fold();
            }).find("overflows"),
            std::string::npos);
}

TEST(OpsElementwise, ArithmeticErrors) {
  const std::string e1 = error_of([] {
    OneNode("Add").input(random_floats({2, 3}, 1)).input(random_floats({4}, 2)).shapes();
  });
  EXPECT_NE(e1.find("[2, 3] and [4] are not broadcastable"), std::string::npos) << e1;
  EXPECT_NE(e1.find("node 'n0' (Add)"), std::string::npos) << e1;
  const std::string e2 = error_of([] {
    OneNode("Mul").input(random_floats({2}, 1)).constant(ints({2}, {1, 2})).shapes();
  });
  EXPECT_NE(e2.find("different types"), std::string::npos) << e2;
  const std::string e3 =
      error_of([] { OneNode("Relu").input(random_floats({2}, 1)).attr("alpha", 0.1f).shapes(); });
  EXPECT_NE(e3.find("attribute 'alpha' is not supported"), std::string::npos) << e3;
  const std::string e4 = error_of([] { OneNode("Add").input(random_floats({2}, 1)).shapes(); });
  EXPECT_NE(e4.find("has 1 inputs, expected 2"), std::string::npos) << e4;
}

TEST(OpsElementwise, IdentityDropoutCast) {
  const Constant x = random_floats({3, 4}, 5);
  EXPECT_EQ(OneNode("Identity").input(x).run1().f, x.f);
  EXPECT_EQ(OneNode("Identity").constant(ints({2}, {4, 5})).fold().at(0).i,
            (std::vector<int64_t>{4, 5}));
  const auto d = OneNode("Dropout").input(x).attr("ratio", 0.3f).outputs(2).run();
  EXPECT_EQ(d[0].f, x.f);
  EXPECT_EQ(d[1].i, std::vector<int64_t>(12, 1));  // the mask: bool, an int64 tensor of 1s
  EXPECT_EQ(
      OneNode("Dropout").input(x).constant(floats({}, {0.5f})).constant(ints({}, {0})).run1().f,
      x.f);
  EXPECT_EQ(OneNode("Dropout", 6).input(x).attr("is_test", 1).run1().f, x.f);
  EXPECT_NE(
      error_of([&] {
        OneNode("Dropout").input(x).constant(floats({}, {0.5f})).constant(ints({}, {1})).shapes();
      }).find("training_mode) is true"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              OneNode("Dropout").input(x).omitted().input(floats({}, {0.0f})).shapes();
            }).find("must be a constant"),
            std::string::npos);

  EXPECT_EQ(
      OneNode("Cast").input(floats({4}, {1.9f, -1.9f, 0.0f, 3.0f})).attr("to", 7).fold().at(0).i,
      (std::vector<int64_t>{1, -1, 0, 3}));
  EXPECT_EQ(OneNode("Cast").constant(ints({2}, {-3, 1LL << 40})).attr("to", 1).fold().at(0).f,
            (std::vector<float>{-3.0f, 1099511627776.0f}));
  EXPECT_EQ(OneNode("Cast").input(x).attr("to", 1).run1().f, x.f);
  const std::string e1 = error_of([&] { OneNode("Cast").input(x).attr("to", 6).shapes(); });
  EXPECT_NE(e1.find("attribute 'to' = 6 (INT32)"), std::string::npos) << e1;
  const std::string e2 = error_of([&] { OneNode("Cast").input(x).attr("to", 16).shapes(); });
  EXPECT_NE(e2.find("attribute 'to' = 16 (BFLOAT16)"), std::string::npos) << e2;
  EXPECT_NE(error_of([&] {
              OneNode("Cast").input(floats({1}, {NAN})).attr("to", 7).fold();
            }).find("cannot cast"),
            std::string::npos);
}

}  // namespace
}  // namespace onexn::test
