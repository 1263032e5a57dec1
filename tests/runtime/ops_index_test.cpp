// GatherElements, Expand, Tile, DepthToSpace, SpaceToDepth, ConstantOfShape, Range and Size
// against element-by-element references (float32 and int64, run-time and folded, 1 and 2
// threads); Gather with run-time indices; Squeeze / Unsqueeze in their attribute (opset < 13)
// and input (opset >= 13) forms; malformed nodes fail naming the node.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "ops_harness.hpp"

namespace onexn::test {
namespace {

using V = std::vector<int64_t>;

Constant iota_ints(Shape shape, int64_t from = 100) {
  V v(graph::numel(shape));
  std::iota(v.begin(), v.end(), from);
  return ints(std::move(shape), std::move(v));
}

// Runs `n` on float data and on int64 data of the same shape (input 0 replaced), folded too,
// and checks each against `source`: the flat input index of every output element.
void expect_gathers(OneNode n, const Shape& in, const Shape& out_shape, const V& source,
                    const std::string& what) {
  const Constant xf = random_floats(in, 7);
  const Constant xi = iota_ints(in);
  for (int kind = 0; kind < 2; ++kind) {
    n.replace_input(0, kind ? xi : xf);
    for (int threads = 1; threads <= 2; ++threads) {
      const Constant y = n.run1(threads);
      ASSERT_EQ(y.shape, out_shape) << what;
      ASSERT_EQ(y.numel(), int64_t(source.size())) << what;
      for (size_t k = 0; k < source.size(); ++k) {
        if (kind) {
          ASSERT_EQ(y.i[k], xi.i[source[k]]) << what << " int64 element " << k;
        } else {
          ASSERT_EQ(y.f[k], xf.f[source[k]]) << what << " element " << k;
        }
      }
    }
    const Constant folded = n.fold().at(0);
    EXPECT_EQ(folded.f, n.run1().f) << what << " (folded)";
    EXPECT_EQ(folded.i, n.run1().i) << what << " (folded)";
  }
}

Shape random_shape(std::mt19937& rng, int min_rank, int max_rank, int max_dim = 4) {
  Shape s;
  const int rank = min_rank + int(rng() % (max_rank - min_rank + 1));
  for (int d = 0; d < rank; ++d) s.push_back(1 + int64_t(rng() % max_dim));
  return s;
}

TEST(OpsIndex, GatherElements) {
  std::mt19937 rng(1);
  for (int trial = 0; trial < 200; ++trial) {
    const Shape s = random_shape(rng, 1, 4);
    const int64_t rank = int64_t(s.size());
    const int64_t axis = int64_t(rng() % rank) - (trial % 2 ? rank : 0),
                  a = axis < 0 ? axis + rank : axis;
    Shape is = s;
    for (int64_t d = 0; d < rank; ++d)
      is[d] = d == a ? 1 + int64_t(rng() % 5) : 1 + int64_t(rng() % s[d]);
    V idx(graph::numel(is));
    for (auto& i : idx) i = int64_t(rng() % (2 * s[a])) - s[a];
    V source(idx.size());
    for (size_t k = 0; k < idx.size(); ++k) {
      V pos = unravel(int64_t(k), is);
      pos[a] = idx[k] < 0 ? idx[k] + s[a] : idx[k];
      source[k] = ravel(pos, s);
    }
    const std::string what = fmt::format("trial {}: data {} indices {} axis {}", trial,
                                         graph::shape_string(s), graph::shape_string(is), axis);
    OneNode n("GatherElements");
    n.input(random_floats(s, 1));
    if (trial % 3) {
      n.constant(ints(is, idx));
    } else {
      n.input(ints(is, idx));  // indices computed at run time
    }
    n.attr("axis", axis);
    expect_gathers(n, s, is, source, what);
  }
  // Out of range: at load for constant indices, at run time otherwise; both name the node.
  const Constant x = random_floats({2, 3}, 2);
  const std::string load = error_of([&] {
    OneNode("GatherElements")
        .input(x)
        .constant(ints({2, 1}, {0, 3}))
        .attr("axis", int64_t{1})
        .shapes();
  });
  EXPECT_NE(load.find("node 'n0' (GatherElements): index 3"), std::string::npos) << load;
  const std::string run = error_of([&] {
    OneNode("GatherElements").input(x).input(ints({2, 1}, {0, -4})).attr("axis", int64_t{1}).run1();
  });
  EXPECT_NE(run.find("node 'n0' (GatherElements): index -4 is out of range"), std::string::npos)
      << run;
}

TEST(OpsIndex, GatherWithRunTimeIndices) {
  const Constant x = random_floats({3, 4}, 3);
  const Constant y =
      OneNode("Gather").input(x).input(ints({2}, {2, -3})).attr("axis", int64_t{0}).run1();
  ASSERT_EQ(y.shape, (Shape{2, 4}));
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_EQ(y.f[c], x.f[8 + c]);
    EXPECT_EQ(y.f[4 + c], x.f[c]);
  }
  const std::string e = error_of([&] { OneNode("Gather").input(x).input(ints({1}, {3})).run1(); });
  EXPECT_NE(e.find("node 'n0' (Gather): index 3 is out of range"), std::string::npos) << e;
}

TEST(OpsIndex, ExpandAndTile) {
  std::mt19937 rng(2);
  for (int trial = 0; trial < 200; ++trial) {
    const Shape s = random_shape(rng, 0, 4, 3);
    // Expand: a target of any rank up to 5 whose dims broadcast with s (1s on either side).
    const int64_t rank = std::max<int64_t>(int64_t(s.size()), int64_t(rng() % 6));
    V target(rank);
    Shape out(rank);
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t k = d - (rank - int64_t(s.size()));
      const int64_t in = k >= 0 ? s[k] : 1;
      target[d] = in == 1 ? int64_t(rng() % 4) : (rng() % 2 ? in : 1);
      out[d] = in == 1 ? target[d] : in;
    }
    V source(graph::numel(out));
    for (size_t j = 0; j < source.size(); ++j) {
      const V pos = unravel(int64_t(j), out);
      V in_pos(s.size());
      for (size_t k = 0; k < s.size(); ++k) in_pos[k] = s[k] == 1 ? 0 : pos[k + (rank - s.size())];
      source[j] = ravel(in_pos, s);
    }
    OneNode e("Expand");
    e.input(random_floats(s, 1)).constant(ints({rank}, target));
    expect_gathers(e, s, out, source,
                   fmt::format("trial {}: expand {} to [{}]", trial, graph::shape_string(s),
                               fmt::join(target, ", ")));
    // Tile.
    V repeats(s.size());
    Shape tiled(s.size());
    for (size_t d = 0; d < s.size(); ++d) tiled[d] = s[d] * (repeats[d] = int64_t(rng() % 4));
    V tsource(graph::numel(tiled));
    for (size_t j = 0; j < tsource.size(); ++j) {
      V pos = unravel(int64_t(j), tiled);
      for (size_t d = 0; d < s.size(); ++d) pos[d] %= s[d];
      tsource[j] = ravel(pos, s);
    }
    OneNode t("Tile");
    t.input(random_floats(s, 1)).constant(ints({int64_t(s.size())}, repeats));
    expect_gathers(t, s, tiled, tsource,
                   fmt::format("trial {}: tile {} by [{}]", trial, graph::shape_string(s),
                               fmt::join(repeats, ", ")));
  }
}

