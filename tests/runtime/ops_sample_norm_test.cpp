// InstanceNormalization and LayerNormalization against plain references (statistics of each
// plane / row computed in double), every axis of LayerNormalization with full and broadcast
// Scale / B, the optional Mean and InvStdDev outputs, run-time parameters, 1 vs 2 threads
// (ONNX's node cases check both against ONNX's reference). Malformed nodes fail naming the node.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops_harness.hpp"

namespace onexn::test {
namespace {

using V = std::vector<int64_t>;

// y of normalizing each of `rows` rows of `length` elements; mean and 1/std per row.
void ref_rows(const std::vector<float>& x, int64_t rows, int64_t length, double eps,
              std::vector<double>& mean, std::vector<double>& inv_std) {
  mean.assign(rows, 0);
  inv_std.assign(rows, 0);
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0, v = 0;
    for (int64_t j = 0; j < length; ++j) s += x[r * length + j];
    mean[r] = s / double(length);
    for (int64_t j = 0; j < length; ++j) v += std::pow(x[r * length + j] - mean[r], 2);
    inv_std[r] = 1 / std::sqrt(v / double(length) + eps);
  }
}

TEST(OpsSampleNorm, InstanceNormalization) {
  std::mt19937 rng(4);
  for (int trial = 0; trial < 60; ++trial) {
    Shape s = {1 + int64_t(rng() % 2), 1 + int64_t(rng() % 5)};
    for (int d = 0, r = 1 + int(rng() % 3); d < r; ++d) s.push_back(1 + int64_t(rng() % 6));
    const int64_t n = s[0], c = s[1], inner = graph::numel(s) / (n * c);
    const Constant x = random_floats(s, trial, -3.0f, 5.0f);
    const Constant scale = random_floats({c}, trial + 1), bias = random_floats({c}, trial + 2);
    const float eps = trial % 2 ? 1e-5f : 0.1f;
    std::vector<double> mean, inv;
    ref_rows(x.f, n * c, inner, eps, mean, inv);
    std::vector<float> want(x.numel());
    for (int64_t p = 0; p < n * c; ++p)
      for (int64_t j = 0; j < inner; ++j)
        want[p * inner + j] =
            float((x.f[p * inner + j] - mean[p]) * inv[p] * scale.f[p % c] + bias.f[p % c]);
    OneNode node("InstanceNormalization", 6);
    node.input(x);
    if (trial % 3 == 0) {
      node.input(scale).input(bias);  // parameters at run time
    } else {
      node.constant(scale).constant(bias);
    }
    node.attr("epsilon", eps);
    const Constant y = node.run1(1 + trial % 2);
    EXPECT_LE(rel_error(y, floats(s, want)), 1e-5) << trial << " " << graph::shape_string(s);
  }
  const Constant big = random_floats({2, 16, 64, 64}, 9);
  OneNode node("InstanceNormalization");
  node.input(big).constant(random_floats({16}, 1)).constant(random_floats({16}, 2));
  EXPECT_EQ(node.run1(1).f, node.run1(2).f);
}

TEST(OpsSampleNorm, LayerNormalizationEveryAxis) {
  std::mt19937 rng(6);
  int ran = 0;
  for (int trial = 0; trial < 200; ++trial) {
    Shape s;
    for (int d = 0, r = 1 + int(rng() % 4); d < r; ++d) s.push_back(1 + int64_t(rng() % 5));
    const int64_t rank = int64_t(s.size());
    const int64_t axis = int64_t(rng() % rank) - (trial % 2 ? rank : 0),
                  a = axis < 0 ? axis + rank : axis;
    const Shape row(s.begin() + a, s.end());
    const int64_t length = graph::numel(row), rows = graph::numel(s) / length;
    // Scale / B of the row's shape, or broadcast: trailing dims only, or with 1s.
    auto param_shape = [&]() {
      Shape p = row;
      switch (rng() % 3) {
        case 0:
          break;
        case 1:
          p.erase(p.begin(), p.begin() + int64_t(rng() % (p.size() + 1)));
          break;
        default:
          for (auto& d : p)
            if (rng() % 2) d = 1;
      }
      return p;
    };
    const Shape ss = param_shape(), bs = param_shape();
    const Constant x = random_floats(s, trial, -2.0f, 3.0f);
    const Constant scale = random_floats(ss, trial + 1), bias = random_floats(bs, trial + 2);
    const bool with_bias = rng() % 4 != 0, stats = rng() % 2;
    const float eps = 1e-3f;
    std::vector<double> mean, inv;
    ref_rows(x.f, rows, length, eps, mean, inv);
    auto param_at = [&](const Constant& p, int64_t j) {  // p broadcast to the row
      const V pos = unravel(j, row);
      V ppos(p.shape.size());
      for (size_t k = 0; k < p.shape.size(); ++k) {
        const size_t d = k + (row.size() - p.shape.size());
        ppos[k] = p.shape[k] == 1 ? 0 : pos[d];
      }
      return p.f[ravel(ppos, p.shape)];
    };
    std::vector<float> want(x.numel());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < length; ++j)
        want[r * length + j] = float((x.f[r * length + j] - mean[r]) * inv[r] * param_at(scale, j) +
                                     (with_bias ? param_at(bias, j) : 0.0));
    OneNode node("LayerNormalization", 17);
    node.input(x);
    if (trial % 3 == 0) {
      node.input(scale);
      if (with_bias) node.input(bias);
    } else {
      node.constant(scale);
      if (with_bias) node.constant(bias);
    }
    node.attr("axis", axis).attr("epsilon", eps);
    if (stats) node.outputs(3);
    const std::string what =
        fmt::format("trial {}: X {} axis {} scale {} bias {}", trial, graph::shape_string(s), axis,
                    graph::shape_string(ss), with_bias ? graph::shape_string(bs) : "none");
    const std::vector<Constant> y = node.run(1 + trial % 2);
    EXPECT_LE(rel_error(y[0], floats(s, want)), 1e-5) << what;
    if (stats) {
      Shape stat = s;
      for (int64_t d = a; d < rank; ++d) stat[d] = 1;
      std::vector<float> m(mean.begin(), mean.end()), is(inv.begin(), inv.end());
      EXPECT_LE(rel_error(y[1], floats(stat, m)), 1e-6) << what;
      EXPECT_LE(rel_error(y[2], floats(stat, is)), 1e-6) << what;
    }
    ++ran;
  }
  EXPECT_EQ(ran, 200);
}

