// Math ops (math_ops.cpp) and the int64 / Cast forms of elementwise_ops.cpp, each against a plain
// scalar reference: the unary functions and activations element by element in double, PRelu and
// Pow index by index over broadcast shapes (size-1 dims, scalars, empty tensors), on the run-time
// and the folded path, 1 and 2 threads alike; then the errors infer must report.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "ops_harness.hpp"

namespace onexn::test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

Constant random_ints(Shape shape, uint32_t seed, int64_t lo, int64_t hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  std::vector<int64_t> v(graph::numel(shape));
  for (auto& x : v) x = dist(rng);
  return Constant::ints(std::move(shape), std::move(v));
}

// |got - want| within `tol` relative (equal infinities and NaNs match).
::testing::AssertionResult close(float got, double want, double tol) {
  bool ok = false;
  if (std::isnan(want) || std::isinf(want)) {
    ok = std::isnan(want) ? std::isnan(got) : double(got) == want;
  } else {
    ok = std::abs(double(got) - want) <= tol * std::max(std::abs(want), 1e-30);
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << got << ", want " << want;
}

// The flat index into `t` (of shape `in`) that output index `idx` (of shape `out`) reads under
// numpy broadcasting: dims aligned from the right, a size-1 dim read at 0.
int64_t source_index(const Shape& in, const std::vector<int64_t>& idx, const Shape& out) {
  std::vector<int64_t> ti(in.size());
  for (size_t d = 0; d < in.size(); ++d) ti[d] = in[d] == 1 ? 0 : idx[d + out.size() - in.size()];
  return ravel(ti, in);
}

// ---- unary functions -------------------------------------------------------------------------

struct UnaryCase {
  const char* op;
  std::function<double(double)> ref;
  float lo, hi;  // input range
  double tol;
};

const std::vector<UnaryCase>& unary_cases() {
  static const std::vector<UnaryCase> cases = {
      {"Sqrt", [](double x) { return std::sqrt(x); }, 0.0f, 4.0f, 1e-7},
      {"Exp", [](double x) { return std::exp(x); }, -20.0f, 20.0f, 3e-7},
      {"Log", [](double x) { return std::log(x); }, 0.01f, 10.0f, 2e-7},
      {"Tanh", [](double x) { return std::tanh(x); }, -6.0f, 6.0f, 2e-7},
      {"Erf", [](double x) { return std::erf(x); }, -3.0f, 3.0f, 2e-7},
      {"Reciprocal", [](double x) { return 1.0 / x; }, 0.1f, 5.0f, 1e-7},
      {"Floor", [](double x) { return std::floor(x); }, -5.0f, 5.0f, 0.0},
      {"Ceil", [](double x) { return std::ceil(x); }, -5.0f, 5.0f, 0.0},
      {"Neg", [](double x) { return -x; }, -5.0f, 5.0f, 0.0},
      {"Abs", [](double x) { return std::abs(x); }, -5.0f, 5.0f, 0.0},
      {"LeakyRelu", [](double x) { return x < 0 ? double(0.01f) * x : x; }, -3.0f, 3.0f, 1e-7},
      {"Elu", [](double x) { return x < 0 ? std::expm1(x) : x; }, -5.0f, 3.0f, 3e-7},
      {"Selu",
       [](double x) {
         const double a = 1.67326319217681884765625, g = 1.05070102214813232421875;
         return x > 0 ? g * x : g * a * std::expm1(x);
       },
       -5.0f, 3.0f, 3e-7},
      {"Softplus", [](double x) { return std::log1p(std::exp(x)); }, -30.0f, 30.0f, 3e-7},
  };
  return cases;
}

TEST(OpsMath, UnaryFunctionsMatchReference) {
  const std::vector<Shape> shapes = {{}, {1}, {7}, {3, 5}, {2, 3, 4, 5}, {0}, {2, 0, 3}};
  uint32_t seed = 100;
  for (const UnaryCase& c : unary_cases()) {
    for (const Shape& shape : shapes) {
      const Constant x = random_floats(shape, seed++, c.lo, c.hi);
      const Constant got = OneNode(c.op).input(x).run1();
      ASSERT_EQ(got.shape, shape) << c.op;
      for (size_t k = 0; k < x.f.size(); ++k)
        ASSERT_TRUE(close(got.f[k], c.ref(x.f[k]), c.tol)) << c.op << " x = " << x.f[k];
      EXPECT_EQ(OneNode(c.op).input(x).fold().at(0).f, got.f) << c.op << ": folded";
    }
  }
}

TEST(OpsMath, UnaryFunctionsAtTheEdges) {
  const Constant x =
      floats({9}, {0.0f, -0.0f, 1e-30f, -1e-30f, 88.5f, 89.0f, -110.0f, kInf, -kInf});
  for (const UnaryCase& c : unary_cases()) {
    const Constant got = OneNode(c.op).input(x).run1();
    for (size_t k = 0; k < x.f.size(); ++k) {
      const double want = c.ref(x.f[k]);
      // The float result of an exact double reference: overflow to inf, underflow to 0.
      ASSERT_TRUE(close(got.f[k], double(float(want)), std::max(c.tol, 1e-7)))
          << c.op << " x = " << x.f[k];
    }
  }
  // NaN stays NaN through every function
  for (const UnaryCase& c : unary_cases()) {
    EXPECT_TRUE(std::isnan(OneNode(c.op).input(floats({1}, {NAN})).run1().f[0])) << c.op;
  }
}

TEST(OpsMath, ActivationAttributes) {
  const Constant x = random_floats({4, 33}, 7, -4.0f, 4.0f);
  const auto leaky = OneNode("LeakyRelu").input(x).attr("alpha", 0.2f).run1().f;
  const auto elu = OneNode("Elu").input(x).attr("alpha", 2.0f).run1().f;
  const auto selu = OneNode("Selu", 6).input(x).attr("alpha", 2.0f).attr("gamma", 3.0f).run1().f;
  for (size_t k = 0; k < x.f.size(); ++k) {
    const double v = x.f[k];
    EXPECT_TRUE(close(leaky[k], v < 0 ? double(0.2f) * v : v, 1e-7));
    EXPECT_TRUE(close(elu[k], v < 0 ? 2.0 * (std::exp(v) - 1) : v, 3e-7));
    EXPECT_TRUE(close(selu[k], v > 0 ? 3.0 * v : 3.0 * 2.0 * (std::exp(v) - 1), 3e-7));
  }
  // opset 1's consumed_inputs is accepted
  EXPECT_EQ(
      OneNode("LeakyRelu", 1).input(x).attr("consumed_inputs", std::vector<int64_t>{0}).run1().f,
      OneNode("LeakyRelu").input(x).run1().f);
}

TEST(OpsMath, NegAndAbsOnInt64) {
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const Constant x = ints({5}, {-3, 0, 7, lo, lo + 1});
  EXPECT_EQ(OneNode("Neg").input(x).run1().i, (std::vector<int64_t>{3, 0, -7, lo, -(lo + 1)}));
  EXPECT_EQ(OneNode("Abs").input(x).run1().i, (std::vector<int64_t>{3, 0, 7, lo, -(lo + 1)}));
  EXPECT_EQ(OneNode("Neg").input(x).fold().at(0).i, OneNode("Neg").input(x).run1().i);
  EXPECT_EQ(OneNode("Abs").input(x).run1().type, DataType::i64);
}

TEST(OpsMath, LargeTensorsSameResultAnyThreads) {
  const Constant x = random_floats({3, 50, 1000}, 9, -3.0f, 3.0f);  // above kParallelMin
  for (const UnaryCase& c : unary_cases()) {
    const Constant in = c.lo >= 0 ? random_floats(x.shape, 10, c.lo, c.hi) : x;
    const Constant one = OneNode(c.op).input(in).run1(1);
    EXPECT_EQ(OneNode(c.op).input(in).run1(2).f, one.f) << c.op;
    for (size_t k = 0; k < in.f.size(); k += 997)
      ASSERT_TRUE(close(one.f[k], c.ref(in.f[k]), c.tol)) << c.op;
  }
  const Constant slope = random_floats({50, 1}, 11);
  EXPECT_EQ(OneNode("PRelu").input(x).input(slope).run1(1).f,
            OneNode("PRelu").input(x).input(slope).run1(2).f);
  const Constant p = random_floats({1000}, 12, 0.0f, 3.0f), base = random_floats(x.shape, 13, 0, 2);
  EXPECT_EQ(OneNode("Pow").input(base).input(p).run1(1).f,
            OneNode("Pow").input(base).input(p).run1(2).f);
}

// ---- PRelu -------------------------------------------------------------------------------------

// y = x < 0 ? slope * x : x, slope read through `slope_shape` (numpy-aligned to X).
std::vector<float> prelu_reference(const Constant& x, const Constant& slope,
                                   const Shape& slope_shape) {
  std::vector<float> y(x.f.size());
  for (int64_t k = 0; k < x.numel(); ++k) {
    const float s = slope.f[source_index(slope_shape, unravel(k, x.shape), x.shape)];
    y[k] = x.f[k] < 0 ? s * x.f[k] : x.f[k];
  }
  return y;
}

TEST(OpsMath, PreluSlopeForms) {
  const Constant x = random_floats({2, 4, 3, 5}, 21);
  struct Case {
    int64_t opset;
    Shape slope;
    Shape read_as;  // the slope's shape numpy-aligned to X
  };
  const std::vector<Case> cases = {
      {16, {4, 1, 1}, {4, 1, 1}},  // torch.onnx
      {16, {1}, {1}},              // shared
      {16, {}, {}},                // scalar
      {16, {5}, {5}},              // numpy: the last dim
      {16, {2, 4, 3, 5}, {2, 4, 3, 5}},
      {16, {3, 1}, {3, 1}},
      {9, {4}, {4, 1, 1}},  // legacy per-channel [C], not numpy-broadcastable
      {6, {4}, {4, 1, 1}},
      {6, {4, 1}, {4, 1, 1}},  // [C, 1] of lower rank
      {6, {1}, {1}},
      {6, {2, 4, 3, 5}, {2, 4, 3, 5}},
  };
  uint32_t seed = 30;
  for (const Case& c : cases) {
    const Constant slope = random_floats(c.slope, seed++, 0.0f, 0.5f);
    const std::vector<float> want = prelu_reference(x, slope, c.read_as);
    const std::string what =
        "opset " + std::to_string(c.opset) + " slope " + graph::shape_string(c.slope);
    EXPECT_EQ(OneNode("PRelu", c.opset).input(x).constant(slope).run1().f, want) << what;
    EXPECT_EQ(OneNode("PRelu", c.opset).input(x).input(slope).run1().f, want) << what;
    EXPECT_EQ(OneNode("PRelu", c.opset).input(x).input(slope).fold().at(0).f, want) << what;
  }
  // X's last dim equal to C: opset 6 reads [C] per channel, opset 16 numpy-aligned to the last dim
  const Constant square = random_floats({1, 3, 2, 3}, 40), s3 = random_floats({3}, 41, 0.0f, 1.0f);
  EXPECT_EQ(OneNode("PRelu", 6).input(square).input(s3).run1().f,
            prelu_reference(square, s3, {3, 1, 1}));
  EXPECT_EQ(OneNode("PRelu", 16).input(square).input(s3).run1().f,
            prelu_reference(square, s3, {3}));
  // empty X
  EXPECT_EQ(
      OneNode("PRelu").input(random_floats({0, 4}, 1)).input(random_floats({4}, 2)).run1().shape,
      (Shape{0, 4}));
  const std::string e =
      error_of([&] { OneNode("PRelu").input(x).input(random_floats({3}, 1)).shapes(); });
  EXPECT_NE(e.find("node 'n0' (PRelu)"), std::string::npos) << e;
  EXPECT_NE(e.find("slope of shape [3] neither broadcasts to X of shape [2, 4, 3, 5]"),
            std::string::npos)
      << e;
  // the slope must not broadcast X (one way only)
  EXPECT_NE(
      error_of([&] {
        OneNode("PRelu").input(random_floats({4, 1}, 1)).input(random_floats({4, 6}, 2)).shapes();
      }).find("neither broadcasts"),
      std::string::npos);
}

// ---- Pow ---------------------------------------------------------------------------------------

struct BroadcastCase {
  Shape a, b, out;
};

const std::vector<BroadcastCase> kBroadcastCases = {
    {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}},
    {{2, 3, 4}, {}, {2, 3, 4}},
    {{}, {2, 3}, {2, 3}},
    {{4, 1}, {1, 5}, {4, 5}},
    {{1, 6, 1, 1}, {3, 6, 2, 2}, {3, 6, 2, 2}},
    {{3, 1, 5}, {4, 1}, {3, 4, 5}},
    {{1, 1, 1}, {2, 3}, {1, 2, 3}},
    {{0, 3}, {1, 3}, {0, 3}},
    {{3, 1}, {3, 0}, {3, 0}},
    {{1}, {7}, {7}},
    {{}, {}, {}},
};