TEST(OpsIndex, DepthToSpaceAndSpaceToDepth) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 120; ++trial) {
    const int64_t b = 1 + int64_t(rng() % 3), n = 1 + int64_t(rng() % 2),
                  c = 1 + int64_t(rng() % 3);
    const int64_t h = 1 + int64_t(rng() % 3), w = 1 + int64_t(rng() % 3);
    const bool crd = trial % 2;
    // DepthToSpace: [n, c*b*b, h, w] -> [n, c, h*b, w*b].
    const Shape in = {n, c * b * b, h, w}, out = {n, c, h * b, w * b};
    V source(graph::numel(out));
    for (size_t k = 0; k < source.size(); ++k) {
      const V p = unravel(int64_t(k), out);
      const int64_t i = p[2] % b, j = p[3] % b;
      const int64_t ch = crd ? p[1] * b * b + i * b + j : (i * b + j) * c + p[1];
      source[k] = ravel({p[0], ch, p[2] / b, p[3] / b}, in);
    }
    OneNode d2s("DepthToSpace", 13);
    d2s.input(random_floats(in, 1)).attr("blocksize", b);
    if (crd || rng() % 2) d2s.attr("mode", crd ? "CRD" : "DCR");
    expect_gathers(d2s, in, out, source,
                   fmt::format("trial {}: DepthToSpace {} b {} {}", trial, graph::shape_string(in),
                               b, crd ? "CRD" : "DCR"));
    // SpaceToDepth: [n, c, h*b, w*b] -> [n, c*b*b, h, w], the inverse of DCR.
    V s2d(graph::numel(in));
    for (size_t k = 0; k < s2d.size(); ++k) {
      const V p = unravel(int64_t(k), in);
      const int64_t i = p[1] / c / b, j = p[1] / c % b, ch = p[1] % c;
      s2d[k] = ravel({p[0], ch, p[2] * b + i, p[3] * b + j}, out);
    }
    OneNode sd("SpaceToDepth", 13);
    sd.input(random_floats(out, 1)).attr("blocksize", b);
    expect_gathers(
        sd, out, in, s2d,
        fmt::format("trial {}: SpaceToDepth {} b {}", trial, graph::shape_string(out), b));
  }
}

