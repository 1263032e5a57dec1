// Comparisons, logic, Where and the n-ary Min / Max / Sum / Mean (logic_ops.cpp) against index-by-
// index references over random broadcast shapes (size-1 dims, missing leading dims, scalars,
// empty tensors): float32 and int64 operands, bools as int64 0/1, run-time and folded, 1 and 2
// threads; then the errors infer must report.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>

#include "ops_harness.hpp"

namespace onexn::test {
namespace {

// Shapes of `count` inputs that broadcast together to `out`: each input drops some leading dims
// of out and has some of the others set to 1; a tenth of the dims are 0 (empty tensors).
struct Shapes {
  std::vector<Shape> ins;
  Shape out;
};

Shapes random_shapes(std::mt19937& rng, int count) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Shape full;
  for (int d = 0, r = pick(0, 4); d < r; ++d) full.push_back(pick(0, 9) == 0 ? 0 : pick(2, 4));
  Shapes s;
  s.out.assign(full.size(), 1);
  for (int k = 0; k < count; ++k) {
    const size_t drop = pick(0, 3) == 0 ? size_t(pick(0, int(full.size()))) : 0;
    Shape in(full.begin() + drop, full.end());
    for (int64_t& d : in)
      if (pick(0, 2) == 0) d = 1;
    for (size_t d = 0; d < in.size(); ++d) {
      int64_t& o = s.out[d + drop];
      if (in[d] != 1) o = in[d];
    }
    s.ins.push_back(in);
  }
  size_t rank = 0;  // the output has the largest input's rank
  for (const Shape& in : s.ins) rank = std::max(rank, in.size());
  s.out.erase(s.out.begin(), s.out.end() - rank);
  return s;
}

// Values from a small set, so that comparisons see ties: integers -2..2 (as floats for f32).
Constant small_values(const Shape& shape, DataType type, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dist(-2, 2);
  std::vector<int64_t> v(graph::numel(shape));
  for (auto& x : v) x = dist(rng);
  if (type == DataType::i64) return Constant::ints(shape, v);
  return Constant::floats(shape, std::vector<float>(v.begin(), v.end()));
}

int64_t source_index(const Shape& in, const std::vector<int64_t>& idx, const Shape& out) {
  std::vector<int64_t> ti(in.size());
  for (size_t d = 0; d < in.size(); ++d) ti[d] = in[d] == 1 ? 0 : idx[d + out.size() - in.size()];
  return ravel(ti, in);
}

double element(const Constant& c, int64_t k) {
  return c.type == DataType::f32 ? c.f[k] : double(c.i[k]);
}

// out[k] = f(each input's element k reads), as double.
std::vector<double> broadcast_reference(
    const std::vector<Constant>& ins, const Shape& out,
    const std::function<double(const std::vector<double>&)>& f) {
  std::vector<double> r(graph::numel(out));
  for (int64_t k = 0; k < graph::numel(out); ++k) {
    const auto idx = unravel(k, out);
    std::vector<double> v;
    for (const Constant& c : ins) v.push_back(element(c, source_index(c.shape, idx, out)));
    r[k] = f(v);
  }
  return r;
}

std::vector<double> as_doubles(const Constant& c) {
  std::vector<double> r;
  for (int64_t k = 0; k < c.numel(); ++k) r.push_back(element(c, k));
  return r;
}

// Runs `op` on the inputs run-time, one input constant, folded and on 2 threads; expects `want`
// and an output of `type` and shape `out` each time.
void expect_all_paths(const std::string& op, int64_t opset, const std::vector<Constant>& ins,
                      const Shape& out, DataType type, const std::vector<double>& want,
                      const std::string& what) {
  for (int path = 0; path < 4; ++path) {
    OneNode n(op, opset);
    for (size_t k = 0; k < ins.size(); ++k) {
      if (path == 1 && k + 1 == ins.size()) {
        n.constant(ins[k]);
      } else {
        n.input(ins[k]);
      }
    }
    const Constant got = path == 2 ? n.fold().at(0) : n.run1(path == 3 ? 2 : 1);
    ASSERT_EQ(got.shape, out) << what << " path " << path;
    ASSERT_EQ(got.type, type) << what << " path " << path;
    const std::vector<double> g = as_doubles(got);
    for (size_t k = 0; k < want.size(); ++k) {
      if (std::isnan(want[k]) && std::isnan(g[k])) continue;
      ASSERT_EQ(g[k], want[k]) << what << " path " << path << " element " << k;
    }
  }
}

std::string describe(const std::string& op, const std::vector<Constant>& ins) {
  std::string s = op;
  for (const Constant& c : ins) s += " " + graph::shape_string(c.shape) + graph::to_string(c.type);
  return s;
}

TEST(OpsLogic, ComparisonsMatchReference) {
  const std::map<std::string, std::function<bool(double, double)>> ops = {
      {"Equal", [](double a, double b) { return a == b; }},
      {"Greater", [](double a, double b) { return a > b; }},
      {"Less", [](double a, double b) { return a < b; }},
      {"GreaterOrEqual", [](double a, double b) { return a >= b; }},
      {"LessOrEqual", [](double a, double b) { return a <= b; }},
  };
  std::mt19937 rng(1);
  uint32_t seed = 10;
  for (int trial = 0; trial < 40; ++trial) {
    const Shapes s = random_shapes(rng, 2);
    for (DataType type : {DataType::f32, DataType::i64}) {
      const std::vector<Constant> ins = {small_values(s.ins[0], type, seed++),
                                         small_values(s.ins[1], type, seed++)};
      for (const auto& [op, f] : ops) {
        const auto want = broadcast_reference(
            ins, s.out, [&](const std::vector<double>& v) { return f(v[0], v[1]) ? 1.0 : 0.0; });
        expect_all_paths(op, 16, ins, s.out, DataType::i64, want, describe(op, ins));
      }
    }
  }
  // NaN compares false (Equal too)
  const Constant nan = floats({2}, {NAN, 1.0f});
  EXPECT_EQ(OneNode("Equal").input(nan).input(nan).run1().i, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(OneNode("LessOrEqual").input(nan).input(nan).run1().i, (std::vector<int64_t>{0, 1}));
  // opset 1's legacy form: B aligned at 'axis' of A
  const Constant a = small_values({2, 3, 4}, DataType::f32, 1),
                 b = small_values({3}, DataType::f32, 2);
  const Constant got =
      OneNode("Greater", 1).input(a).input(b).attr("broadcast", 1).attr("axis", 1).run1();
  for (int64_t k = 0; k < 24; ++k) EXPECT_EQ(got.i[k], a.f[k] > b.f[(k / 4) % 3] ? 1 : 0);
}

TEST(OpsLogic, LogicMatchesReference) {
  const std::map<std::string, std::function<bool(bool, bool)>> ops = {
      {"And", [](bool a, bool b) { return a && b; }},
      {"Or", [](bool a, bool b) { return a || b; }},
      {"Xor", [](bool a, bool b) { return a != b; }},
  };
  std::mt19937 rng(2);
  uint32_t seed = 20;
  for (int trial = 0; trial < 40; ++trial) {
    const Shapes s = random_shapes(rng, 2);
    // bools as int64 0/1; float32 and mixed operands read as non-zero = true
    const DataType ta = trial % 3 == 2 ? DataType::f32 : DataType::i64;
    const DataType tb = trial % 3 == 0 ? DataType::i64 : DataType::f32;
    std::vector<Constant> ins = {small_values(s.ins[0], ta, seed++),
                                 small_values(s.ins[1], tb, seed++)};
    if (trial % 2 == 0) {
      for (Constant& c : ins)
        for (auto& x : c.i) x = x > 0;
    }
    for (const auto& [op, f] : ops) {
      const auto want = broadcast_reference(ins, s.out, [&](const std::vector<double>& v) {
        return f(v[0] != 0, v[1] != 0) ? 1.0 : 0.0;
      });
      expect_all_paths(op, 7, ins, s.out, DataType::i64, want, describe(op, ins));
    }
    const auto want_not = broadcast_reference(
        {ins[0]}, ins[0].shape, [](const std::vector<double>& v) { return v[0] == 0 ? 1.0 : 0.0; });
    expect_all_paths("Not", 1, {ins[0]}, ins[0].shape, DataType::i64, want_not,
                     describe("Not", {ins[0]}));
  }
  EXPECT_EQ(OneNode("Not").input(floats({3}, {NAN, 0.0f, -0.0f})).run1().i,
            (std::vector<int64_t>{0, 1, 1}));
}

TEST(OpsLogic, WhereMatchesReference) {
  std::mt19937 rng(3);
  uint32_t seed = 30;
  for (int trial = 0; trial < 60; ++trial) {
    const Shapes s = random_shapes(rng, 3);
    const DataType tc = trial % 4 == 3 ? DataType::f32 : DataType::i64;  // f32 0/1 conditions too
    const DataType tx = trial % 2 ? DataType::f32 : DataType::i64;
    Constant cond = small_values(s.ins[0], tc, seed++);
    for (auto& x : cond.i) x = x > 0;
    for (auto& x : cond.f) x = x > 0 ? 1.0f : 0.0f;
    const std::vector<Constant> ins = {cond, small_values(s.ins[1], tx, seed++),
                                       small_values(s.ins[2], tx, seed++)};
    const auto want = broadcast_reference(
        ins, s.out, [](const std::vector<double>& v) { return v[0] != 0 ? v[1] : v[2]; });
    expect_all_paths("Where", 16, ins, s.out, tx, want, describe("Where", ins));
  }
}

TEST(OpsLogic, NaryMatchesReference) {
  auto fold = [](const std::string& op, const std::vector<double>& v) {
    double r = v[0];
    for (size_t k = 1; k < v.size(); ++k) {
      if (op == "Min") r = std::isnan(r) || std::isnan(v[k]) ? NAN : std::min(r, v[k]);
      if (op == "Max") r = std::isnan(r) || std::isnan(v[k]) ? NAN : std::max(r, v[k]);
      if (op == "Sum" || op == "Mean") r = float(r + v[k]);  // float32 sums, left to right
    }
    return op == "Mean" ? double(float(r / double(v.size()))) : r;
  };
  std::mt19937 rng(4);
  uint32_t seed = 40;
  for (int trial = 0; trial < 60; ++trial) {
    const int count = 1 + trial % 4;
    const Shapes s = random_shapes(rng, count);
    for (const std::string op : {"Min", "Max", "Sum", "Mean"}) {
      const DataType type = op != "Mean" && trial % 3 == 0 ? DataType::i64 : DataType::f32;
      std::vector<Constant> ins;
      for (int k = 0; k < count; ++k) {
        ins.push_back(type == DataType::i64 ? small_values(s.ins[k], type, seed++)
                                            : random_floats(s.ins[k], seed++, -2.0f, 2.0f));
      }
      if (type == DataType::f32 && op != "Sum" && ins[0].numel() > 0) ins[0].f[0] = NAN;
      const auto want = broadcast_reference(
          ins, s.out, [&](const std::vector<double>& v) { return fold(op, v); });
      expect_all_paths(op, 13, ins, s.out, type, want, describe(op, ins));
    }
  }
  // opset 6: no broadcasting, equal shapes run
  const Constant a = random_floats({2, 3}, 1), b = random_floats({2, 3}, 2);
  const Constant got = OneNode("Max", 6).input(a).input(b).run1();
  for (int k = 0; k < 6; ++k) EXPECT_EQ(got.f[k], std::max(a.f[k], b.f[k]));
  // int64 Sum wraps around
  const int64_t big = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(OneNode("Sum").input(ints({1}, {big})).input(ints({1}, {2})).run1().i,
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min() + 1}));
}

