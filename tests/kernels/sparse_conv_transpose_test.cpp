// Transposed convolutions: the reference against ONNX's example numbers, and the phase-decomposed
// kernel (sparse 1xN and dense) against the reference on random shapes: strides 1-3, dilations
// 1-2, asymmetric pads (also past the kernel's reach), output padding, groups and depthwise, kernels smaller than the stride,
// 1xN masks on the output-channel axis, every epilogue, 1-3 threads, both work splits.
#include <gtest/gtest.h>

#include <random>

#include "kernels/sparse_conv_transpose.hpp"
#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "kernels/reference/reference_conv.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

ConvTransposeParams random_params(std::mt19937& rng) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  ConvTransposeParams p;
  p.batch = pick(1, 2);
  p.groups = pick(0, 4) == 0 ? 2 : 1;
  p.c_in = p.groups * pick(1, 12);
  p.c_out = p.groups * pick(1, 20);
  if (pick(0, 6) == 0) p.groups = p.c_in = p.c_out = pick(2, 6);  // depthwise
  p.kh = pick(1, 5);
  p.kw = pick(0, 2) ? p.kh : pick(1, 5);
  p.stride_h = pick(1, 3);
  p.stride_w = pick(0, 2) ? p.stride_h : pick(1, 3);
  if (pick(0, 3) == 0) p.dilation_h = p.dilation_w = 2;
  p.h = pick(1, 12);
  p.w = pick(1, 12);
  // Pads up to past the kernel's reach (they crop the output).
  p.pad_top = pick(0, (p.kh - 1) * p.dilation_h + 2);
  p.pad_bottom = pick(0, (p.kh - 1) * p.dilation_h + 1);
  p.pad_left = pick(0, (p.kw - 1) * p.dilation_w + 2);
  p.pad_right = pick(0, (p.kw - 1) * p.dilation_w + 1);
  p.output_pad_h = pick(0, std::max(p.stride_h, p.dilation_h) - 1);
  p.output_pad_w = pick(0, std::max(p.stride_w, p.dilation_w) - 1);
  return p;
}

TEST(ConvTransposeReference, MatchesAWorkedExample) {
  // x = [[0,1,2],[3,4,5],[6,7,8]], two 3x3 filters of ones, stride 1: ONNX's test_convtranspose
  // output for channel 0 (the operator's documentation example).
  ConvTransposeParams p;
  p.c_in = 1;
  p.c_out = 2;
  p.h = p.w = 3;
  p.kh = p.kw = 3;
  const std::vector<float> x = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<float> w(18, 1.0f);
  std::vector<float> y(p.output_numel());
  conv_transpose2d_ref(p, x.data(), w.data(), {}, y.data());
  const std::vector<float> want = {0,  1,  3,  3,  2,  3,  8,  15, 12, 7,  9,  21, 36,
                                   27, 15, 9,  20, 33, 24, 13, 6,  13, 21, 15, 8};
  ASSERT_EQ(p.out_h(), 5);
  EXPECT_EQ(std::vector<float>(y.begin(), y.begin() + 25), want);
  EXPECT_EQ(std::vector<float>(y.begin() + 25, y.end()), want);
}

void check(const ConvTransposeParams& p, int n, double sparsity, const Epilogue& epi, int threads,
           WorkSplit split, uint32_t seed) {
  std::vector<float> w = test::random_values(p.c_in * (p.c_out / p.groups) * p.kh * p.kw, seed);
  // The mask is taken in conv layout (1xN blocks of output channels) and carried back.
  std::vector<float> conv_w = conv_layout_weights(p, w.data());
  const WeightShape ws = p.weight_shape();
  const Mask mask = compute_mask({conv_w.data(), ws}, Pattern::one_by_n(n), sparsity);
  apply_mask({conv_w.data(), ws}, mask);
  w = iohw_from_oihw(conv_w, ws);  // the reference reads the stored [c_in][c_out/g][kh][kw]
  const std::vector<float> x = test::random_values(p.input_numel(), seed + 1);
  std::vector<float> ref(p.output_numel());
  conv_transpose2d_ref(p, x.data(), w.data(), epi, ref.data());
  for (bool dense : {false, true}) {
    detail::SparseConvTranspose conv(p, conv_w.data(), n, dense);
    conv.set_work_split(split);
    std::vector<float> work(conv.workspace_floats(threads)), y(p.output_numel(), NAN);
    conv.run(x.data(), y.data(), epi, threads, work.data());
    EXPECT_LE(test::max_relative_error(y, ref), 1e-4)
        << conv.kernel_name() << " on " << p.to_string() << ", 1x" << n << " p=" << sparsity
        << (dense ? " dense" : " sparse") << ", threads " << threads;
  }
}

TEST(SparseConvTranspose, MatchesTheReferenceOnRandomShapes) {
  std::mt19937 rng(42);
  const double sparsities[] = {0.0, 0.5, 0.95};
  int ran = 0;
  for (int i = 0; i < 150 && !::testing::Test::HasFailure(); ++i) {
    const ConvTransposeParams p = random_params(rng);
    if (!detail::SparseConvTranspose::unsupported(p).empty()) continue;  // pads left no output
    ++ran;
    const int n = kBlockSizes[rng() % 5];
    std::vector<float> bias = test::random_values(p.c_out, 7 + i);
    Epilogue epi;
    if (rng() % 3) epi.bias = bias.data();
    epi.activation = static_cast<Activation>(rng() % 5);
    epi.clip_min = -0.25f;
    epi.clip_max = 0.5f;
    check(p, n, sparsities[rng() % 3], epi, 1 + rng() % 3, static_cast<WorkSplit>(rng() % 3), 1000 + i);
  }
  EXPECT_GE(ran, 120);
}

TEST(SparseConvTranspose, CommonDecoderShapes) {
  // U-Net / FCN upsampling: 2x2 stride 2, 4x4 stride 2 pad 1, 3x3 stride 2 pad 1 output_padding 1.
  const int64_t shapes[][6] = {{32, 16, 14, 2, 2, 0}, {24, 24, 10, 4, 2, 1}, {16, 32, 9, 3, 2, 1}};
  for (const auto& s : shapes) {
    ConvTransposeParams p;
    p.c_in = s[0];
    p.c_out = s[1];
    p.h = p.w = s[2];
    p.kh = p.kw = s[3];
    p.stride_h = p.stride_w = s[4];
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = s[5];
    p.output_pad_h = p.output_pad_w = s[3] == 3 ? 1 : 0;
    check(p, 8, 0.7, {}, 2, WorkSplit::automatic, 5);
  }
}

TEST(SparseConvTranspose, RefusesBadGeometry) {
  ConvTransposeParams p;
  p.c_in = p.c_out = 4;
  p.h = p.w = 8;
  p.kh = p.kw = 3;
  p.stride_h = p.stride_w = 2;
  p.output_pad_h = -1;
  EXPECT_NE(detail::SparseConvTranspose::unsupported(p), "");
  const std::vector<float> w(4 * 4 * 9, 1.0f);
  EXPECT_THROW(detail::SparseConvTranspose(p, w.data(), 4, false), InvalidArgument);
  p.output_pad_h = 0;
  p.pad_top = p.pad_bottom = 9;  // nothing left of the 17 output rows
  EXPECT_THROW(p.validate(), InvalidArgument);
}

}  // namespace
}  // namespace onexn
