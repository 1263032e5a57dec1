// Gemm and MatMul against triple loops in double: every transA / transB / C form, constant and
// run-time B, sizes around the kernel's blocks (8 rows, 256 columns, 4 k), batched MatMul with
// broadcasting, and the same bits whatever the thread count.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "ops_harness.hpp"

namespace onexn::test {
namespace {

// A (M x K), B (K x N) element accessors through the transposition flags.
Constant gemm_reference(const Constant& a, const Constant& b, const Constant* c, bool ta, bool tb,
                        float alpha, float beta) {
  const int64_t M = ta ? a.shape[1] : a.shape[0], K = ta ? a.shape[0] : a.shape[1];
  const int64_t N = tb ? b.shape[0] : b.shape[1];
  Constant y = Constant::floats({M, N}, std::vector<float>(M * N));
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double av = ta ? a.f[k * M + m] : a.f[m * K + k];
        const double bv = tb ? b.f[n * K + k] : b.f[k * N + n];
        s += av * bv;
      }
      double cv = 0;
      if (c) {
        // C broadcast to [M, N]: index its dims from the right, size-1 dims read index 0.
        const Shape& cs = c->shape;
        const int64_t cn = cs.empty() ? 1 : cs.back(), cm = cs.size() == 2 ? cs[0] : 1;
        cv = c->f[(cm == 1 ? 0 : m) * cn + (cn == 1 ? 0 : n)];
      }
      y.f[m * N + n] = float(alpha * s + beta * cv);
    }
  }
  return y;
}

