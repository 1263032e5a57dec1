// MaxPool / AveragePool against a reference that pads the input explicitly and slides the
// window over the padded plane; GlobalAveragePool and ReduceMean against plain means,
// GlobalMaxPool against a plain maximum.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <random>

#include "ops_harness.hpp"

namespace onexn::test {
namespace {

TEST(OpsPooling, ByHand) {
  std::vector<float> v(16);
  for (int k = 0; k < 16; ++k) v[k] = float(k + 1);
  const Constant x = floats({1, 1, 4, 4}, v);
  const Constant mp = OneNode("MaxPool")
                          .input(x)
                          .attr("kernel_shape", std::vector<int64_t>{2, 2})
                          .attr("strides", std::vector<int64_t>{2, 2})
                          .run1();
  EXPECT_EQ(mp.shape, (Shape{1, 1, 2, 2}));
  EXPECT_EQ(mp.f, (std::vector<float>{6, 8, 14, 16}));
  // 3x3, pad 1: the corner window holds 1 2 5 6 (4 real of 9 positions).
  auto avg = [&](int cip) {
    return OneNode("AveragePool")
        .input(x)
        .attr("kernel_shape", std::vector<int64_t>{3, 3})
        .attr("pads", std::vector<int64_t>{1, 1, 1, 1})
        .attr("count_include_pad", cip)
        .run1();
  };
  EXPECT_EQ(avg(0).f.at(0), (1 + 2 + 5 + 6) / 4.0f);
  EXPECT_EQ(avg(1).f.at(0), (1 + 2 + 5 + 6) / 9.0f);
  EXPECT_EQ(avg(0).f.at(5), (1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9.0f);
  // ceil_mode: 4 wide, kernel 3, stride 2 -> 2 outputs, the last window clipped to 2 columns.
  const Constant c = OneNode("MaxPool")
                         .input(x)
                         .attr("kernel_shape", std::vector<int64_t>{3, 3})
                         .attr("strides", std::vector<int64_t>{2, 2})
                         .attr("ceil_mode", 1)
                         .run1();
  EXPECT_EQ(c.f, (std::vector<float>{11, 12, 15, 16}));
  // ceil_mode never starts a window in the end padding: 5 wide, k 2, s 2, pads 1 -> 3, not 4.
  const Constant x5 = random_floats({1, 1, 5, 5}, 3);
  EXPECT_EQ(OneNode("MaxPool")
                .input(x5)
                .attr("kernel_shape", std::vector<int64_t>{2, 2})
                .attr("strides", std::vector<int64_t>{2, 2})
                .attr("pads", std::vector<int64_t>{1, 1, 1, 1})
                .attr("ceil_mode", 1)
                .shapes()
                .at(0),
            (Shape{1, 1, 3, 3}));
}

struct PoolConfig {
  Shape x;  // N C [H] W
  std::vector<int64_t> kernel, strides, dilations, pads;
  std::string auto_pad = "NOTSET";
  int ceil_mode = 0, count_include_pad = 0;
};

// Reference: pads resolved, the input copied into a padded plane whose pad cells are marked,
// every window walked in padded coordinates. nullopt when some output window sees no input or
// the window does not fit (infer must reject those).
std::optional<Constant> pool_reference(const PoolConfig& c, const Constant& x, bool is_max) {
  const bool one_d = c.x.size() == 3;
  const int64_t N = c.x[0], C = c.x[1], H = one_d ? 1 : c.x[2], W = c.x.back();
  auto at = [&](const std::vector<int64_t>& v, int d) {
    return one_d ? (d == 0 ? 1 : v[0]) : v[d];
  };
  int64_t kd[2], sd[2], dd[2], pb[2], pe[2], out[2], in[2] = {H, W};
  for (int d = 0; d < 2; ++d) {
    kd[d] = at(c.kernel, d);
    sd[d] = at(c.strides, d);
    dd[d] = at(c.dilations, d);
    const int64_t ext = (kd[d] - 1) * dd[d] + 1;
    if (one_d && d == 0) {
      pb[d] = pe[d] = 0;
      out[d] = 1;
      continue;
    }
    const int64_t sp = one_d ? 1 : 2, di = one_d ? 0 : d;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      out[d] = (in[d] + sd[d] - 1) / sd[d];
      const int64_t total = std::max<int64_t>(0, (out[d] - 1) * sd[d] + ext - in[d]);
      pb[d] = c.auto_pad == "SAME_LOWER" ? (total + 1) / 2 : total / 2;
      pe[d] = total - pb[d];
      continue;
    }
    pb[d] = c.auto_pad == "VALID" ? 0 : c.pads[di];
    pe[d] = c.auto_pad == "VALID" ? 0 : c.pads[di + sp];
    if (pb[d] >= ext || pe[d] >= ext) return std::nullopt;
    const double span = double(in[d] + pb[d] + pe[d] - ext);
    if (span < 0) return std::nullopt;
    const bool up = c.ceil_mode && c.auto_pad == "NOTSET";
    out[d] = int64_t(up ? std::ceil(span / sd[d]) : std::floor(span / sd[d])) + 1;
    if (up && (out[d] - 1) * sd[d] >= in[d] + pb[d]) --out[d];
  }
  const int64_t PH = H + pb[0] + pe[0], PW = W + pb[1] + pe[1];
  Shape out_shape = {N, C};
  if (!one_d) out_shape.push_back(out[0]);
  out_shape.push_back(out[1]);
  Constant y = Constant::floats(out_shape, std::vector<float>(graph::numel(out_shape)));
  for (int64_t nc = 0; nc < N * C; ++nc) {
    std::vector<float> plane(PH * PW, 0.0f);
    std::vector<char> real(PH * PW, 0);
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t w = 0; w < W; ++w) {
        plane[(h + pb[0]) * PW + w + pb[1]] = x.f[(nc * H + h) * W + w];
        real[(h + pb[0]) * PW + w + pb[1]] = 1;
      }
    }
    for (int64_t oh = 0; oh < out[0]; ++oh) {
      for (int64_t ow = 0; ow < out[1]; ++ow) {
        float m = -INFINITY, s = 0.0f;
        int64_t n_real = 0, n_padded = 0;
        for (int64_t i = 0; i < kd[0]; ++i) {
          for (int64_t j = 0; j < kd[1]; ++j) {
            const int64_t ph = oh * sd[0] + i * dd[0], pw = ow * sd[1] + j * dd[1];
            if (ph >= PH || pw >= PW) continue;  // beyond the end pads (ceil_mode)
            ++n_padded;
            if (!real[ph * PW + pw]) continue;
            ++n_real;
            m = std::max(m, plane[ph * PW + pw]);
            s += plane[ph * PW + pw];
          }
        }
        if (n_real == 0) return std::nullopt;
        y.f[(nc * out[0] + oh) * out[1] + ow] =
            is_max ? m : s / float(c.count_include_pad ? n_padded : n_real);
      }
    }
  }
  return y;
}