TEST(OpsIndex, ConstantOfShapeRangeSize) {
  // ConstantOfShape: float 0 by default, the value attribute's type and value otherwise.
  Constant y = OneNode("ConstantOfShape").constant(ints({3}, {2, 1, 3})).fold().at(0);
  EXPECT_EQ(y.shape, (Shape{2, 1, 3}));
  EXPECT_EQ(y.f, std::vector<float>(6, 0.0f));
  graph::Attribute value;
  value.kind = graph::Attribute::Kind::tensor;
  value.t = ints({1}, {-5});
  OneNode cv("ConstantOfShape");
  cv.constant(ints({2}, {2, 2})).attr_value("value", value);
  y = cv.run1();
  EXPECT_EQ(y.type, DataType::i64);
  EXPECT_EQ(y.i, V(4, -5));
  value.t = floats({}, {2.5f});
  OneNode cf("ConstantOfShape");
  cf.constant(ints({0}, {})).attr_value("value", value);
  y = cf.fold().at(0);
  EXPECT_EQ(y.shape, Shape{});
  EXPECT_EQ(y.f, std::vector<float>{2.5f});

  // Range: float and int64, up and down, empty.
  struct R {
    double start, limit, delta;
    V want_i;
  };
  for (const R& r : {R{0, 5, 1, {0, 1, 2, 3, 4}}, R{10, 4, -3, {10, 7}}, R{3, 3, 1, {}},
                     R{1, 10, 4, {1, 5, 9}}, R{5, 1, 2, {}}}) {
    const Constant yi = OneNode("Range")
                            .constant(ints({}, {int64_t(r.start)}))
                            .constant(ints({}, {int64_t(r.limit)}))
                            .constant(ints({}, {int64_t(r.delta)}))
                            .run1();
    EXPECT_EQ(yi.i, r.want_i) << r.start << " " << r.limit << " " << r.delta;
    const Constant yf = OneNode("Range")
                            .constant(floats({}, {float(r.start)}))
                            .constant(floats({}, {float(r.limit)}))
                            .constant(floats({}, {float(r.delta)}))
                            .fold()
                            .at(0);
    EXPECT_EQ(yf.f, std::vector<float>(r.want_i.begin(), r.want_i.end()));
  }
  const Constant frac = OneNode("Range")
                            .constant(floats({}, {0.5f}))
                            .constant(floats({}, {1.6f}))
                            .constant(floats({}, {0.25f}))
                            .run1();
  EXPECT_EQ(frac.f, (std::vector<float>{0.5f, 0.75f, 1.0f, 1.25f, 1.5f}));
  const int64_t big = std::numeric_limits<int64_t>::max();
  const Constant wide = OneNode("Range")
                            .constant(ints({}, {-big}))
                            .constant(ints({}, {big}))
                            .constant(ints({}, {big / 2 + 1}))
                            .run1();
  EXPECT_EQ(wide.i,
            (V{-big, -big + big / 2 + 1, -big + 2 * (big / 2 + 1), -big + 3 * (big / 2 + 1)}));

  // Size: a constant from the shape.
  OneNode sz("Size");
  sz.input(random_floats({2, 3, 4}, 1));
  EXPECT_EQ(sz.run1().i, V{24});
  const graph::Graph g = sz.inferred();
  EXPECT_TRUE(g.value(g.nodes[0].outputs[0]).constant.has_value());
}