TEST(OpsMath, PowFloatMatchesReference) {
  uint32_t seed = 50;
  for (const BroadcastCase& c : kBroadcastCases) {
    const Constant x = random_floats(c.a, seed++, 0.0f, 3.0f),
                   y = random_floats(c.b, seed++, -2.0f, 3.0f);
    OneNode n("Pow");
    n.input(x).input(y);
    ASSERT_EQ(n.shapes().at(0), c.out);
    const Constant got = n.run1();
    for (int64_t k = 0; k < graph::numel(c.out); ++k) {
      const auto idx = unravel(k, c.out);
      const float xv = x.f[source_index(c.a, idx, c.out)], yv = y.f[source_index(c.b, idx, c.out)];
      ASSERT_EQ(got.f[k], std::pow(xv, yv))
          << graph::shape_string(c.a) << " " << graph::shape_string(c.b);
    }
    EXPECT_EQ(OneNode("Pow").input(x).constant(y).run1().f, got.f);
    EXPECT_EQ(OneNode("Pow").input(x).input(y).fold().at(0).f, got.f);
  }
  // a constant exponent 2 (x * x), negative bases, the legacy broadcast attribute
  const Constant x = random_floats({3, 4}, 60, -3.0f, 3.0f);
  const auto sq = OneNode("Pow").input(x).constant(floats({}, {2.0f})).run1().f;
  for (size_t k = 0; k < sq.size(); ++k) EXPECT_EQ(sq[k], x.f[k] * x.f[k]);
  EXPECT_TRUE(std::isnan(
      OneNode("Pow").input(floats({1}, {-2.0f})).input(floats({1}, {0.5f})).run1().f[0]));
  const Constant b4 = random_floats({4}, 61, 0.0f, 2.0f);
  const auto legacy = OneNode("Pow", 1)
                          .input(random_floats({3, 4}, 62, 0, 2))
                          .input(b4)
                          .attr("broadcast", 1)
                          .run1();
  EXPECT_EQ(legacy.shape, (Shape{3, 4}));
}