std::string fmt_config(const PoolConfig& c, bool is_max) {
  return fmt::format(
      "{} x {} kernel [{}] strides [{}] dilations [{}] pads [{}] auto_pad {} ceil {} cip {}",
      is_max ? "MaxPool" : "AveragePool", graph::shape_string(c.x), fmt::join(c.kernel, ","),
      fmt::join(c.strides, ","), fmt::join(c.dilations, ","), fmt::join(c.pads, ","), c.auto_pad,
      c.ceil_mode, c.count_include_pad);
}

TEST(OpsPooling, RandomConfigsMatchReference) {
  std::mt19937 rng(7);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int compared = 0, rejected = 0;
  for (int trial = 0; trial < 600; ++trial) {
    PoolConfig c;
    const bool one_d = pick(0, 5) == 0;
    const int sp = one_d ? 1 : 2;
    c.x = {pick(1, 2), pick(1, 3)};
    for (int d = 0; d < sp; ++d) c.x.push_back(pick(1, 11));
    for (int d = 0; d < sp; ++d) {
      c.kernel.push_back(pick(1, 4));
      c.strides.push_back(pick(1, 3));
      c.dilations.push_back(pick(0, 3) == 0 ? 2 : 1);
    }
    for (int d = 0; d < 2 * sp; ++d) c.pads.push_back(pick(0, 2));
    const int mode = pick(0, 9);
    c.auto_pad = mode < 6    ? "NOTSET"
                 : mode == 6 ? "VALID"
                 : mode == 7 ? "SAME_UPPER"
                 : mode == 8 ? "SAME_LOWER"
                             : "NOTSET";
    if (c.auto_pad != "NOTSET") c.pads.assign(2 * sp, 0);
    c.ceil_mode = pick(0, 1);
    c.count_include_pad = pick(0, 1);
    const Constant x = random_floats(c.x, 100 + trial);
    for (bool is_max : {true, false}) {
      OneNode n(is_max ? "MaxPool" : "AveragePool", 12);
      n.input(x)
          .attr("kernel_shape", c.kernel)
          .attr("strides", c.strides)
          .attr("pads", c.pads)
          .attr("auto_pad", c.auto_pad)
          .attr("ceil_mode", c.ceil_mode)
          .attr("dilations", c.dilations);
      if (!is_max) n.attr("count_include_pad", c.count_include_pad);
      const std::optional<Constant> want = pool_reference(c, x, is_max);
      const std::string what = fmt_config(c, is_max);
      if (!want) {
        EXPECT_NE(error_of([&] { n.shapes(); }), "") << "infer accepted " << what;
        ++rejected;
        continue;
      }
      const Constant got = n.run1(trial % 2 + 1);
      ASSERT_EQ(got.shape, want->shape) << what;
      EXPECT_LE(rel_error(got, *want), 1e-6) << what;
      ++compared;
    }
  }
  EXPECT_GT(compared, 600);
  EXPECT_GT(rejected, 10);
}

