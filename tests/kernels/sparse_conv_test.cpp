// The fast sparse convolutions (1xN and CSR) against the scalar dense reference, on random shapes
// that hit the awkward cases: leftover pixels and channels, C_out not divisible by N, all-zero
// groups, every layout (direct, padded, phases), strides 1 and 2, groups, batch > 1, threads,
// every epilogue, dilations 1-3; on every SIMD target this CPU can run.
#include <cstring>
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "kernels/reference/reference_conv.hpp"
#include "kernels/sparse_conv.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

struct Case {
  ConvParams p;
  int n = 4;
  double sparsity = 0.5;  // 1.0: every block zero
  Epilogue epi;
  int threads = 1;
  WorkSplit split = WorkSplit::automatic;
};

ConvParams random_params(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  static constexpr int64_t kKernels[] = {1, 1, 3, 3, 5, 7};
  ConvParams p;
  p.kh = p.kw = kKernels[pick(0, 5)];
  if (pick(0, 5) == 0) p.kw = p.kh == 1 ? 3 : 1;  // non-square kernels too
  p.batch = pick(1, 3);
  p.groups = pick(0, 3) == 0 ? 2 : 1;
  p.c_in = p.groups * pick(1, 24);
  p.c_out = p.groups * pick(1, 40);
  p.stride_h = p.stride_w = pick(1, 2);
  if (pick(0, 3) == 0) {  // dilated (DeepLab-style atrous convs), also with strides
    p.dilation_h = pick(1, 3);
    p.dilation_w = pick(0, 1) ? p.dilation_h : pick(1, 3);
  }
  if (pick(0, 2) > 0) {
    p.pad_top = pick(0, p.kh / 2 + 1);
    p.pad_bottom = pick(0, p.kh / 2 + 1);
    p.pad_left = pick(0, p.kw / 2 + 1);
    p.pad_right = pick(0, p.kw / 2 + 1);
  }
  const int64_t span_h = (p.kh - 1) * p.dilation_h + 1, span_w = (p.kw - 1) * p.dilation_w + 1;
  p.h = pick(std::max<int64_t>(1, span_h - p.pad_top - p.pad_bottom), span_h + 30);
  p.w = pick(std::max<int64_t>(1, span_w - p.pad_left - p.pad_right), span_w + 30);
  return p;
}

// Runs both sparse kernels on one case and compares them with conv2d_dense_ref.
void check_case(const Case& c, uint32_t seed, std::set<std::string>* kernels = nullptr) {
  const ConvParams& p = c.p;
  const WeightShape ws = p.weight_shape();
  std::vector<float> w = test::random_values(ws.numel(), seed);
  const std::vector<float> x = test::random_values(p.input_numel(), seed + 1);
  Mask mask = c.sparsity >= 1.0 ? Mask(ws.numel(), 0)
                                : compute_mask({w.data(), ws}, Pattern::one_by_n(c.n), c.sparsity);
  apply_mask({w.data(), ws}, mask);
  std::vector<float> ref(p.output_numel());
  conv2d_dense_ref(p, x.data(), w.data(), c.epi, ref.data());

  SparseConv block = SparseConv::from_1xn(p, pack_1xn({w.data(), ws}, c.n));
  SparseConv csr = SparseConv::from_csr(p, {w.data(), ws});
  block.set_work_split(c.split);
  csr.set_work_split(c.split);
  for (const SparseConv* conv : {&block, &csr}) {
    std::vector<float> y(p.output_numel(), NAN);
    conv->run(x.data(), y.data(), c.epi, c.threads);
    // The reference sums in double, the kernels in float over up to 1176 products (24 channels x
    // 49 taps) in another order: allow 1e-4 of the largest output. A wrong or missing weight
    // costs errors of order 1e-1.
    EXPECT_LE(test::max_relative_error(y, ref), 1e-4)
        << conv->kernel_name() << " on " << p.to_string() << ", 1x" << c.n << " p=" << c.sparsity
        << ", threads " << c.threads << ", activation " << int(c.epi.activation)
        << (c.epi.residual ? " + residual" : "");
    if (kernels) kernels->insert(conv->kernel_name());
  }
}