TEST(OpsMath, PowMixedAndIntegerTypes) {
  // float ^ int64: float result
  const Constant fx = floats({4}, {2.0f, -1.5f, 0.5f, 3.0f}), ie = ints({4}, {3, 2, -2, 0});
  const Constant f_i = OneNode("Pow").input(fx).constant(ie).run1();
  EXPECT_EQ(f_i.type, DataType::f32);
  EXPECT_EQ(f_i.f, (std::vector<float>{8.0f, 2.25f, 4.0f, 1.0f}));
  // int64 ^ float: truncated
  const Constant ix = ints({4}, {2, 3, -8, 10}), fe = floats({4}, {0.5f, 2.0f, 1.0f / 3, -1.0f});
  const Constant i_f = OneNode("Pow").input(ix).input(fe).run1();
  EXPECT_EQ(i_f.type, DataType::i64);
  EXPECT_EQ(i_f.i, (std::vector<int64_t>{1, 9, std::numeric_limits<int64_t>::min(), 0}));
  // int64 ^ int64: exact, wrapping, negative exponents
  const Constant a = ints({7}, {3, -2, 1, -1, 0, 5, 2}), e = ints({7}, {4, 3, -5, -3, 0, -1, 64});
  EXPECT_EQ(OneNode("Pow").input(a).input(e).run1().i,
            (std::vector<int64_t>{81, -8, 1, -1, 1, 0, 0}));  // 2^64 wraps to 0
  EXPECT_EQ(OneNode("Pow").input(ints({1}, {3})).input(ints({1}, {40})).fold().at(0).i,
            (std::vector<int64_t>{int64_t(12157665459056928801ull)}));  // 3^40 mod 2^64
  // random int powers against repeated multiplication
  const Constant base = random_ints({2, 5}, 70, -9, 9), ex = random_ints({5}, 71, 0, 12);
  const Constant got = OneNode("Pow").input(base).input(ex).run1();
  for (int64_t k = 0; k < 10; ++k) {
    int64_t want = 1;
    for (int64_t j = 0; j < ex.i[k % 5]; ++j) want *= base.i[k];
    EXPECT_EQ(got.i[k], want);
  }
  // before opset 12 the types must match
  EXPECT_NE(
      error_of([&] { OneNode("Pow", 11).input(fx).constant(ie).shapes(); }).find("different types"),
      std::string::npos);
}