TEST(OpsPooling, LargePlanesAnyThreads) {
  const Constant x = random_floats({1, 64, 56, 56}, 5);
  OneNode n("MaxPool");
  n.input(x)
      .attr("kernel_shape", std::vector<int64_t>{3, 3})
      .attr("strides", std::vector<int64_t>{2, 2})
      .attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  PoolConfig c{x.shape, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}};
  const Constant want = *pool_reference(c, x, true);
  EXPECT_EQ(n.run1(1).f, want.f);
  EXPECT_EQ(n.run1(2).f, want.f);
}

TEST(OpsPooling, Errors) {
  const Constant x = random_floats({1, 2, 6, 6}, 1);
  auto err = [&](OneNode n) { return error_of([&] { n.shapes(); }); };
  const auto k2 = std::vector<int64_t>{2, 2};
  EXPECT_NE(err(OneNode("MaxPool").input(x).attr("kernel_shape", k2).attr("storage_order", 1))
                .find("'storage_order' = 1"),
            std::string::npos);
  EXPECT_NE(err(OneNode("MaxPool").input(x).attr("kernel_shape", k2).outputs(2)).find("Indices"),
            std::string::npos);
  EXPECT_NE(err(OneNode("MaxPool").input(x).attr("kernel_shape", k2).attr("auto_pad", "SAME"))
                .find("'auto_pad' = 'SAME'"),
            std::string::npos);
  EXPECT_NE(err(OneNode("MaxPool").input(x)).find("'kernel_shape' is missing"), std::string::npos);
  EXPECT_NE(err(OneNode("MaxPool").input(x).attr("kernel_shape", std::vector<int64_t>{2}))
                .find("expected 2"),
            std::string::npos);
  EXPECT_NE(
      err(OneNode("AveragePool").input(x).attr("kernel_shape", k2).attr("count_include_pad", 2))
          .find("'count_include_pad' = 2"),
      std::string::npos);
  EXPECT_NE(err(OneNode("AveragePool").input(x).attr("kernel_shape", std::vector<int64_t>{7, 7}))
                .find("larger than"),
            std::string::npos);
  EXPECT_NE(err(OneNode("MaxPool")
                    .input(random_floats({1, 2, 3, 3, 3}, 1))
                    .attr("kernel_shape", std::vector<int64_t>{2, 2, 2}))
                .find("1-D and 2-D"),
            std::string::npos);
  EXPECT_NE(err(OneNode("MaxPool")
                    .input(x)
                    .attr("kernel_shape", k2)
                    .attr("pads", std::vector<int64_t>{1, 1, 1, 1})
                    .attr("auto_pad", "SAME_UPPER"))
                .find("together with auto_pad"),
            std::string::npos);
}