std::string err(const OneNode& n) {
  return error_of([&] { n.shapes(); });
}

TEST(OpsSampleNorm, BadNodesFailNamingTheNode) {
  const Constant x = random_floats({2, 3, 4}, 1);
  const std::vector<std::pair<OneNode, std::string>> cases = {
      {OneNode("InstanceNormalization")
           .input(x)
           .constant(random_floats({4}, 1))
           .constant(random_floats({3}, 1)),
       "expected [3]"},
      {OneNode("InstanceNormalization")
           .input(random_floats({2, 3}, 1))
           .constant(random_floats({3}, 1))
           .constant(random_floats({3}, 1)),
       "rank >= 3"},
      {OneNode("LayerNormalization", 17).input(x).constant(random_floats({3}, 1)),
       "does not broadcast"},
      {OneNode("LayerNormalization", 17)
           .input(x)
           .constant(random_floats({4}, 1))
           .attr("axis", int64_t{3}),
       "out of range"},
      {OneNode("LayerNormalization", 17)
           .input(x)
           .constant(random_floats({4}, 1))
           .attr("stash_type", int64_t{11}),
       "'stash_type' = 11"},
      {OneNode("LayerNormalization", 17).input(x), "has 1 inputs"},
  };
  for (const auto& [node, want] : cases) {
    const std::string e = err(node);
    EXPECT_NE(e.find("node 'n0' ("), std::string::npos) << e;
    EXPECT_NE(e.find(want), std::string::npos) << "wanted '" << want << "' in: " << e;
  }
}

}  // namespace
}  // namespace onexn::test