// ---- Add Sub Mul Div on int64 at run time; Cast ------------------------------------------------

TEST(OpsMath, Int64ArithmeticAtRunTime) {
  uint32_t seed = 80;
  for (const BroadcastCase& c : kBroadcastCases) {
    const Constant a = random_ints(c.a, seed++, -50, 50), b = random_ints(c.b, seed++, 1, 9);
    for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
      const Constant got = OneNode(op).input(a).input(b).run1();
      ASSERT_EQ(got.shape, c.out);
      ASSERT_EQ(got.type, DataType::i64);
      for (int64_t k = 0; k < graph::numel(c.out); ++k) {
        const auto idx = unravel(k, c.out);
        const int64_t x = a.i[source_index(c.a, idx, c.out)],
                      y = b.i[source_index(c.b, idx, c.out)];
        const std::string o = op;
        const int64_t want = o == "Add" ? x + y : o == "Sub" ? x - y : o == "Mul" ? x * y : x / y;
        ASSERT_EQ(got.i[k], want) << op;
      }
    }
  }
  const Constant big = random_ints({300000}, 90, -1000, 1000), two = ints({}, {3});
  EXPECT_EQ(OneNode("Div").input(big).input(two).run1(1).i,
            OneNode("Div").input(big).input(two).run1(2).i);
  const std::string e = error_of([&] { OneNode("Div").input(big).input(ints({1}, {0})).run1(); });
  EXPECT_NE(e.find("node 'n0' (Div): int64 division by zero"), std::string::npos) << e;
}