TEST(OpsPooling, GlobalMaxPool) {
  for (const Shape& s : {Shape{2, 3, 7, 7}, Shape{1, 5, 9}, Shape{1, 64, 3, 50}, Shape{2, 2, 1, 1}}) {
    const Constant x = random_floats(s, 4);
    const Constant y = OneNode("GlobalMaxPool").input(x).run1(2);
    Shape want_shape(s.size(), 1);
    want_shape[0] = s[0];
    want_shape[1] = s[1];
    ASSERT_EQ(y.shape, want_shape);
    const int64_t planes = s[0] * s[1], inner = graph::numel(s) / planes;
    for (int64_t p = 0; p < planes; ++p) {
      float m = x.f[p * inner];
      for (int64_t k = 1; k < inner; ++k) m = std::max(m, x.f[p * inner + k]);
      EXPECT_EQ(y.f[p], m);
    }
  }
}

TEST(OpsPooling, GlobalAveragePool) {
  for (const Shape& s :
       {Shape{2, 3, 7, 7}, Shape{1, 5, 9}, Shape{1, 2048, 7, 7}, Shape{2, 2, 1, 1}}) {
    const Constant x = random_floats(s, 9);
    const Constant y = OneNode("GlobalAveragePool").input(x).run1(2);
    Shape want_shape(s.size(), 1);
    want_shape[0] = s[0];
    want_shape[1] = s[1];
    ASSERT_EQ(y.shape, want_shape);
    const int64_t planes = s[0] * s[1], inner = graph::numel(s) / planes;
    for (int64_t p = 0; p < planes; ++p) {
      double sum = 0;
      for (int64_t k = 0; k < inner; ++k) sum += x.f[p * inner + k];
      EXPECT_NEAR(y.f[p], sum / inner, 1e-6);
    }
  }
}

// Reference mean over `axes` (all when empty), output with kept dims of size 1.
std::vector<double> reduce_reference(const Constant& x, const std::vector<int64_t>& axes) {
  Shape out = x.shape;
  for (size_t d = 0; d < out.size(); ++d) {
    bool r = axes.empty();
    for (int64_t a : axes) r |= (a < 0 ? a + int64_t(out.size()) : a) == int64_t(d);
    if (r) out[d] = 1;
  }
  std::vector<double> sum(graph::numel(out), 0.0), count(graph::numel(out), 0.0);
  for (int64_t k = 0; k < x.numel(); ++k) {
    std::vector<int64_t> idx = unravel(k, x.shape);
    for (size_t d = 0; d < out.size(); ++d)
      if (out[d] == 1) idx[d] = 0;
    sum[ravel(idx, out)] += x.f[k];
    count[ravel(idx, out)] += 1;
  }
  for (size_t j = 0; j < sum.size(); ++j) sum[j] /= count[j];
  return sum;
}

TEST(OpsPooling, ReduceMean) {
  const Constant x = random_floats({2, 3, 4, 5}, 17);
  const std::vector<std::vector<int64_t>> axes_cases = {
      {}, {0}, {1}, {3}, {2, 3}, {-1, -2}, {1, 3}, {0, 2}, {0, 1, 2, 3}, {-4}};
  for (const auto& axes : axes_cases) {
    for (int keep : {0, 1}) {
      OneNode n("ReduceMean");
      n.input(x).attr("keepdims", keep);
      if (!axes.empty()) n.attr("axes", axes);
      const Constant y = n.run1();
      const std::vector<double> want = reduce_reference(x, axes);
      ASSERT_EQ(y.numel(), int64_t(want.size()));
      for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(y.f[j], want[j], 1e-6);
      // keepdims = 0 drops exactly the reduced dims
      int64_t reduced = axes.empty() ? 4 : int64_t(axes.size());
      EXPECT_EQ(int64_t(y.shape.size()), keep ? 4 : 4 - reduced);
      // opset 18: axes as an input
      OneNode n18("ReduceMean", 18);
      n18.input(x).attr("keepdims", keep);
      if (!axes.empty()) n18.constant(ints({int64_t(axes.size())}, axes));
      EXPECT_EQ(n18.run1().f, y.f);
    }
  }
  EXPECT_EQ(OneNode("ReduceMean", 18).input(x).attr("noop_with_empty_axes", 1).run1().f, x.f);
  EXPECT_NE(error_of([&] {
              OneNode("ReduceMean").input(x).attr("axes", std::vector<int64_t>{4}).shapes();
            }).find("axes = 4 is out of range"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              OneNode("ReduceMean").input(x).attr("axes", std::vector<int64_t>{1, -3}).shapes();
            }).find("twice"),
            std::string::npos);
}

}  // namespace
}  // namespace onexn::test