TEST(OpsLogic, LargeTensorsSameResultAnyThreads) {
  const Constant a = small_values({4, 64, 300}, DataType::f32, 1),
                 b = small_values({64, 1}, DataType::f32, 2);
  const Constant c = small_values({4, 1, 300}, DataType::i64, 3),
                 one_row = small_values({200000}, DataType::f32, 4);
  for (const char* op : {"Greater", "Equal", "And", "Min", "Sum", "Mean"}) {
    EXPECT_EQ(OneNode(op).input(a).input(b).run1(1).i, OneNode(op).input(a).input(b).run1(2).i)
        << op;
    EXPECT_EQ(OneNode(op).input(a).input(b).run1(1).f, OneNode(op).input(a).input(b).run1(2).f)
        << op;
  }
  EXPECT_EQ(OneNode("Where").input(c).input(a).input(b).run1(1).f,
            OneNode("Where").input(c).input(a).input(b).run1(2).f);
  EXPECT_EQ(OneNode("Max").input(one_row).input(one_row).input(floats({}, {0.5f})).run1(2).f,
            OneNode("Max").input(one_row).input(one_row).input(floats({}, {0.5f})).run1(1).f);
  EXPECT_EQ(OneNode("Not").input(one_row).run1(2).i, OneNode("Not").input(one_row).run1(1).i);
}

