// Tensor ops (Shape, Gather, Unsqueeze, Squeeze, Concat, Split, Slice, Reshape, Flatten,
// Transpose, Pad) against element-by-element references, on float32 and int64 (folded).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "ops_harness.hpp"

namespace onexn::test {
namespace {

using V = std::vector<int64_t>;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

Constant iota_ints(Shape shape) {
  std::vector<int64_t> v(graph::numel(shape));
  std::iota(v.begin(), v.end(), 100);
  return ints(std::move(shape), std::move(v));
}

std::string err(const OneNode& n) {
  return error_of([&] { n.shapes(); });
}

TEST(OpsTensor, Shape) {
  const Constant x = random_floats({2, 3, 4, 5}, 1);
  EXPECT_EQ(OneNode("Shape").input(x).run1().i, (V{2, 3, 4, 5}));
  // opset 15 start / end, clamped like Python slices
  const std::vector<std::tuple<int64_t, int64_t, V>> cases = {
      {1, kMax, {3, 4, 5}}, {-1, kMax, {5}}, {0, -1, {2, 3, 4}},
      {-10, 2, {2, 3}},     {3, 1, {}},      {2, 10, {4, 5}}};
  for (const auto& [start, end, want] : cases) {
    OneNode n("Shape", 15);
    n.input(x).attr("start", start);
    if (end != kMax) n.attr("end", end);
    EXPECT_EQ(n.run1().i, want) << start << " " << end;
    // infer sets the output as a constant: the loader drops the node
    EXPECT_TRUE(n.inferred().value(n.inferred().nodes[0].outputs[0]).constant.has_value());
  }
  EXPECT_EQ(OneNode("Shape").input(floats({}, {1.0f})).run1().shape, (Shape{0}));
}

TEST(OpsTensor, Gather) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 60; ++trial) {
    const int rank = 1 + trial % 4;
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(1 + rng() % 4);
    const int64_t axis = int64_t(rng() % rank) - (trial % 2 ? rank : 0);
    const int64_t a = axis < 0 ? axis + rank : axis;
    Shape is;
    for (int d = 0, r = int(rng() % 3); d < r; ++d) is.push_back(1 + rng() % 3);
    std::vector<int64_t> idx(graph::numel(is));
    for (auto& i : idx) i = int64_t(rng() % (2 * s[a])) - s[a];  // negative too
    const Constant data = random_floats(s, trial), indices = ints(is, idx);
    const Constant y = OneNode("Gather").input(data).constant(indices).attr("axis", axis).run1();
    Shape want_shape(s.begin(), s.begin() + a);
    want_shape.insert(want_shape.end(), is.begin(), is.end());
    want_shape.insert(want_shape.end(), s.begin() + a + 1, s.end());
    ASSERT_EQ(y.shape, want_shape);
    V source(y.numel());  // flat data index of each output
    for (int64_t k = 0; k < y.numel(); ++k) {
      const V o = unravel(k, want_shape);
      V di(o.begin(), o.begin() + a);
      const V ii(o.begin() + a, o.begin() + a + is.size());
      int64_t j = idx[ravel(ii, is)];
      di.push_back(j < 0 ? j + s[a] : j);
      di.insert(di.end(), o.begin() + a + is.size(), o.end());
      source[k] = ravel(di, s);
      ASSERT_EQ(y.f[k], data.f[source[k]]) << trial;
    }
    // int64 data, folded (as in Gather(Shape(x), i))
    const Constant yi =
        OneNode("Gather").input(iota_ints(s)).input(indices).attr("axis", axis).fold().at(0);
    ASSERT_EQ(yi.shape, want_shape);
    for (int64_t k = 0; k < yi.numel(); ++k) ASSERT_EQ(yi.i[k], 100 + source[k]);
  }
  EXPECT_EQ(OneNode("Gather")
                .constant(ints({4}, {1, 3, 224, 224}))
                .constant(ints({}, {0}))
                .fold()
                .at(0)
                .shape,
            Shape{});
  EXPECT_NE(
      err(OneNode("Gather").input(random_floats({3}, 1)).constant(ints({1}, {3}))).find("index 3"),
      std::string::npos);
  EXPECT_NE(
      err(OneNode("Gather").input(random_floats({3}, 1)).constant(ints({1}, {0})).attr("axis", 1))
          .find("'axis' = 1 is out of range for rank 1"),
      std::string::npos);
}

