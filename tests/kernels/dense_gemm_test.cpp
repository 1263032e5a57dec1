// The GEMM kernel of the fully connected layers against its double-precision reference, on random
// shapes (odd M, N, K, N around the panel width, K = 0), A read plain or transposed (strides),
// B row-major (with a row stride wider than N) or packed in panels of this target's width or
// another's, blocks that start inside Y;
// on every SIMD target this CPU can run. Outputs outside the block must stay untouched.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/dense_gemm.hpp"

namespace onexn {
namespace {

constexpr float kPoison = 1e30f;

struct GemmCase {
  int64_t M, N, K;
  bool trans_a, packed;
  int64_t ldb_extra;
  int64_t m0, m1, n0, n1;  // the block (n0 a multiple of the panel width)
  int64_t panel_width = 0;  // 0: gemm_panel_width()
};

std::string describe(const GemmCase& c, int64_t W) {
  return "M " + std::to_string(c.M) + " N " + std::to_string(c.N) + " K " + std::to_string(c.K) +
         " transA " + std::to_string(c.trans_a) + (c.packed ? " packed" : " row-major") +
         " ldb +" + std::to_string(c.ldb_extra) + " block rows [" + std::to_string(c.m0) + ", " +
         std::to_string(c.m1) + ") cols [" + std::to_string(c.n0) + ", " + std::to_string(c.n1) +
         ") W " + std::to_string(W);
}

void check_case(const GemmCase& c, std::mt19937& rng) {
  const int64_t W = c.panel_width ? c.panel_width : gemm_panel_width();
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> a(c.M * c.K), b(c.K * (c.N + c.ldb_extra));
  for (float& v : a) v = u(rng);
  for (float& v : b) v = u(rng);
  const int64_t ldb = c.N + c.ldb_extra;
  std::vector<float> panels;
  GemmOperands op;
  op.K = c.K;
  op.a = a.data();
  op.a_rs = c.trans_a ? 1 : c.K;  // transposed: A stored K x M
  op.a_cs = c.trans_a ? c.M : 1;
  op.panel_width = W;
  if (c.packed) {
    panels = pack_gemm_panels(b.data(), c.K, c.N, ldb, W);
    op.b = panels.data();
    op.row_stride = W;
    op.panel_stride = c.K * W;
    op.padded_panels = true;
  } else {
    op.b = b.data();
    op.row_stride = ldb;
    op.panel_stride = W;
  }
  std::vector<float> got(c.M * c.N, kPoison), want(c.M * c.N, kPoison);
  op.y = got.data();
  op.ldy = c.N;
  gemm_block(op, c.m0, c.m1, c.n0, c.n1);
  GemmOperands ref = op;
  ref.y = want.data();
  gemm_block_reference(ref, c.m0, c.m1, c.n0, c.n1);
  for (int64_t m = 0; m < c.M; ++m) {
    for (int64_t n = 0; n < c.N; ++n) {
      const size_t i = static_cast<size_t>(m * c.N + n);
      const bool inside = m >= c.m0 && m < c.m1 && n >= c.n0 && n < c.n1;
      if (!inside) {
        ASSERT_EQ(got[i], kPoison) << "wrote outside the block at (" << m << ", " << n << "): "
                                   << describe(c, W);
        continue;
      }
      // Each product is at most 1 in magnitude: the float chain's error is within K ulps of 1.
      const double tol = 1e-6 * (c.K + 1);
      ASSERT_NEAR(got[i], want[i], tol) << "at (" << m << ", " << n << "): " << describe(c, W);
    }
  }
}

void run_random_cases(int count, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int i = 0; i < count; ++i) {
    GemmCase c{};
    // Mostly this target's panel width; sometimes another target's, or one that is no multiple
    // of the lanes (panels packed before the target changed).
    const int64_t widths[] = {4, 8, 16, 24, 32, 64, 128};
    c.panel_width = i % 4 == 1 ? widths[pick(0, 6)] : gemm_panel_width();
    const int64_t W = c.panel_width;
    c.M = pick(1, 11);
    // N: below, at and above whole panels, with a lone column now and then.
    c.N = i % 7 == 0 ? 1 : pick(std::max<int64_t>(1, W - 3), 3 * W + 5);
    c.K = i % 11 == 0 ? 0 : pick(1, 70);
    c.trans_a = i % 2 == 1;
    c.packed = i % 3 == 0;
    c.ldb_extra = i % 4 == 2 ? pick(1, 9) : 0;
    c.m0 = i % 5 == 4 ? pick(0, c.M - 1) : 0;
    c.m1 = i % 5 == 4 ? pick(c.m0 + 1, c.M) : c.M;
    const int64_t panels = (c.N + W - 1) / W;
    c.n0 = i % 5 == 3 ? pick(0, panels - 1) * W : 0;
    c.n1 = i % 5 == 3 ? pick(c.n0 + 1, c.N) : c.N;
    check_case(c, rng);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(DenseGemm, MatchesTheReferenceOnRandomShapesOnEveryTarget) {
  int targets = 0;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    run_random_cases(150, 7 + static_cast<uint32_t>(target % 991));
    ++targets;
    if (::testing::Test::HasFatalFailure()) break;
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_GE(targets, 1);
}

// The fully connected shapes of the models (ResNet-50 at batch 1 and 8, MobileNetV2), packed.
TEST(DenseGemm, ModelShapes) {
  std::mt19937 rng(3);
  for (GemmCase c : {GemmCase{1, 1000, 2048, false, true, 0, 0, 1, 0, 1000},
                     GemmCase{8, 1000, 2048, false, true, 0, 0, 8, 0, 1000},
                     GemmCase{1, 1000, 1280, false, true, 0, 0, 1, 0, 1000}}) {
    check_case(c, rng);
  }
}

}  // namespace
}  // namespace onexn
