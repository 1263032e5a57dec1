// The pooling kernels against the scalar references (kernels/reference/pool_ref.hpp), on random
// geometries that hit the awkward cases: kernels 1-5 (non-square), strides 1-4 (H and W apart),
// dilations, pads on some sides only, ceil_mode windows reaching past the end pads, 1x1 planes,
// rows shorter than a vector and not a multiple of one; on every SIMD target this CPU can run.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <random>
#include <set>

#include "kernels/pooling.hpp"
#include "kernels/reference/pool_ref.hpp"
#include "onexn/error.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

// The output size along one dim, as ONNX defines it for explicit pads (floor or ceil_mode, the
// last window never starting in the end padding); 0 when the window does not fit.
int64_t out_size(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad_begin,
                 int64_t pad_end, bool ceil_mode) {
  const int64_t span = in + pad_begin + pad_end - ((kernel - 1) * dilation + 1);
  if (span < 0) return 0;
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
  return out;
}

// Random geometries whose every window holds a tap inside the input.
PoolParams random_pool(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (;;) {
    PoolParams p;
    p.kind = static_cast<PoolKind>(pick(0, 2));
    p.kh = pick(1, 5);
    p.kw = pick(0, 2) ? p.kh : pick(1, 5);
    p.stride_h = pick(1, 3);
    p.stride_w = pick(0, 2) ? p.stride_h : pick(1, 4);
    if (pick(0, 3) == 0) {
      p.dilation_h = pick(1, 3);
      p.dilation_w = pick(1, 3);
    }
    const int64_t ext_h = (p.kh - 1) * p.dilation_h + 1, ext_w = (p.kw - 1) * p.dilation_w + 1;
    p.pad_top = pick(0, ext_h - 1);
    p.pad_bottom = pick(0, ext_h - 1);
    p.pad_left = pick(0, ext_w - 1);
    p.pad_right = pick(0, ext_w - 1);
    if (pick(0, 9) == 0) {  // 1x1 planes
      p.in_h = p.in_w = 1;
    } else {
      p.in_h = pick(1, 30);
      p.in_w = pick(1, pick(0, 1) ? 20 : 140);
    }
    const bool ceil_mode = pick(0, 1);
    p.out_h = out_size(p.in_h, p.kh, p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom, ceil_mode);
    p.out_w = out_size(p.in_w, p.kw, p.stride_w, p.dilation_w, p.pad_left, p.pad_right, ceil_mode);
    if (p.out_h < 1 || p.out_w < 1) continue;
    if (detail::Pool2d::unsupported(p).find("no tap") != std::string::npos) continue;
    return p;
  }
}

void check(const PoolParams& p, int64_t planes, uint32_t seed, std::set<std::string>* names) {
  const std::vector<float> x = test::random_values(planes * p.in_h * p.in_w, seed);
  std::vector<float> ref(planes * p.out_h * p.out_w);
  for (int64_t c = 0; c < planes; ++c) pool2d_ref(p, x.data() + c * p.in_h * p.in_w, ref.data() + c * p.out_h * p.out_w);
  ASSERT_EQ(detail::Pool2d::unsupported(p), "") << p.to_string();
  const detail::Pool2d pool(p);
  ASSERT_LE(pool.workspace_floats(), detail::Pool2d::kMaxWorkspaceFloats);
  // Workspace and output surrounded by NaN: a read of an unset workspace float or a write past
  // the output shows.
  std::vector<float> workspace(pool.workspace_floats() + 32, NAN);
  std::vector<float> y(ref.size() + 32, NAN);
  pool.run(x.data(), y.data(), planes, workspace.data());
  for (size_t k = ref.size(); k < y.size(); ++k) ASSERT_TRUE(std::isnan(y[k])) << "wrote past the output of " << p.to_string();
  y.resize(ref.size());
  if (p.kind == PoolKind::max) {
    EXPECT_EQ(y, ref) << pool.kernel_name() << " on " << p.to_string();
  } else {
    EXPECT_LE(test::max_relative_error(y, ref), 1e-6) << pool.kernel_name() << " on " << p.to_string();
  }
  names->insert(pool.kernel_name());
}

TEST(Pool2d, MatchesTheReferenceOnRandomShapesOnEveryTarget) {
  std::set<std::string> names;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    std::mt19937 rng(static_cast<uint32_t>(target % 9973));
    for (int i = 0; i < 300; ++i) {
      check(random_pool(rng), 1 + i % 3, 100 + i, &names);
      if (::testing::Test::HasFailure()) break;
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_GE(names.size(), 2u);
}

TEST(Pool2d, NetworkShapesOnEveryTarget) {
  std::set<std::string> names;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    PoolParams p;  // ResNet's stem: 3x3 stride 2 pads 1 on 112x112
    p.in_h = p.in_w = 112;
    p.out_h = p.out_w = 56;
    p.kh = p.kw = 3;
    p.stride_h = p.stride_w = 2;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    check(p, 3, 1, &names);
    p = {};  // GoogLeNet's 3x3 stride 1 pads 1 max pool, and its average
    p.in_h = p.in_w = p.out_h = p.out_w = 28;
    p.kh = p.kw = 3;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    check(p, 2, 2, &names);
    p.kind = PoolKind::average_count_pad;
    check(p, 2, 3, &names);
    p = {};  // a 7x7 average over a 7x7 plane
    p.kind = PoolKind::average;
    p.in_h = p.in_w = p.kh = p.kw = 7;
    check(p, 4, 4, &names);
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST(Pool2d, DeclinesRowsBeyondItsWorkspace) {
  PoolParams p;
  p.in_w = p.out_w = detail::Pool2d::kMaxWorkspaceFloats + 1;
  EXPECT_NE(detail::Pool2d::unsupported(p).find("workspace"), std::string::npos);
  EXPECT_THROW(detail::Pool2d{p}, InvalidArgument);
  p.in_w = p.out_w = 100;
  p.kw = 0;
  EXPECT_NE(detail::Pool2d::unsupported(p), "");
}

TEST(GlobalPool, MatchesTheReferenceOnEveryTarget) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (int64_t n : {1, 3, 7, 15, 16, 17, 31, 49, 64, 65, 100, 196, 3136}) {
      for (bool max : {true, false}) {
        const int64_t planes = 5;
        const std::vector<float> x = test::random_values(planes * n, static_cast<uint32_t>(n));
        std::vector<float> y(planes + 1, NAN);
        detail::global_pool(max, x.data(), planes, n, y.data());
        EXPECT_TRUE(std::isnan(y[planes]));
        for (int64_t c = 0; c < planes; ++c) {
          const float want = global_pool_ref(max, x.data() + c * n, n);
          if (max) {
            EXPECT_EQ(y[c], want) << "max of " << n << " on " << hwy::TargetName(target);
          } else {
            // The float sum of n values of magnitude <= 1 is off by at most about n * eps of their
            // magnitude.
            EXPECT_NEAR(y[c], want, 1e-6) << "mean of " << n << " on " << hwy::TargetName(target);
          }
        }
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace
}  // namespace onexn