TEST(OpsTensor, UnsqueezeSqueeze) {
  const Constant x = random_floats({3, 1, 4}, 2);
  EXPECT_EQ(OneNode("Unsqueeze", 11).input(x).attr("axes", V{0, 4}).shapes()[0],
            (Shape{1, 3, 1, 4, 1}));
  EXPECT_EQ(OneNode("Unsqueeze").input(x).constant(ints({2}, {-1, 0})).shapes()[0],
            (Shape{1, 3, 1, 4, 1}));
  EXPECT_EQ(OneNode("Unsqueeze").input(x).constant(ints({3}, {5, 1, 0})).shapes()[0],
            (Shape{1, 1, 3, 1, 4, 1}));
  EXPECT_EQ(OneNode("Unsqueeze").input(x).constant(ints({1}, {1})).run1().f, x.f);
  EXPECT_EQ(OneNode("Unsqueeze").input(ints({}, {7})).input(ints({1}, {0})).fold().at(0).i, (V{7}));
  EXPECT_EQ(OneNode("Squeeze").input(x).shapes()[0], (Shape{3, 4}));
  EXPECT_EQ(OneNode("Squeeze", 11).input(x).attr("axes", V{-2}).shapes()[0], (Shape{3, 4}));
  EXPECT_EQ(OneNode("Squeeze").input(x).constant(ints({1}, {1})).run1().f, x.f);
  EXPECT_NE(err(OneNode("Squeeze").input(x).constant(ints({1}, {0}))).find("has size 3"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Unsqueeze").input(x).constant(ints({2}, {1, 1}))).find("twice"),
            std::string::npos);
  EXPECT_NE(
      err(OneNode("Unsqueeze").input(x).constant(ints({1}, {4}))).find("axes = 4 is out of range"),
      std::string::npos);
  EXPECT_NE(err(OneNode("Unsqueeze").input(x).input(ints({1}, {0}))).find("must be a constant"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Unsqueeze").input(x)).find("axes are missing"), std::string::npos);
}

TEST(OpsTensor, ConcatAndSplit) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const int rank = 1 + trial % 4;
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(1 + rng() % 3);
    const int64_t a = rng() % rank;
    std::vector<Constant> parts;
    OneNode n("Concat");
    for (int k = 0; k < 3; ++k) {
      Shape ps = s;
      ps[a] = rng() % 4;  // zero-size parts too
      parts.push_back(random_floats(ps, 10 * trial + k));
      if (k == 1)
        n.constant(parts.back());
      else
        n.input(parts.back());
    }
    n.attr("axis", a - (trial % 2 ? rank : 0));
    const Constant y = n.run1();
    int64_t total = 0;
    for (const Constant& p : parts) total += p.shape[a];
    Shape ys = s;
    ys[a] = total;
    ASSERT_EQ(y.shape, ys);
    for (int64_t k = 0; k < y.numel(); ++k) {
      V o = unravel(k, ys);
      size_t part = 0;
      while (o[a] >= parts[part].shape[a]) o[a] -= parts[part++].shape[a];
      ASSERT_EQ(y.f[k], parts[part].f[ravel(o, parts[part].shape)]);
    }
    // Split undoes it (sizes as input, opset 13; as attribute, opset 11)
    V sizes;
    for (const Constant& p : parts) sizes.push_back(p.shape[a]);
    const auto back =
        OneNode("Split").input(y).constant(ints({3}, sizes)).attr("axis", a).outputs(3).run();
    const auto back11 =
        OneNode("Split", 11).input(y).attr("split", sizes).attr("axis", a).outputs(3).run();
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(back[k].f, parts[k].f);
      EXPECT_EQ(back[k].shape, parts[k].shape);
      EXPECT_EQ(back11[k].f, parts[k].f);
    }
  }
  EXPECT_EQ(OneNode("Concat")
                .input(ints({2}, {1, 2}))
                .input(ints({1}, {-1}))
                .attr("axis", 0)
                .fold()
                .at(0)
                .i,
            (V{1, 2, -1}));
  EXPECT_NE(err(OneNode("Concat")
                    .input(random_floats({2, 3}, 1))
                    .input(random_floats({3, 3}, 2))
                    .attr("axis", 1))
                .find("differ in axis 1 only"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Concat").input(random_floats({2}, 1))).find("'axis' is missing"),
            std::string::npos);

  const Constant x = random_floats({2, 7}, 3);
  // equal split; num_outputs (opset 18) with a smaller last part
  const auto eq = OneNode("Split").input(random_floats({2, 6}, 4)).attr("axis", 1).outputs(3).run();
  EXPECT_EQ(eq[2].shape, (Shape{2, 2}));
  const auto n18 =
      OneNode("Split", 18).input(x).attr("axis", -1).attr("num_outputs", 3).outputs(3).run();
  EXPECT_EQ(n18[0].shape, (Shape{2, 3}));
  EXPECT_EQ(n18[2].shape, (Shape{2, 1}));
  EXPECT_EQ(n18[2].f, (std::vector<float>{x.f[6], x.f[13]}));
  EXPECT_NE(err(OneNode("Split").input(x).attr("axis", 1).outputs(3))
                .find("does not split into 3 equal parts"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Split").input(x).constant(ints({2}, {3, 3})).attr("axis", 1).outputs(2))
                .find("sum to dim"),
            std::string::npos);
  // an omitted output is not written
  const auto om = OneNode("Split")
                      .input(x)
                      .constant(ints({2}, {3, 4}))
                      .attr("axis", 1)
                      .outputs(2)
                      .omit_output(0)
                      .run();
  EXPECT_EQ(om[1].shape, (Shape{2, 4}));
}

// Python's slice.indices(), written as CPython does it, which is the ONNX Slice rule but for one
// case: a start below -len with a negative step. Python starts before the beginning (nothing);
// ONNX clamps the start to [0, len - 1] for negative steps (index 0), as onnxruntime does.
V python_slice(int64_t start, int64_t stop, int64_t step, int64_t len) {
  const int64_t lower = step < 0 ? -1 : 0, upper = step < 0 ? len - 1 : len;
  auto fix = [&](int64_t v) {
    if (v < 0) {
      v = (v < -len) ? lower : v + len;  // avoids overflow for -INT64_MAX
      return std::max(v, lower);
    }
    return std::min(v, upper);
  };
  const bool onnx_start = step < 0 && start < -len && len > 0;
  start = onnx_start ? 0 : fix(start);
  stop = fix(stop);
  V out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(i);
  return out;
}

TEST(OpsTensor, SliceMatchesPythonSlicing) {
  std::mt19937 rng(11);
  const V specials = {0,  1,   -1,   2,    -2,    5,
                      -5, 100, -100, kMax, -kMax, std::numeric_limits<int64_t>::min()};
  for (int trial = 0; trial < 300; ++trial) {
    const int rank = 1 + trial % 4;
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(rng() % 7);  // 0 to 6, empty axes too
    V axes, starts, ends, steps;
    for (int d = 0; d < rank; ++d) {
      if (rng() % 3 == 0) continue;
      axes.push_back(rng() % 2 ? d : d - rank);
      starts.push_back(rng() % 2 ? specials[rng() % specials.size()] : int64_t(rng() % 9) - 4);
      ends.push_back(rng() % 2 ? specials[rng() % specials.size()] : int64_t(rng() % 9) - 4);
      const int64_t st = int64_t(rng() % 7) - 3;
      steps.push_back(st == 0 ? 1 : st);
    }
    std::shuffle(axes.begin(), axes.end(), rng);  // axes in any order
    const Constant x = random_floats(s, trial);
    const int64_t k = int64_t(axes.size());
    OneNode n("Slice");
    n.input(x)
        .constant(ints({k}, starts))
        .constant(ints({k}, ends))
        .constant(ints({k}, axes))
        .constant(ints({k}, steps));
    const std::string what = fmt::format(
        "{} starts [{}] ends [{}] axes [{}] steps [{}]", graph::shape_string(s),
        fmt::join(starts, ","), fmt::join(ends, ","), fmt::join(axes, ","), fmt::join(steps, ","));
    std::vector<V> picks(rank);
    for (int d = 0; d < rank; ++d) {
      picks[d].resize(s[d]);
      std::iota(picks[d].begin(), picks[d].end(), 0);
    }
    for (int64_t j = 0; j < k; ++j) {
      const int64_t a = axes[j] < 0 ? axes[j] + rank : axes[j];
      picks[a] = python_slice(starts[j], ends[j], steps[j], s[a]);
    }
    Shape ys;
    for (const V& p : picks) ys.push_back(int64_t(p.size()));
    const Constant y = n.run1();
    ASSERT_EQ(y.shape, ys) << what;
    for (int64_t e = 0; e < y.numel(); ++e) {
      V o = unravel(e, ys);
      for (int d = 0; d < rank; ++d) o[d] = picks[d][o[d]];
      ASSERT_EQ(y.f[e], x.f[ravel(o, s)]) << what;
    }
    // the same on int64 data, folded
    const Constant xi = iota_ints(s);
    OneNode ni("Slice");
    ni.input(xi)
        .input(ints({k}, starts))
        .input(ints({k}, ends))
        .input(ints({k}, axes))
        .input(ints({k}, steps));
    const Constant yi = ni.fold().at(0);
    for (int64_t e = 0; e < yi.numel(); ++e) {
      V o = unravel(e, ys);
      for (int d = 0; d < rank; ++d) o[d] = picks[d][o[d]];
      ASSERT_EQ(yi.i[e], 100 + ravel(o, s)) << what;
    }
  }
  // opset 9: attributes, default axes
  const Constant x = random_floats({4, 5}, 1);
  const Constant y9 =
      OneNode("Slice", 9).input(x).attr("starts", V{1, -2}).attr("ends", V{3, kMax}).run1();
  EXPECT_EQ(y9.f, (std::vector<float>{x.f[8], x.f[9], x.f[13], x.f[14]}));
  EXPECT_NE(err(OneNode("Slice")
                    .input(x)
                    .constant(ints({1}, {0}))
                    .constant(ints({1}, {2}))
                    .constant(ints({1}, {0}))
                    .constant(ints({1}, {0})))
                .find("has a 0"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Slice").input(x).constant(ints({1}, {0})).input(ints({1}, {2})))
                .find("must be a constant"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Slice")
                    .input(x)
                    .constant(ints({2}, {0, 0}))
                    .constant(ints({2}, {2, 2}))
                    .constant(ints({2}, {1, -1})))
                .find("twice"),
            std::string::npos);
}

TEST(OpsTensor, ReshapeFlatten) {
  const Constant x = random_floats({2, 3, 4}, 6);
  auto reshape = [&](V target, int allowzero = 0) {
    return OneNode("Reshape", 14)
        .input(x)
        .constant(ints({int64_t(target.size())}, target))
        .attr("allowzero", allowzero);
  };
  EXPECT_EQ(reshape({4, -1}).shapes()[0], (Shape{4, 6}));
  EXPECT_EQ(reshape({0, -1}).shapes()[0], (Shape{2, 12}));
  EXPECT_EQ(reshape({0, 0, 2, 2}).shapes()[0], (Shape{2, 3, 2, 2}));
  EXPECT_EQ(reshape({-1}).run1().f, x.f);
  EXPECT_EQ(OneNode("Reshape", 4).input(x).attr("shape", V{0, 12}).shapes()[0], (Shape{2, 12}));
  EXPECT_NE(err(reshape({0, 4, 0}, 1)).find("does not hold"), std::string::npos);
  EXPECT_NE(err(reshape({-1, -1})).find("more than one -1"), std::string::npos);
  EXPECT_NE(err(reshape({5, -1})).find("cannot infer"), std::string::npos);
  EXPECT_NE(err(reshape({0, 0, 0, 0, 24})).find("has rank 3"), std::string::npos);
  EXPECT_NE(err(reshape({-2, 12})).find("invalid size -2"), std::string::npos);
  EXPECT_NE(err(OneNode("Reshape").input(x).input(ints({1}, {24}))).find("must be a constant"),
            std::string::npos);
  // allowzero = 1 with an empty tensor
  EXPECT_EQ(OneNode("Reshape", 14)
                .input(random_floats({0, 3}, 1))
                .constant(ints({2}, {3, 0}))
                .attr("allowzero", 1)
                .shapes()[0],
            (Shape{3, 0}));
  // int64, folded: the usual Reshape of a shape vector
  EXPECT_EQ(
      OneNode("Reshape").input(ints({2, 2}, {1, 2, 3, 4})).input(ints({1}, {-1})).fold().at(0).i,
      (V{1, 2, 3, 4}));

  for (int64_t axis = -3; axis <= 3; ++axis) {
    const int64_t a = axis < 0 ? axis + 3 : axis;
    int64_t left = 1;
    for (int64_t d = 0; d < a; ++d) left *= x.shape[d];
    const Constant y = OneNode("Flatten").input(x).attr("axis", axis).run1();
    EXPECT_EQ(y.shape, (Shape{left, 24 / left}));
    EXPECT_EQ(y.f, x.f);
  }
  EXPECT_EQ(OneNode("Flatten").input(x).shapes()[0], (Shape{2, 12}));
  EXPECT_NE(err(OneNode("Flatten").input(x).attr("axis", 4)).find("'axis' = 4 is out of range"),
            std::string::npos);
}

TEST(OpsTensor, TransposeAllPermutations) {
  for (int rank = 0; rank <= 5; ++rank) {
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(2 + (d * 3) % 4);
    const Constant x = random_floats(s, rank);
    V perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    do {
      const Constant y = OneNode("Transpose").input(x).attr("perm", perm).run1();
      Shape ys;
      for (int64_t p : perm) ys.push_back(s[p]);
      ASSERT_EQ(y.shape, ys);
      for (int64_t k = 0; k < y.numel(); ++k) {
        const V o = unravel(k, ys);
        V i(rank);
        for (int d = 0; d < rank; ++d) i[perm[d]] = o[d];
        ASSERT_EQ(y.f[k], x.f[ravel(i, s)]) << fmt::format("perm [{}]", fmt::join(perm, ","));
      }
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
  const Constant x = random_floats({2, 3, 4}, 9);
  const Constant rev = OneNode("Transpose").input(x).run1();  // default: reversed
  EXPECT_EQ(rev.shape, (Shape{4, 3, 2}));
  EXPECT_EQ(rev.f, OneNode("Transpose").input(x).attr("perm", V{2, 1, 0}).run1().f);
  // large: NCHW -> NHWC across threads
  const Constant big = random_floats({1, 64, 40, 40}, 10);
  EXPECT_EQ(OneNode("Transpose").input(big).attr("perm", V{0, 2, 3, 1}).run1(2).f,
            OneNode("Transpose").input(big).attr("perm", V{0, 2, 3, 1}).run1(1).f);
  EXPECT_NE(err(OneNode("Transpose").input(x).attr("perm", V{0, 1, 1})).find("not a permutation"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Transpose").input(x).attr("perm", V{0, 1})).find("not a permutation"),
            std::string::npos);
}

// numpy.pad index rule, by repeated reflection / clamping.
int64_t numpy_pad_index(const std::string& mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  if (mode == "constant") return -1;
  if (mode == "edge" || n == 1) return std::clamp<int64_t>(i, 0, n - 1);
  while (i < 0 || i >= n) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
  }
  return i;
}

TEST(OpsTensor, PadModes) {
  std::mt19937 rng(13);
  for (int trial = 0; trial < 150; ++trial) {
    const std::string mode = trial % 3 == 0 ? "constant" : trial % 3 == 1 ? "reflect" : "edge";
    const int rank = 1 + trial % 4;
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(1 + rng() % 4);
    V pads(2 * rank);
    for (int d = 0; d < 2 * rank; ++d) {
      pads[d] = int64_t(rng() % 6) - (mode == "constant" ? 1 : 0);  // negative (crop) with constant
      if (pads[d] < 0 && s[d % rank] + pads[d] + pads[(d + rank) % (2 * rank)] < 0) pads[d] = 0;
    }
    const Constant x = random_floats(s, trial);
    Shape ys(rank);
    for (int d = 0; d < rank; ++d) ys[d] = s[d] + pads[d] + pads[d + rank];
    const float value = 0.75f;
    OneNode n("Pad");
    n.input(x).constant(ints({2 * rank}, pads)).constant(floats({}, {value})).attr("mode", mode);
    const std::string what =
        fmt::format("{} {} pads [{}]", mode, graph::shape_string(s), fmt::join(pads, ","));
    const Constant y = n.run1();
    ASSERT_EQ(y.shape, ys) << what;
    for (int64_t k = 0; k < y.numel(); ++k) {
      V o = unravel(k, ys);
      bool pad = false;
      for (int d = 0; d < rank; ++d) {
        o[d] = numpy_pad_index(mode, o[d] - pads[d], s[d]);
        pad |= o[d] < 0;
      }
      ASSERT_EQ(y.f[k], pad ? value : x.f[ravel(o, s)]) << what;
    }
  }
  const Constant x = random_floats({1, 2, 3, 3}, 4);
  // opset 2: attributes; default value 0
  const Constant y2 = OneNode("Pad", 2).input(x).attr("pads", V{0, 0, 1, 1, 0, 0, 1, 1}).run1();
  EXPECT_EQ(y2.shape, (Shape{1, 2, 5, 5}));
  EXPECT_EQ(y2.f[0], 0.0f);
  EXPECT_EQ(y2.f[6], x.f[0]);
  // run-time constant_value; opset 18 axes
  EXPECT_EQ(OneNode("Pad")
                .input(x)
                .constant(ints({8}, {0, 0, 0, 1, 0, 0, 0, 0}))
                .input(floats({}, {-2.0f}))
                .run1()
                .f[0],
            -2.0f);
  EXPECT_EQ(OneNode("Pad", 18)
                .input(x)
                .constant(ints({2}, {2, 1}))
                .omitted()
                .constant(ints({1}, {-1}))
                .shapes()[0],
            (Shape{1, 2, 3, 6}));
  EXPECT_EQ(OneNode("Pad")
                .input(ints({2}, {5, 6}))
                .input(ints({2}, {1, 0}))
                .input(ints({}, {9}))
                .fold()
                .at(0)
                .i,
            (V{9, 5, 6}));
  EXPECT_NE(err(OneNode("Pad").input(x).constant(ints({8}, V(8, 1))).attr("mode", "wrap"))
                .find("'mode' = 'wrap'"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Pad").input(x).constant(ints({4}, V(4, 1)))).find("expected 8"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Pad").input(x).constant(ints({8}, {0, 0, -2, 0, 0, 0, -2, 0})))
                .find("crop more"),
            std::string::npos);
}

}  // namespace
}  // namespace onexn::test