void run_random_cases(int count, uint32_t seed, std::set<std::string>* kernels) {
  std::mt19937 rng(seed);
  const double sparsities[] = {0.0, 0.5, 0.95, 1.0};
  for (int i = 0; i < count; ++i) {
    Case c;
    c.p = random_params(rng);
    c.n = kBlockSizes[rng() % std::size(kBlockSizes)];
    c.sparsity = sparsities[rng() % 4];
    c.threads = 1 + rng() % 3;
    c.split = static_cast<WorkSplit>(rng() % 3);
    std::vector<float> bias = test::random_values(c.p.c_out, seed + i);
    std::vector<float> residual = test::random_values(c.p.output_numel(), seed + 7 * i);
    if (rng() % 4) c.epi.bias = bias.data();
    if (rng() % 3 == 0) c.epi.residual = residual.data();
    c.epi.activation = static_cast<Activation>(rng() % 5);
    c.epi.clip_min = -0.25f;
    c.epi.clip_max = 0.5f;
    check_case(c, seed + 100 * i, kernels);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(SparseConv, MatchesTheReferenceOnRandomShapesOnEveryTarget) {
  std::set<std::string> kernels;
  std::set<std::string> targets;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    run_random_cases(60, 1000 + static_cast<uint32_t>(target % 997), &kernels);
    for (const auto& k : kernels) {  // "1x16 AVX3 16x1 padded": the second word is the target
      std::istringstream words(k);
      std::string pattern, target;
      words >> pattern >> target;
      targets.insert(target);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  std::string seen;
  for (const auto& t : targets) seen += t + " ";
  std::cout << "targets tested: " << seen << "(" << kernels.size() << " kernel variants)\n";
  EXPECT_GE(targets.size(), 1u);
#if defined(__x86_64__)
  if (hwy::SupportedTargets() & HWY_AVX3) {
    EXPECT_GE(targets.size(), 3u) << seen;
  }
#endif
}

// Every tile shape a target has (rows 1 to 16, pixel vectors 1 to the register limit), forced
// through ONEXN_TILE_ROWS / ONEXN_TILE_VECTORS, on the 1x16 and CSR kernels: the automatic choice
// reaches only some of them on a given layer.
TEST(SparseConv, EveryTileShapeOfEveryTargetMatchesTheReference) {
  std::set<std::string> kernels;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (const char* rows : {"1", "2", "4", "8", "16"}) {
      for (const char* vectors : {"1", "2", "3", "12"}) {
        ::setenv("ONEXN_TILE_ROWS", rows, 1);
        ::setenv("ONEXN_TILE_VECTORS", vectors, 1);
        std::mt19937 rng(static_cast<uint32_t>(target % 991) + static_cast<uint32_t>(std::atoi(rows) * 13 + std::atoi(vectors)));
        for (int i = 0; i < 3; ++i) {
          Case c;
          c.p = random_params(rng);
          c.n = 16;
          c.sparsity = 0.5;
          c.threads = 1 + i % 2;
          std::vector<float> bias = test::random_values(c.p.c_out, 7 + i);
          c.epi.bias = bias.data();
          c.epi.activation = Activation::relu;
          check_case(c, 300 + i, &kernels);
        }
      }
    }
  }
  ::unsetenv("ONEXN_TILE_ROWS");
  ::unsetenv("ONEXN_TILE_VECTORS");
  hwy::SetSupportedTargetsForTest(0);
#if defined(__x86_64__)
  if (hwy::SupportedTargets() & HWY_AVX2) {
    // The tiles of the 16-register x86 targets, 4x3 (every register) among them.
    for (const char* tile : {"AVX2 1x7", "AVX2 2x5", "AVX2 4x3", "AVX2 4x1", "AVX2 8x1"}) {
      bool seen = false;
      for (const auto& k : kernels) seen = seen || k.find(tile) != std::string::npos;
      EXPECT_TRUE(seen) << tile;
    }
  }
#endif
}

#if defined(__x86_64__)
// On AVX2 the tile fills all 16 registers where pixels are plenty (4x3: 7 loads per 12 FMAs)
// and takes 8x1 only where rounding to 24 pixels would waste more than the faster tile gains.
TEST(SparseConv, Avx2PicksTheFourByThreeTileOnLargePlanes) {
  if (!(hwy::SupportedTargets() & HWY_AVX2)) GTEST_SKIP() << "no AVX2";
  hwy::SetSupportedTargetsForTest(HWY_AVX2);
  ConvParams p;
  p.c_in = 32, p.c_out = 32, p.h = p.w = 28;
  const std::vector<float> w = test::random_values(p.weight_shape().numel(), 1);
  const SparseConv conv = SparseConv::from_1xn(p, pack_1xn({w.data(), p.weight_shape()}, 16, Mask(w.size(), 1)));
  EXPECT_NE(conv.kernel_name().find("AVX2 4x3"), std::string::npos) << conv.kernel_name();
  hwy::SetSupportedTargetsForTest(0);
}
#endif

TEST(SparseConv, ResNetLikeShapesWithLongTails) {
  // Channel counts and spatial sizes of real layers (7x7 and 14x14 tails, 3x3 stride 2, 1x1
  // stride 2), with 2 threads, at the pattern sizes the benchmarks use.
  const int64_t shapes[][6] = {  // c_in, c_out, hw, k, stride, pad
      {64, 64, 56, 3, 1, 1}, {256, 64, 14, 1, 1, 0}, {128, 128, 28, 3, 2, 1},
      {512, 100, 7, 3, 1, 1}, {96, 200, 13, 1, 2, 0}, {33, 48, 9, 5, 1, 2}};
  for (const auto& s : shapes) {
    for (int n : {4, 16}) {
      Case c;
      c.p.c_in = s[0];
      c.p.c_out = s[1];
      c.p.h = c.p.w = s[2];
      c.p.kh = c.p.kw = s[3];
      c.p.stride_h = c.p.stride_w = s[4];
      c.p.pad_top = c.p.pad_left = c.p.pad_bottom = c.p.pad_right = s[5];
      c.n = n;
      c.sparsity = 0.7;
      c.threads = 2;
      std::vector<float> bias = test::random_values(c.p.c_out, 3);
      c.epi.bias = bias.data();
      c.epi.activation = Activation::relu;
      check_case(c, 42);
    }
  }
}

TEST(SparseConv, ResultDoesNotDependOnTheThreadCount) {
  // Threads claim chunks of pixels or of row groups at run time (sparse_conv.cpp), so which
  // thread computes an output changes from call to call; its value must not, nor may the split.
  // Shapes that split by pixels (56x56) and by groups (7x7, 14x14), batch 2.
  const int64_t shapes[][5] = {{64, 64, 56, 3, 1}, {256, 96, 14, 1, 1}, {512, 64, 7, 3, 1}, {64, 128, 28, 3, 2}};
  for (const auto& s : shapes) {
    ConvParams p;
    p.batch = 2;
    p.c_in = s[0];
    p.c_out = s[1];
    p.h = p.w = s[2];
    p.kh = p.kw = s[3];
    p.stride_h = p.stride_w = s[4];
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = s[3] / 2;
    const WeightShape ws = p.weight_shape();
    std::vector<float> w = test::random_values(ws.numel(), 11);
    apply_mask({w.data(), ws}, compute_mask({w.data(), ws}, Pattern::one_by_n(16), 0.7));
    const std::vector<float> x = test::random_values(p.input_numel(), 12);
    SparseConv conv = SparseConv::from_1xn(p, pack_1xn({w.data(), ws}, 16));
    std::vector<float> one(p.output_numel());
    conv.run(x.data(), one.data(), {}, 1);
    // Either split, forced, on any thread count (the runtime may pick either at load).
    for (WorkSplit split : {WorkSplit::automatic, WorkSplit::pixels, WorkSplit::groups}) {
      conv.set_work_split(split);
      for (int threads : {1, 2, 3, 2, 4}) {
        std::vector<float> many(p.output_numel(), NAN);
        conv.run(x.data(), many.data(), {}, threads);
        EXPECT_EQ(0, std::memcmp(one.data(), many.data(), one.size() * sizeof(float)))
            << p.to_string() << " with " << threads << " threads, " << conv.kernel_name()
            << ", differs from 1 thread";
      }
    }
  }
}

TEST(SparseConv, RejectsWhatItDoesNotCover) {
  ConvParams p;
  p.c_in = 8;
  p.c_out = 8;
  p.h = p.w = 9;
  p.kh = p.kw = 3;
  const WeightShape ws = p.weight_shape();
  const std::vector<float> w = test::random_values(ws.numel(), 5);
  ConvParams uneven = p;
  uneven.stride_h = 2;
  EXPECT_THROW(SparseConv::from_csr(uneven, {w.data(), ws}), InvalidArgument);
  ConvParams wider = p;
  wider.c_out = 16;
  EXPECT_THROW(SparseConv::from_1xn(wider, pack_1xn({w.data(), ws}, 4)), InvalidArgument);
}

TEST(SparseConv, ConcurrentRunsWithTheirOwnWorkspacesAgree) {
  ConvParams p;
  p.c_in = 32;
  p.c_out = 48;
  p.h = p.w = 20;
  p.kh = p.kw = 3;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  const WeightShape ws = p.weight_shape();
  std::vector<float> w = test::random_values(ws.numel(), 8);
  apply_mask({w.data(), ws}, compute_mask({w.data(), ws}, Pattern::one_by_n(8), 0.6));
  const SparseConv conv = SparseConv::from_1xn(p, pack_1xn({w.data(), ws}, 8));
  const std::vector<float> x = test::random_values(p.input_numel(), 9);
  std::vector<float> first(p.output_numel());
  conv.run(x.data(), first.data(), {}, 1);
  std::vector<std::vector<float>> outs(4, std::vector<float>(p.output_numel()));
  std::vector<std::thread> pool;
  for (auto& out : outs) pool.emplace_back([&] { conv.run(x.data(), out.data(), {}, 1); });
  for (auto& t : pool) t.join();
  for (const auto& out : outs) EXPECT_EQ(out, first);  // deterministic for a thread count
}

}  // namespace
}  // namespace onexn