void expect_error(const std::string& message, const std::string& node, const std::string& what) {
  EXPECT_NE(message.find("node 'n0' (" + node + ")"), std::string::npos) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

TEST(OpsLogic, BadNodesFailNamingTheNode) {
  const Constant x = random_floats({2, 3}, 1), y = random_floats({4}, 2), i = ints({3}, {1, 0, 1});
  expect_error(error_of([&] { OneNode("Equal").input(x).input(y).shapes(); }), "Equal",
               "input shapes [2, 3] and [4] are not broadcastable");
  expect_error(error_of([&] { OneNode("Greater").input(x).input(i).shapes(); }), "Greater",
               "different types");
  expect_error(error_of([&] { OneNode("Less").input(x).shapes(); }), "Less",
               "has 1 inputs, expected 2");
  expect_error(error_of([&] { OneNode("Equal").input(x).input(x).attr("foo", 1).shapes(); }),
               "Equal", "attribute 'foo' is not supported");
  expect_error(
      error_of([&] { OneNode("Greater", 1).input(x).input(x).attr("broadcast", 2).shapes(); }),
      "Greater", "attribute 'broadcast' = 2 is not 0 or 1");
  expect_error(error_of([&] { OneNode("Not").input(i).input(i).shapes(); }), "Not",
               "has 2 inputs, expected 1");
  expect_error(error_of([&] {
                 OneNode("And").input(i).input(ints({2}, {1, 1})).shapes();
               }),
               "And", "input shapes [3] and [2] are not broadcastable");
  expect_error(error_of([&] { OneNode("Xor", 6).input(x).input(random_floats({3}, 3)).shapes(); }),
               "Xor",
               "not broadcastable");  // opset 6: equal shapes without broadcast = 1
  expect_error(error_of([&] { OneNode("Where").input(i).input(x).shapes(); }), "Where",
               "has 2 inputs, expected 3");
  expect_error(error_of([&] { OneNode("Where").input(i).input(x).input(i).shapes(); }), "Where",
               "different types");
  expect_error(error_of([&] {
                 OneNode("Where").input(ints({4}, {1, 0, 1, 1})).input(x).input(x).shapes();
               }),
               "Where", "input shapes [4] [2, 3] [2, 3] are not broadcastable");
  expect_error(error_of([&] { OneNode("Sum").shapes(); }), "Sum", "has 0 inputs");
  expect_error(error_of([&] { OneNode("Max").input(x).input(y).shapes(); }), "Max",
               "are not broadcastable");
  expect_error(error_of([&] { OneNode("Min", 6).input(x).input(random_floats({3}, 3)).shapes(); }),
               "Min", "input shapes [2, 3] [3] differ (opset 6 has no broadcasting");
  expect_error(error_of([&] { OneNode("Mean").input(i).input(i).shapes(); }), "Mean",
               "is int64, expected float32");
  expect_error(error_of([&] { OneNode("Sum").input(x).input(i).shapes(); }), "Sum",
               "different types");
  expect_error(error_of([&] { OneNode("Mean").input(x).attr("axis", 1).shapes(); }), "Mean",
               "attribute 'axis' is not supported");
}

}  // namespace
}  // namespace onexn::test