// Cast at run time; FLOAT16 against hand-checked values and, where the compiler has _Float16, its
// own conversion (round to nearest even) on values across every binade a half covers.
TEST(OpsMath, CastForms) {
  const Constant x = floats({6}, {1.9f, -1.9f, 0.0f, -0.0f, 3.0f, NAN});
  // run-time float32 -> int64 and back, BOOL (NaN is true), DOUBLE (float32 kept)
  EXPECT_EQ(OneNode("Cast").input(floats({4}, {1.9f, -1.9f, 0.0f, 3.0f})).attr("to", 7).run1().i,
            (std::vector<int64_t>{1, -1, 0, 3}));
  EXPECT_EQ(OneNode("Cast").input(ints({3}, {-3, 0, 1LL << 40})).attr("to", 1).run1().f,
            (std::vector<float>{-3.0f, 0.0f, 1099511627776.0f}));
  EXPECT_EQ(OneNode("Cast").input(x).attr("to", 9).run1().i,
            (std::vector<int64_t>{1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(OneNode("Cast").input(ints({3}, {-2, 0, 5})).attr("to", 9).run1().i,
            (std::vector<int64_t>{1, 0, 1}));
  const Constant d = OneNode("Cast").input(x).attr("to", 11).run1();
  EXPECT_EQ(d.type, DataType::f32);
  for (size_t k = 0; k < 5; ++k) EXPECT_EQ(d.f[k], x.f[k]);
  EXPECT_EQ(OneNode("Cast", 1).input(x).attr("to", "BOOL").run1().i,
            (std::vector<int64_t>{1, 1, 0, 0, 1, 1}));
  const std::string e = error_of([&] { OneNode("Cast").input(x).attr("to", 7).run1(); });
  EXPECT_NE(e.find("node 'n0' (Cast): cannot cast nan to INT64"), std::string::npos) << e;

  // FLOAT16: hand-checked values (ties to even, subnormals, overflow)
  const Constant h =
      floats({12}, {1.0f, 1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, 65504.0f, 65519.0f, 65520.0f,
                    -1e6f, 1e-8f, 2.98023224e-08f, 5.96046448e-08f, 0.1f, NAN});
  const Constant hr = OneNode("Cast").input(h).attr("to", 10).run1();
  const std::vector<float> want = {
      1.0f, 1.0f, 1.0f + 4.0f / 2048, 65504.0f,        65504.0f, kInf, -kInf,
      0.0f, 0.0f, 5.96046448e-08f,    0.0999755859375f};
  for (size_t k = 0; k < want.size(); ++k) EXPECT_EQ(hr.f[k], want[k]) << "x = " << h.f[k];
  EXPECT_TRUE(std::isnan(hr.f[11]));
  EXPECT_EQ(OneNode("Cast", 1).input(h).attr("to", "FLOAT16").fold().at(0).f[10], 0.0999755859375f);
#if defined(__aarch64__) || defined(__arm__)
  using Half = __fp16;  // ARM's half type (GCC 12 has no _Float16 in C++ there)
#elif defined(__FLT16_MAX__)
  using Half = _Float16;
#endif
#if defined(__aarch64__) || defined(__arm__) || defined(__FLT16_MAX__)
  std::mt19937 rng(5);
  std::vector<float> v;
  for (int k = 0; k < 20000; ++k) {  // every binade a half covers, and beyond
    v.push_back(std::ldexp(std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng),
                           std::uniform_int_distribution<int>(-27, 17)(rng)));
  }
  const Constant many = floats({int64_t(v.size())}, v);
  const Constant got = OneNode("Cast").input(many).attr("to", 10).run1(2);
  for (size_t k = 0; k < v.size(); ++k)
    ASSERT_EQ(got.f[k], float(static_cast<Half>(v[k]))) << "x = " << v[k];
#endif
}

// ---- errors ------------------------------------------------------------------------------------

void expect_error(const std::string& message, const std::string& node, const std::string& what) {
  EXPECT_NE(message.find("node 'n0' (" + node + ")"), std::string::npos) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

TEST(OpsMath, BadNodesFailNamingTheNode) {
  const Constant x = random_floats({2, 3}, 1);
  expect_error(error_of([&] { OneNode("Sqrt").input(x).input(x).shapes(); }), "Sqrt",
               "has 2 inputs, expected 1");
  expect_error(error_of([&] {
                 OneNode("Exp").input(ints({2}, {1, 2})).shapes();
               }),
               "Exp", "is int64, expected float32");
  expect_error(error_of([&] { OneNode("LeakyRelu").input(x).attr("beta", 0.1f).shapes(); }),
               "LeakyRelu",
               "attribute 'beta' is not supported (onexn reads: alpha, consumed_inputs)");
  expect_error(error_of([&] { OneNode("Elu").input(x).attr("gamma", 0.1f).shapes(); }), "Elu",
               "attribute 'gamma' is not supported");
  expect_error(error_of([&] { OneNode("Tanh").input(x).outputs(2).shapes(); }), "Tanh",
               "has 2 outputs, expected 1");
  expect_error(error_of([&] { OneNode("Pow").input(x).shapes(); }), "Pow",
               "has 1 inputs, expected 2");
  expect_error(error_of([&] { OneNode("Pow").input(x).input(random_floats({4}, 2)).shapes(); }),
               "Pow", "input shapes [2, 3] and [4] are not broadcastable");
  expect_error(error_of([&] { OneNode("Pow", 6).input(x).input(random_floats({3}, 2)).shapes(); }),
               "Pow",
               "not broadcastable");  // no implicit broadcasting before opset 7
  expect_error(error_of([&] { OneNode("PRelu").input(x).input(ints({1}, {1})).shapes(); }), "PRelu",
               "input 1 (slope) 'in1' is int64, expected float32");
  expect_error(error_of([&] {
                 OneNode("Add").input(x).input(ints({3}, {1, 2, 3})).shapes();
               }),
               "Add", "different types");
  expect_error(error_of([&] { OneNode("Cast").input(x).shapes(); }), "Cast",
               "attribute 'to' is missing");
  expect_error(error_of([&] { OneNode("Cast").input(x).attr("to", 3).shapes(); }), "Cast",
               "attribute 'to' = 3 (INT8): onexn casts to FLOAT (1), INT64 (7), BOOL (9)");
}

}  // namespace
}  // namespace onexn::test