TEST(OpsLinear, GemmAllForms) {
  uint32_t seed = 1;
  int cases = 0;
  for (int64_t M : {1, 3, 9, 17}) {
    for (int64_t N : {1, 5, 257}) {
      for (int64_t K : {1, 3, 7, 66}) {
        for (int flags = 0; flags < 4; ++flags) {
          const bool ta = flags & 1, tb = flags & 2;
          const Constant a = random_floats(ta ? Shape{K, M} : Shape{M, K}, seed++);
          const Constant b = random_floats(tb ? Shape{N, K} : Shape{K, N}, seed++);
          const std::vector<Shape> c_shapes = {{}, {N}, {1, N}, {M, 1}, {M, N}, {1}};
          const Shape& cs = c_shapes[(M + N + K + flags) % c_shapes.size()];
          const Constant c = random_floats(cs, seed++);
          const float alpha = flags == 3 ? 0.5f : 1.0f, beta = flags == 1 ? -2.0f : 1.0f;
          for (bool with_c : {false, true}) {
            for (bool const_b : {false, true}) {
              OneNode n("Gemm");
              n.input(a);
              if (const_b)
                n.constant(b);
              else
                n.input(b);
              if (with_c) n.constant(c);
              n.attr("transA", int(ta))
                  .attr("transB", int(tb))
                  .attr("alpha", alpha)
                  .attr("beta", beta);
              const Constant want =
                  gemm_reference(a, b, with_c ? &c : nullptr, ta, tb, alpha, beta);
              const Constant got = n.run1(1 + cases % 2);
              ASSERT_LE(rel_error(got, want), 2e-6)
                  << fmt::format("M {} N {} K {} transA {} transB {} C {} const B {}", M, N, K, ta,
                                 tb, with_c ? graph::shape_string(cs) : "none", const_b);
              ++cases;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(cases, 4 * 3 * 4 * 4 * 4);
}

// Random shapes (odd M, N, K; N across the kernel's panel widths 16-64 and 256-column blocks),
// random transA / transB, alpha / beta and C forms, constant or run-time B, 1 or 2 threads.
TEST(OpsLinear, GemmRandomShapes) {
  std::mt19937 rng(11);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::uniform_real_distribution<float> scale(-2.0f, 2.0f);
  for (int i = 0; i < 120; ++i) {
    const int64_t M = pick(1, 13), N = pick(1, 300), K = pick(1, 90);
    const bool ta = pick(0, 1), tb = pick(0, 1), const_b = pick(0, 1);
    const float alpha = i % 3 == 0 ? 1.0f : scale(rng), beta = i % 3 == 1 ? 1.0f : scale(rng);
    const std::vector<Shape> c_shapes = {{}, {N}, {1, N}, {M, 1}, {M, N}, {1}, {1, 1}};
    const int with_c = static_cast<int>(pick(0, static_cast<int64_t>(c_shapes.size())));
    const uint32_t seed = 5000 + 3 * static_cast<uint32_t>(i);
    const Constant a = random_floats(ta ? Shape{K, M} : Shape{M, K}, seed);
    const Constant b = random_floats(tb ? Shape{N, K} : Shape{K, N}, seed + 1);
    const Constant c = random_floats(with_c ? c_shapes[with_c - 1] : Shape{1}, seed + 2);
    OneNode n("Gemm");
    n.input(a);
    if (const_b)
      n.constant(b);
    else
      n.input(b);
    if (with_c) n.constant(c);
    n.attr("transA", int(ta)).attr("transB", int(tb)).attr("alpha", alpha).attr("beta", beta);
    const Constant want = gemm_reference(a, b, with_c ? &c : nullptr, ta, tb, alpha, beta);
    ASSERT_LE(rel_error(n.run1(1 + i % 2), want), 4e-6)
        << fmt::format("M {} N {} K {} transA {} transB {} C {} const B {} alpha {} beta {}", M, N,
                       K, ta, tb, with_c ? graph::shape_string(c.shape) : "none", const_b, alpha,
                       beta);
  }
}

TEST(OpsLinear, FullyConnectedLayer) {
  // ResNet-50's classifier: [N, 2048] x [1000, 2048]^T + [1000], PyTorch's export (transB = 1).
  const Constant w = random_floats({1000, 2048}, 3), bias = random_floats({1000}, 4);
  for (int64_t batch : {1, 4}) {
    const Constant x = random_floats({batch, 2048}, 5);
    OneNode n("Gemm");
    n.input(x).constant(w).constant(bias).attr("transB", 1);
    EXPECT_NE(n.describe().find("packed"), std::string::npos) << n.describe();
    const Constant one = n.run1(1), two = n.run1(2);
    EXPECT_EQ(one.f, two.f);  // deterministic: the same sums in the same order
    EXPECT_LE(rel_error(one, gemm_reference(x, w, &bias, false, true, 1, 1)), 2e-6);
  }
}

TEST(OpsLinear, GemmErrors) {
  auto err = [](OneNode n) { return error_of([&] { n.shapes(); }); };
  const Constant a = random_floats({2, 3}, 1), b = random_floats({3, 4}, 2);
  EXPECT_NE(err(OneNode("Gemm").input(a).input(random_floats({4, 3}, 3))).find("disagree on K"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Gemm").input(a).input(b).constant(random_floats({3}, 4)))
                .find("does not broadcast"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Gemm").input(a).input(b).constant(random_floats({2, 4, 1}, 4)))
                .find("does not broadcast"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Gemm").input(random_floats({2, 3, 1}, 1)).input(b)).find("must be 2-D"),
            std::string::npos);
  EXPECT_NE(err(OneNode("Gemm").input(a).input(b).attr("transA", 2)).find("'transA' = 2"),
            std::string::npos);
  EXPECT_NE(err(OneNode("MatMul").input(a).input(random_floats({4, 2}, 5))).find("disagree on K"),
            std::string::npos);
  EXPECT_NE(
      err(OneNode("MatMul").input(random_floats({2, 2, 3}, 1)).input(random_floats({3, 3, 4}, 2)))
          .find("not broadcastable"),
      std::string::npos);
}

// numpy.matmul by its definition: promote 1-D operands, broadcast batch dims, drop added dims.
Constant matmul_reference(const Constant& a, const Constant& b) {
  Shape as = a.shape, bs = b.shape;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  const size_t rank = std::max(as.size(), bs.size());
  as.insert(as.begin(), rank - as.size(), 1);
  bs.insert(bs.begin(), rank - bs.size(), 1);
  Shape batch(rank - 2);
  for (size_t d = 0; d + 2 < rank; ++d) batch[d] = std::max(as[d], bs[d]);
  Shape full = batch;
  full.push_back(M);
  full.push_back(N);
  std::vector<float> y(graph::numel(full));
  for (int64_t e = 0; e < int64_t(y.size()); ++e) {
    const std::vector<int64_t> o = unravel(e, full);
    std::vector<int64_t> ai(rank), bi(rank);
    for (size_t d = 0; d + 2 < rank; ++d) {
      ai[d] = as[d] == 1 ? 0 : o[d];
      bi[d] = bs[d] == 1 ? 0 : o[d];
    }
    double s = 0;
    for (int64_t k = 0; k < K; ++k) {
      ai[rank - 2] = o[rank - 2];
      ai[rank - 1] = k;
      bi[rank - 2] = k;
      bi[rank - 1] = o[rank - 1];
      s += double(a.f[ravel(ai, as)]) * b.f[ravel(bi, bs)];
    }
    y[e] = float(s);
  }
  Shape out = batch;
  if (a.shape.size() > 1) out.push_back(M);
  if (b.shape.size() > 1) out.push_back(N);
  return Constant::floats(out, y);
}

TEST(OpsLinear, MatMulShapes) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{5}, {5}},
      {{5}, {5, 3}},
      {{4, 5}, {5}},
      {{3, 4}, {4, 300}},
      {{9, 70}, {70, 10}},
      {{2, 3, 4}, {4, 5}},
      {{4}, {2, 4, 3}},
      {{2, 3, 4}, {2, 4, 5}},
      {{1, 3, 4}, {3, 4, 5}},
      {{2, 1, 3, 4}, {1, 3, 4, 2}},
      {{3, 2, 6}, {6}},
      {{1, 2, 3, 4}, {1, 2, 4, 3}},
      {{0, 4}, {4, 3}},
      {{2, 0}, {0, 3}},
  };
  uint32_t seed = 10;
  for (const auto& [sa, sb] : cases) {
    const Constant a = random_floats(sa, seed++), b = random_floats(sb, seed++);
    const Constant want = matmul_reference(a, b);
    const std::string what = graph::shape_string(sa) + " x " + graph::shape_string(sb);
    for (bool const_b : {false, true}) {
      OneNode n("MatMul");
      n.input(a);
      if (const_b)
        n.constant(b);
      else
        n.input(b);
      ASSERT_EQ(n.shapes()[0], want.shape) << what;
      EXPECT_LE(rel_error(n.run1(2), want), 2e-6) << what;
    }
  }
  // large, across threads: the same bits
  const Constant a = random_floats({4, 64, 96}, 1), b = random_floats({96, 300}, 2);
  EXPECT_EQ(OneNode("MatMul").input(a).constant(b).run1(1).f,
            OneNode("MatMul").input(a).constant(b).run1(2).f);
  EXPECT_LE(rel_error(OneNode("MatMul").input(a).constant(b).run1(2), matmul_reference(a, b)),
            2e-6);
}

}  // namespace
}  // namespace onexn::test
