// The reductions (ReduceSum, Mean, Max, Min, Prod, L1, L2, SumSquare, LogSum, LogSumExp) and
// ArgMax / ArgMin against a plain reference that visits every input element for every output,
// on random shapes and axis sets (attribute and input forms, keepdims, noop_with_empty_axes,
// negative axes, empty inputs), float32 and int64, 1 vs 2 threads; malformed nodes fail naming
// the node.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>

#include "ops_harness.hpp"

namespace onexn::test {
namespace {

using V = std::vector<int64_t>;

struct RefOp {
  const char* name;
  bool ints;  // runs on int64 too
  double init;
  std::function<double(double, double)> add;
  std::function<double(double, int64_t)> finish;
};

const std::vector<RefOp>& ref_ops() {
  static const std::vector<RefOp> ops = {
      {"ReduceSum", true, 0, [](double a, double x) { return a + x; },
       [](double a, int64_t) { return a; }},
      {"ReduceMean", false, 0, [](double a, double x) { return a + x; },
       [](double a, int64_t n) { return a / double(n); }},
      {"ReduceMax", true, -INFINITY, [](double a, double x) { return std::max(a, x); },
       [](double a, int64_t) { return a; }},
      {"ReduceMin", true, INFINITY, [](double a, double x) { return std::min(a, x); },
       [](double a, int64_t) { return a; }},
      {"ReduceProd", true, 1, [](double a, double x) { return a * x; },
       [](double a, int64_t) { return a; }},
      {"ReduceL1", true, 0, [](double a, double x) { return a + std::abs(x); },
       [](double a, int64_t) { return a; }},
      {"ReduceL2", false, 0, [](double a, double x) { return a + x * x; },
       [](double a, int64_t) { return std::sqrt(a); }},
      {"ReduceSumSquare", true, 0, [](double a, double x) { return a + x * x; },
       [](double a, int64_t) { return a; }},
      {"ReduceLogSum", false, 0, [](double a, double x) { return a + x; },
       [](double a, int64_t) { return std::log(a); }},
      {"ReduceLogSumExp", false, 0, [](double a, double x) { return a + std::exp(x); },
       [](double a, int64_t) { return std::log(a); }},
  };
  return ops;
}

// Output values (as doubles) of reducing `x` (shape `s`) over `reduced` dims.
std::vector<double> ref_reduce(const RefOp& op, const std::vector<double>& x, const Shape& s,
                               const std::vector<bool>& reduced, Shape& out_keep) {
  out_keep = s;
  for (size_t d = 0; d < s.size(); ++d)
    if (reduced[d]) out_keep[d] = 1;
  const int64_t n_out = graph::numel(out_keep);
  std::vector<double> acc(n_out, op.init);
  std::vector<int64_t> count(n_out, 0);
  for (int64_t k = 0; k < int64_t(x.size()); ++k) {
    V pos = unravel(k, s);
    for (size_t d = 0; d < s.size(); ++d)
      if (reduced[d]) pos[d] = 0;
    const int64_t o = ravel(pos, out_keep);
    acc[o] = op.add(acc[o], x[k]);
    ++count[o];
  }
  for (int64_t o = 0; o < n_out; ++o) acc[o] = op.finish(acc[o], count[o]);
  return acc;
}

// Equal element for element, NaN included.
bool same_bits(const Constant& a, const Constant& b) {
  return a.type == b.type && a.shape == b.shape && a.i == b.i && a.f.size() == b.f.size() &&
         (a.f.empty() || std::memcmp(a.f.data(), b.f.data(), a.f.size() * sizeof(float)) == 0);
}

TEST(OpsReduce, RandomAxesMatchReference) {
  std::mt19937 rng(21);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int ran = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    const RefOp& op = ref_ops()[trial % ref_ops().size()];
    const int rank = pick(0, 4);
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(pick(0, 9) == 0 ? 0 : pick(1, 5));
    V axes;
    std::vector<bool> reduced(rank, false);
    for (int d = 0; d < rank; ++d) {
      if (pick(0, 1)) {
        axes.push_back(pick(0, 1) ? d : d - rank);
        reduced[d] = true;
      }
    }
    std::shuffle(axes.begin(), axes.end(), rng);
    const bool keepdims = pick(0, 1);
    const bool noop = axes.empty() && pick(0, 2) == 0;
    if (axes.empty() && !noop) reduced.assign(rank, true);
    // Float data (positive for LogSum), or int64 data for the integer reductions.
    const bool as_ints = op.ints && pick(0, 2) == 0 && graph::numel(s) > 0;
    const bool prod = std::string(op.name) == "ReduceProd";
    const bool positive = std::string(op.name) == "ReduceLogSum";
    const Constant xf = random_floats(s, trial, positive ? 0.1f : -2.0f, 2.0f);
    Constant xi = ints(s, V(graph::numel(s)));
    for (auto& v : xi.i) v = prod ? pick(-1, 1) : pick(-3, 3);  // products stay in range
    const Constant& x = as_ints ? xi : xf;
    std::vector<double> xd(x.numel());
    for (int64_t k = 0; k < x.numel(); ++k) xd[k] = as_ints ? double(xi.i[k]) : double(xf.f[k]);
    // Axes as the attribute or as input 1 (ReduceSum from opset 13, the others from 18).
    const bool axes_input = pick(0, 1);
    const int64_t opset = axes_input ? (op.name == std::string("ReduceSum") ? 13 : 18) : 11;
    OneNode n(op.name, opset);
    n.input(x);
    if (axes_input) {
      if (!axes.empty() || pick(0, 1)) n.constant(ints({int64_t(axes.size())}, axes));
    } else if (!axes.empty()) {
      n.attr("axes", axes);
    }
    if (!keepdims || pick(0, 1)) n.attr("keepdims", int64_t(keepdims));
    if (noop) n.attr("noop_with_empty_axes", int64_t{1});
    const std::string what =
        fmt::format("trial {}: {} {} of {} axes [{}] keepdims {}{}", trial, op.name,
                    as_ints ? "int64" : "float32", graph::shape_string(s), fmt::join(axes, ", "),
                    keepdims, noop ? " noop" : "");
    Shape want_shape;
    std::vector<double> want;
    if (noop) {
      want_shape = s;
      want = xd;
    } else {
      Shape keep;
      want = ref_reduce(op, xd, s, reduced, keep);
      for (int d = 0; d < rank; ++d)
        if (!reduced[d] || keepdims) want_shape.push_back(keep[d]);
    }
    const Constant y = n.run1(1 + trial % 2);
    ASSERT_EQ(y.shape, want_shape) << what;
    ASSERT_EQ(y.type, x.type) << what;
    for (size_t k = 0; k < want.size(); ++k) {
      if (as_ints) {
        ASSERT_EQ(double(y.i[k]), want[k]) << what << " element " << k;
      } else if (std::isnan(want[k]) || std::isinf(want[k])) {
        ASSERT_TRUE(std::isnan(y.f[k]) == std::isnan(want[k]) &&
                    (std::isnan(want[k]) || y.f[k] == want[k]))
            << what << " element " << k << ": " << y.f[k] << " vs " << want[k];
      } else {
        ASSERT_NEAR(y.f[k], want[k], 1e-5 * std::max(1.0, std::abs(want[k])))
            << what << " element " << k;
      }
    }
    EXPECT_TRUE(same_bits(n.fold().at(0), y)) << what << " (folded)";
    ++ran;
  }
  EXPECT_EQ(ran, 1500);
}

TEST(OpsReduce, LogSumExpOfLargeValuesDoesNotOverflow) {
  const Constant x = floats({2, 3}, {1000, 1000, 1000, -1000, -1001, -1002});
  const Constant y =
      OneNode("ReduceLogSumExp").input(x).attr("axes", V{1}).attr("keepdims", int64_t{0}).run1();
  ASSERT_EQ(y.shape, (Shape{2}));
  EXPECT_NEAR(y.f[0], 1000 + std::log(3.0), 1e-3);
  EXPECT_NEAR(y.f[1], -1000 + std::log(1 + std::exp(-1.0) + std::exp(-2.0)), 1e-3);
}

TEST(OpsReduce, LargeInputsSameOnAnyThreads) {
  const Constant x = random_floats({3, 64, 40, 24}, 4);
  for (const RefOp& op : ref_ops()) {
    for (const V& axes : {V{1}, V{2, 3}, V{0, 2}, V{0, 1, 2, 3}, V{3}}) {
      OneNode n(op.name);
      n.input(op.name == std::string("ReduceLogSum") ? random_floats({3, 64, 40, 24}, 4, 0.5f, 1.0f)
                                                     : x)
          .attr("axes", axes);
      const Constant one = n.run1(1);
      EXPECT_EQ(n.run1(2).f, one.f)
          << op.name << " axes " << fmt::format("{}", fmt::join(axes, ","));
    }
  }
}

// ---- ArgMax / ArgMin
// -----------------------------------------------------------------------------

TEST(OpsReduce, ArgMaxArgMinMatchReference) {
  std::mt19937 rng(8);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 600; ++trial) {
    const bool is_max = trial % 2;
    const int rank = pick(1, 4);
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(pick(1, 6));
    const int64_t axis = pick(-rank, rank - 1), a = axis < 0 ? axis + rank : axis;
    const bool keepdims = pick(0, 1), last = pick(0, 1), as_ints = pick(0, 2) == 0;
    // Few distinct values: ties are common.
    std::vector<float> vf(graph::numel(s));
    V vi(vf.size());
    for (size_t k = 0; k < vf.size(); ++k) vf[k] = float(vi[k] = pick(-2, 2));
    const Constant x = as_ints ? ints(s, vi) : floats(s, vf);
    OneNode n(is_max ? "ArgMax" : "ArgMin");
    n.input(x).attr("axis", axis).attr("keepdims", int64_t(keepdims));
    if (last || pick(0, 1)) n.attr("select_last_index", int64_t(last));
    Shape keep = s;
    keep[a] = 1;
    Shape want_shape;
    for (int d = 0; d < rank; ++d)
      if (d != a || keepdims) want_shape.push_back(keep[d]);
    V want(graph::numel(keep));
    for (int64_t o = 0; o < int64_t(want.size()); ++o) {
      V pos = unravel(o, keep);
      int64_t best = 0;
      for (int64_t r = 1; r < s[a]; ++r) {
        pos[a] = r;
        const float v = vf[ravel(pos, s)];
        pos[a] = best;
        const float b = vf[ravel(pos, s)];
        if (is_max ? (v > b || (last && v == b)) : (v < b || (last && v == b))) best = r;
      }
      want[o] = best;
    }
    const std::string what =
        fmt::format("trial {}: {} of {} axis {} keepdims {} last {}", trial,
                    is_max ? "ArgMax" : "ArgMin", graph::shape_string(s), axis, keepdims, last);
    const Constant y = n.run1(1 + trial % 2);
    ASSERT_EQ(y.type, DataType::i64) << what;
    ASSERT_EQ(y.shape, want_shape) << what;
    ASSERT_EQ(y.i, want) << what;
    ASSERT_EQ(n.fold().at(0).i, want) << what << " (folded)";
  }
}