TEST(OpsIndex, SqueezeUnsqueezeBothForms) {
  const Constant x = random_floats({3, 1, 4, 1}, 5);
  EXPECT_EQ(OneNode("Squeeze", 11).input(x).attr("axes", V{1, -1}).shapes()[0], (Shape{3, 4}));
  EXPECT_EQ(OneNode("Squeeze", 13).input(x).constant(ints({2}, {1, -1})).shapes()[0],
            (Shape{3, 4}));
  EXPECT_EQ(OneNode("Squeeze", 13).input(x).shapes()[0], (Shape{3, 4}));
  EXPECT_EQ(OneNode("Unsqueeze", 11).input(x).attr("axes", V{0, 5}).shapes()[0],
            (Shape{1, 3, 1, 4, 1, 1}));
  EXPECT_EQ(OneNode("Unsqueeze", 13).input(x).constant(ints({2}, {0, -1})).run1().shape,
            (Shape{1, 3, 1, 4, 1, 1}));
  EXPECT_EQ(OneNode("Unsqueeze", 13).input(iota_ints({2})).constant(ints({1}, {1})).run1().i,
            (V{100, 101}));  // int64 at run time
}

std::string err(const OneNode& n) {
  return error_of([&] { n.shapes(); });
}

TEST(OpsIndex, BadNodesFailNamingTheNode) {
  const Constant x = random_floats({1, 8, 2, 2}, 1);
  const std::vector<std::pair<OneNode, std::string>> cases = {
      {OneNode("GatherElements").input(x).constant(ints({1, 8}, V(8, 0))), "same rank"},
      {OneNode("GatherElements").input(x).constant(floats({1, 1, 1, 1}, {0})), "expected int64"},
      {OneNode("Expand").input(x).constant(ints({2}, {3, 3})), "does not broadcast"},
      {OneNode("Expand").input(x).constant(ints({1}, {-1})), "negative size"},
      {OneNode("Expand").input(x).input(ints({1}, {2})), "must be a constant"},
      {OneNode("Tile").input(x).constant(ints({2}, {1, 2})), "one per dim"},
      {OneNode("Tile").input(x).constant(ints({4}, {1, -1, 1, 1})), "negative value"},
      {OneNode("DepthToSpace").input(x).attr("blocksize", int64_t{3}),
       "not a multiple of blocksize^2"},
      {OneNode("DepthToSpace").input(x).attr("blocksize", int64_t{2}).attr("mode", "XYZ"),
       "'mode' = 'XYZ'"},
      {OneNode("DepthToSpace").input(x), "'blocksize' is missing"},
      {OneNode("SpaceToDepth").input(x).attr("blocksize", int64_t{0}), "'blocksize' = 0"},
      {OneNode("SpaceToDepth").input(x).attr("blocksize", int64_t{4}),
       "not multiples of blocksize"},
      {OneNode("SpaceToDepth").input(random_floats({8, 2, 2}, 1)).attr("blocksize", int64_t{2}),
       "expected N x C x H x W"},
      {OneNode("ConstantOfShape").constant(ints({2}, {2, -2})), "negative size"},
      {OneNode("ConstantOfShape").input(ints({2}, {2, 2})), "must be a constant"},
      {OneNode("Range").constant(ints({}, {0})).constant(ints({}, {5})).constant(ints({}, {0})),
       "input 2 (delta) is 0"},
      {OneNode("Range").constant(floats({}, {0})).constant(ints({}, {5})).constant(ints({}, {1})),
       "input 1 (limit)"},
      {OneNode("Range").constant(ints({2}, {0, 1})).constant(ints({}, {5})).constant(ints({}, {1})),
       "expected a scalar"},
      {OneNode("Range").input(floats({}, {0})).constant(floats({}, {5})).constant(floats({}, {1})),
       "must be a constant"},
      {OneNode("Range")
           .constant(floats({}, {0}))
           .constant(floats({}, {1e30f}))
           .constant(floats({}, {1})),
       "more than 2^40"},
  };
  for (const auto& [node, want] : cases) {
    const std::string e = err(node);
    EXPECT_NE(e.find("node 'n0' ("), std::string::npos) << e;
    EXPECT_NE(e.find(want), std::string::npos) << "wanted '" << want << "' in: " << e;
  }
}

}  // namespace
}  // namespace onexn::test