// ---- Malformed nodes
// -----------------------------------------------------------------------------

std::string err(const OneNode& n) {
  return error_of([&] { n.shapes(); });
}

TEST(OpsReduce, BadNodesFailNamingTheNode) {
  const Constant x = random_floats({2, 3, 4}, 1);
  const std::vector<std::pair<OneNode, std::string>> cases = {
      {OneNode("ReduceMax").input(x).attr("axes", V{3}), "out of range for rank 3"},
      {OneNode("ReduceMax").input(x).attr("axes", V{1, -2}), "names axis 1 twice"},
      {OneNode("ReduceSum", 13).input(x).input(ints({1}, {1})), "must be a constant"},
      {OneNode("ReduceSum", 13).input(x).constant(ints({1}, {1})).attr("axes", V{1}),
       "both attribute 'axes' and input 1"},
      {OneNode("ReduceProd").input(x).attr("keepdims", int64_t{2}), "'keepdims' = 2"},
      {OneNode("ReduceL2").input(ints({2}, {1, 2})), "expected float32"},
      {OneNode("ReduceMean").input(x).attr("axis", int64_t{1}),
       "attribute 'axis' is not supported"},
      {OneNode("ArgMax").input(x).attr("axis", int64_t{3}), "out of range for rank 3"},
      {OneNode("ArgMin").input(floats({2, 0}, {})).attr("axis", int64_t{1}), "is empty"},
      {OneNode("ArgMax").input(floats({}, {1.0f})), "scalar"},
      {OneNode("ArgMax").input(x).attr("select_last_index", int64_t{3}), "'select_last_index' = 3"},
  };
  for (const auto& [node, want] : cases) {
    const std::string e = err(node);
    EXPECT_NE(e.find("node 'n0' ("), std::string::npos) << e;
    EXPECT_NE(e.find(want), std::string::npos) << "wanted '" << want << "' in: " << e;
  }
}

}  // namespace
}  // namespace onexn::test
