// Resize and Upsample against two independent references:
//   - PyTorch's F.interpolate (nearest, nearest-exact, bilinear and bicubic, align_corners true
//     and false, up and down, whole and fractional scales, scales and sizes) on random NCHW
//     inputs, through the Resize attributes torch.onnx writes for each mode;
//   - a plain element-by-element implementation of ONNX's reference algorithm (recursive over
//     axes, neighbours picked from the edge-padded axis) for every mode, coordinate mode and
//     nearest mode, ranks 1 to 4, scales and sizes, constant and run-time roi, int64 data; where
//     ONNX Runtime departs from it (axes of scale 1 stay as they are; align_corners with the
//     integer output length), the reference does as ONNX Runtime.
// Plus the legacy forms (Upsample-7 / 9, Resize-10), 1 vs 2 threads on large planes, folding,
// and malformed nodes failing with messages that name the node.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "onexn/npy.hpp"
#include "ops_harness.hpp"
#include "support/test_support.hpp"

namespace onexn::test {
namespace {

namespace fs = std::filesystem;
using V = std::vector<int64_t>;

// ---- A plain reference: ONNX's algorithm, element by element ------------------------------------

struct RefResize {
  std::string mode = "nearest";                     // nearest, linear, cubic
  std::string coordinates = "half_pixel";           // ONNX's names
  std::string nearest_mode = "round_prefer_floor";  // or "legacy": floor up, ceil down
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
  std::vector<double> scales;  // per axis, as in the coordinate formulas
  Shape in, out;
  std::vector<double> roi;  // starts then ends, for tf_crop_and_resize
};

double ref_original(const RefResize& r, size_t d, int64_t xo) {
  const double x = double(xo), s = r.scales[d], in = double(r.in[d]), out = double(r.out[d]);
  const std::string& m = r.coordinates;
  if (m == "half_pixel") return (x + 0.5) / s - 0.5;
  if (m == "pytorch_half_pixel") return out > 1 ? (x + 0.5) / s - 0.5 : 0.0;
  if (m == "align_corners") return out == 1 ? 0.0 : x * (in - 1) / (out - 1);
  if (m == "asymmetric") return x / s;
  if (m == "tf_half_pixel_for_nn") return (x + 0.5) / s;
  const size_t rank = r.in.size();
  const double start = r.roi[d], end = r.roi[d + rank];
  return out > 1 ? start * (in - 1) + x * (end - start) * (in - 1) / (out - 1)
                 : 0.5 * (start + end) * (in - 1);
}

// The n indices of the edge-padded axis nearest to x, ties to the smaller (ONNX's reference).
std::vector<int64_t> ref_neighbours(double x, int n, int64_t length) {
  const int64_t pad = (n + 1) / 2;
  std::vector<int64_t> idx;
  for (int64_t i = -pad; i < length + pad; ++i) idx.push_back(i);
  std::stable_sort(idx.begin(), idx.end(), [x](int64_t a, int64_t b) {
    const double da = std::abs(x - double(a)), db = std::abs(x - double(b));
    return da != db ? da < db : a < b;
  });
  idx.resize(n);
  std::sort(idx.begin(), idx.end());
  return idx;
}

double keys(double s, double a) {
  s = std::abs(s);
  if (s <= 1) return (a + 2) * s * s * s - (a + 3) * s * s + 1;
  if (s < 2) return a * s * s * s - 5 * a * s * s + 8 * a * s - 4 * a;
  return 0;
}

double ref_value(const RefResize& r, const std::vector<float>& x, const V& out_pos, size_t d,
                 V& in_pos) {
  if (d == r.in.size()) return x[ravel(in_pos, r.in)];
  // As ONNX Runtime: an axis of scale 1 is left as it is (tf_half_pixel_for_nn would shift it).
  const bool kept =
      r.in[d] == r.out[d] && r.scales[d] == 1.0 && r.coordinates != "tf_crop_and_resize";
  const double xo = kept ? double(out_pos[d]) : ref_original(r, d, out_pos[d]);
  const int64_t len = r.in[d];
  if (r.coordinates == "tf_crop_and_resize" && (xo < 0 || xo > double(len - 1)))
    return r.extrapolation;
  std::vector<int64_t> taps;
  std::vector<double> w;
  if (r.mode == "nearest" && r.nearest_mode == "legacy") {
    taps = {int64_t(r.scales[d] < 1 ? std::ceil(xo) : std::floor(xo))};
    w = {1.0};
  } else {
    const double ratio = xo == std::floor(xo) ? 1.0 : xo - std::floor(xo);
    if (r.mode == "nearest") {
      const std::string& nm = r.nearest_mode;
      bool second = ratio == 1.0 || (nm == "round_prefer_floor" && ratio > 0.5) ||
                    (nm == "round_prefer_ceil" && ratio >= 0.5) || nm == "ceil";
      if (ratio == 1.0) second = true;
      w = {second ? 0.0 : 1.0, second ? 1.0 : 0.0};
    } else if (r.mode == "linear") {
      w = {1 - ratio, ratio};
    } else {
      w = {keys(ratio + 1, r.cubic_a), keys(ratio, r.cubic_a), keys(1 - ratio, r.cubic_a),
           keys(2 - ratio, r.cubic_a)};
    }
    taps = ref_neighbours(xo, int(w.size()), len);
    if (r.exclude_outside) {
      double sum = 0;
      for (size_t k = 0; k < taps.size(); ++k) {
        if (taps[k] < 0 || taps[k] >= len) w[k] = 0;
        sum += w[k];
      }
      for (double& v : w) v /= sum;
    }
  }
  double acc = 0;
  for (size_t k = 0; k < taps.size(); ++k) {
    if (w[k] == 0) continue;
    in_pos[d] = std::clamp<int64_t>(taps[k], 0, len - 1);
    acc += w[k] * ref_value(r, x, out_pos, d + 1, in_pos);
  }
  return acc;
}

Constant ref_resize(const RefResize& r, const Constant& x) {
  std::vector<float> y(graph::numel(r.out));
  for (size_t k = 0; k < y.size(); ++k) {
    const V pos = unravel(int64_t(k), r.out);
    V in_pos(r.in.size());
    y[k] = float(ref_value(r, x.f, pos, 0, in_pos));
  }
  return floats(r.out, y);
}

// ---- PyTorch's F.interpolate
// ---------------------------------------------------------------------

struct TorchCase {
  std::string mode;  // nearest, nearest-exact, bilinear, bicubic
  int align = -1;    // align_corners for bilinear / bicubic
  Shape in;
  float scale_h = 0, scale_w = 0;  // or
  int64_t size_h = 0, size_w = 0;
};

// The Resize node torch.onnx (opset 13) writes for F.interpolate with these arguments
// (nearest-exact, which it cannot export, as the ONNX attributes with its meaning).
OneNode torch_resize_node(const TorchCase& c, const Constant& x) {
  OneNode n("Resize", 13);
  n.input(x).omitted();
  if (c.scale_h > 0) {
    n.constant(floats({4}, {1.0f, 1.0f, c.scale_h, c.scale_w}));
  } else {
    n.omitted().constant(ints({4}, {c.in[0], c.in[1], c.size_h, c.size_w}));
  }
  if (c.mode == "nearest") {
    n.attr("mode", "nearest").attr("coordinate_transformation_mode", "asymmetric");
    n.attr("nearest_mode", "floor");
  } else if (c.mode == "nearest-exact") {
    n.attr("mode", "nearest").attr("coordinate_transformation_mode", "half_pixel");
    n.attr("nearest_mode", "round_prefer_ceil");
  } else {
    n.attr("mode", c.mode == "bilinear" ? "linear" : "cubic").attr("cubic_coeff_a", -0.75f);
    n.attr("coordinate_transformation_mode", c.align ? "align_corners" : "half_pixel");
  }
  return n;
}

bool have_torch() {
  static const bool ok = run_command("/usr/bin/python3 -c 'import torch'").exit_code == 0;
  return ok;
}

TEST(OpsResize, MatchesPyTorchInterpolate) {
  if (!have_torch()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  std::vector<TorchCase> cases;
  const std::vector<std::pair<float, float>> scales = {{2.0f, 2.0f}, {3.0f, 2.0f}, {0.5f, 0.5f},
                                                       {1.7f, 1.3f}, {0.6f, 0.8f}, {2.5f, 0.75f},
                                                       {1.0f, 4.0f}};
  const std::vector<std::pair<int64_t, int64_t>> sizes = {
      {14, 18}, {5, 3}, {1, 1}, {9, 7}, {32, 21}};
  const std::vector<std::pair<std::string, int>> modes = {{"nearest", -1}, {"nearest-exact", -1},
                                                          {"bilinear", 0}, {"bilinear", 1},
                                                          {"bicubic", 0},  {"bicubic", 1}};
  const std::vector<Shape> shapes = {{1, 3, 7, 9}, {2, 2, 6, 5}, {1, 1, 16, 11}};
  int k = 0;
  for (const auto& [mode, align] : modes) {
    for (const auto& [sh, sw] : scales) {
      cases.push_back({mode, align, shapes[k++ % shapes.size()], sh, sw, 0, 0});
    }
    for (const auto& [oh, ow] : sizes) {
      cases.push_back({mode, align, shapes[k++ % shapes.size()], 0, 0, oh, ow});
    }
  }
  const fs::path dir = scratch_dir("resize-torch");
  {
    std::ofstream list(dir / "cases.txt");
    for (size_t i = 0; i < cases.size(); ++i) {
      const TorchCase& c = cases[i];
      const Constant x = random_floats(c.in, 100 + uint32_t(i), -2.0f, 2.0f);
      write_npy(dir / fmt::format("c{}.in.npy", i), {"x", c.in, x.f});
      list << fmt::format("c{} {} {} {:.9g} {:.9g} {} {}\n", i, c.mode, c.align, c.scale_h,
                          c.scale_w, c.size_h, c.size_w);
    }
  }
  const CommandResult r = run_command(
      "/usr/bin/python3 '" + (source_dir() / "tests/runtime/resize_torch_reference.py").string() +
      "' '" + dir.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (size_t i = 0; i < cases.size(); ++i) {
    const TorchCase& c = cases[i];
    const std::string what =
        fmt::format("case c{}: {} align {} in {} scales {} {} sizes {} {}", i, c.mode, c.align,
                    graph::shape_string(c.in), c.scale_h, c.scale_w, c.size_h, c.size_w);
    const FloatTensor want = read_npy(dir / fmt::format("c{}.out.npy", i));
    const FloatTensor in = read_npy(dir / fmt::format("c{}.in.npy", i));
    const Constant x = floats(in.dims, in.data);
    const OneNode n = torch_resize_node(c, x);
    const Constant y = n.run1(1);
    ASSERT_EQ(y.shape, want.dims) << what;
    const double tol = c.mode.rfind("nearest", 0) == 0 ? 0.0 : 1e-5;
    EXPECT_LE(rel_error(y, floats(want.dims, want.data)), tol) << what;
    EXPECT_EQ(n.run1(2).f, y.f) << what << " (2 threads)";
    EXPECT_EQ(n.fold().at(0).f, y.f) << what << " (folded)";
  }
  fs::remove_all(dir);
}

// ONNX's two align_corners downsampling cases with scales (its reference uses in x scale as the
// output length): onexn gives what ONNX Runtime and PyTorch give (sizes [1, 2] and [3, 3]).
TEST(OpsResize, AlignCornersUsesTheIntegerOutputLength) {
  const Constant x = floats({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  OneNode n("Resize", 13);
  n.input(x).omitted().constant(floats({4}, {1, 1, 0.6f, 0.6f}));
  n.attr("mode", "linear").attr("coordinate_transformation_mode", "align_corners");
  EXPECT_EQ(n.run1().f, (std::vector<float>{1, 4}));
}

// ---- Every mode against the plain reference
// ------------------------------------------------------

TEST(OpsResize, RandomConfigsMatchOnnxReference) {
  std::mt19937 rng(12);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const char* modes[] = {"nearest", "linear", "cubic"};
  const char* coords[] = {"half_pixel", "pytorch_half_pixel",   "align_corners",
                          "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
  const char* nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  int ran = 0;
  for (int trial = 0; trial < 600; ++trial) {
    RefResize r;
    r.mode = modes[trial % 3];
    r.coordinates = coords[pick(0, 5)];
    r.nearest_mode = nearest[pick(0, 3)];
    r.cubic_a = pick(0, 1) ? -0.75 : -0.5;
    r.exclude_outside = r.mode == std::string("cubic") && pick(0, 1);
    r.extrapolation = pick(0, 1) ? 0.0 : 7.5;
    const int rank = pick(1, 4);
    const bool by_sizes = pick(0, 1);
    std::vector<float> scales;
    V sizes;
    for (int d = 0; d < rank; ++d) {
      // Mostly the last two axes resized, as in images; sometimes any.
      const bool resized = d >= rank - 2 || pick(0, 3) == 0;
      const int64_t in = pick(1, 6);
      r.in.push_back(in);
      if (by_sizes) {
        const int64_t out = resized ? pick(1, 11) : in;
        sizes.push_back(out);
        r.out.push_back(out);
        r.scales.push_back(double(out) / double(in));
      } else {
        static const float kScales[] = {0.5f, 0.6f, 0.8f, 1.0f, 1.25f, 1.5f, 2.0f, 3.0f, 2.7f};
        float s = resized ? kScales[pick(0, 8)] : 1.0f;
        if (std::floor(double(in) * s) < 1) s = 1.0f;
        scales.push_back(s);
        r.scales.push_back(s);
        r.out.push_back(int64_t(std::floor(double(in) * double(s))));
      }
    }
    std::vector<float> roi;
    for (int d = 0; d < rank; ++d) roi.push_back(float(pick(-2, 6)) * 0.1f);
    for (int d = 0; d < rank; ++d) roi.push_back(float(pick(5, 13)) * 0.1f);
    r.roi.assign(roi.begin(), roi.end());
    const Constant x = random_floats(r.in, trial);
    for (int roi_runtime = 0; roi_runtime < 2; ++roi_runtime) {
      OneNode n("Resize", 13);
      n.input(x);
      if (roi_runtime) {
        n.input(floats({2 * rank}, roi));
      } else {
        n.constant(floats({2 * rank}, roi));
      }
      if (by_sizes) {
        n.omitted().constant(ints({rank}, sizes));
      } else {
        n.constant(floats({rank}, scales));
      }
      n.attr("mode", r.mode).attr("coordinate_transformation_mode", r.coordinates);
      n.attr("nearest_mode", r.nearest_mode).attr("cubic_coeff_a", float(r.cubic_a));
      n.attr("exclude_outside", int64_t(r.exclude_outside));
      n.attr("extrapolation_value", float(r.extrapolation));
      const std::string what =
          fmt::format("trial {}: {} {} {} in {} out {}{}", trial, r.mode, r.coordinates,
                      r.nearest_mode, graph::shape_string(r.in), graph::shape_string(r.out),
                      roi_runtime ? " run-time roi" : "");
      const Constant want = ref_resize(r, x);
      const Constant y = n.run1(1 + trial % 2);
      ASSERT_EQ(y.shape, r.out) << what;
      EXPECT_LE(rel_error(y, want), 2e-6) << what;
      if (r.mode == std::string("nearest")) {
        // int64 data: the same gather (the extrapolation value truncated).
        Constant xi = ints(r.in, V(x.numel()));
        for (int64_t k = 0; k < x.numel(); ++k) xi.i[k] = int64_t(std::lround(x.f[k] * 1000));
        RefResize ri = r;
        ri.extrapolation = std::trunc(r.extrapolation);
        const Constant want_i =
            ref_resize(ri, floats(r.in, std::vector<float>(xi.i.begin(), xi.i.end())));
        OneNode ni = n;
        ni.replace_input(0, xi);
        const Constant yi = ni.run1();
        ASSERT_EQ(yi.type, DataType::i64) << what;
        ASSERT_EQ(std::vector<float>(yi.i.begin(), yi.i.end()), want_i.f) << what << " (int64)";
      }
    }
    ++ran;
  }
  EXPECT_EQ(ran, 600);
}

// ---- Legacy forms
// --------------------------------------------------------------------------------

TEST(OpsResize, UpsampleAndResize10) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 120; ++trial) {
    const int form = trial % 3;  // Upsample-7 (attribute), Upsample-9 (input), Resize-10
    const bool linear = (trial / 3) % 2;
    const Shape in = {1 + trial % 2, 2, int64_t(2 + rng() % 5), int64_t(2 + rng() % 5)};
    static const float kUp[] = {1.0f, 1.5f, 2.0f, 3.0f, 2.25f};
    static const float kAny[] = {0.5f, 0.75f, 1.0f, 2.0f, 1.6f};
    const float* table = form == 2 ? kAny : kUp;
    std::vector<float> scales = {1.0f, 1.0f, table[rng() % 5], table[rng() % 5]};
    for (int d = 2; d < 4; ++d) {
      if (std::floor(double(in[d]) * scales[d]) < 1) scales[d] = 1.0f;
    }
    RefResize r;
    r.mode = linear ? "linear" : "nearest";
    r.coordinates = "asymmetric";
    r.nearest_mode = "legacy";
    r.in = in;
    for (int d = 0; d < 4; ++d) {
      r.scales.push_back(scales[d]);
      r.out.push_back(int64_t(std::floor(double(in[d]) * scales[d])));
    }
    const Constant x = random_floats(in, 300 + trial);
    OneNode n(form == 2 ? "Resize" : "Upsample", form == 0 ? 7 : form == 1 ? 9 : 10);
    n.input(x).attr("mode", r.mode);
    if (form == 0) {
      n.attr("scales", scales);
    } else {
      n.constant(floats({4}, scales));
    }
    const std::string what = fmt::format("trial {}: form {} {} in {} scales {} {}", trial, form,
                                         r.mode, graph::shape_string(in), scales[2], scales[3]);
    const Constant y = n.run1(1 + trial % 2);
    ASSERT_EQ(y.shape, r.out) << what;
    EXPECT_LE(rel_error(y, ref_resize(r, x)), 2e-6) << what;
  }
  // PyTorch's opset-9 export of F.interpolate(scale_factor=2, mode='nearest'): repeat each pixel.
  const Constant x = floats({1, 1, 2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(OneNode("Upsample", 9).input(x).constant(floats({4}, {1, 1, 2, 2})).run1().f,
            (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
}

// ---- Threads and large planes
// --------------------------------------------------------------------

TEST(OpsResize, LargePlanesSameOnAnyThreads) {
  const Constant x = random_floats({1, 8, 40, 48}, 9);
  for (const char* mode : {"nearest", "linear", "cubic"}) {
    for (const float s : {2.0f, 0.5f, 1.75f}) {
      OneNode n("Resize", 13);
      n.input(x).omitted().constant(floats({4}, {1, 1, s, s})).attr("mode", mode);
      const Constant one = n.run1(1);
      for (int threads : {2, 3}) EXPECT_EQ(n.run1(threads).f, one.f) << mode << " " << s;
      EXPECT_NE(n.describe().find(mode), std::string::npos) << n.describe();
    }
  }
}

// ---- Malformed nodes
// -----------------------------------------------------------------------------

std::string err(const OneNode& n) {
  return error_of([&] { n.shapes(); });
}

TEST(OpsResize, BadNodesFailNamingTheNode) {
  const Constant x = random_floats({1, 2, 4, 4}, 1);
  auto resize = [&](int64_t opset = 13) {
    OneNode n("Resize", opset);
    n.input(x);
    return n;
  };
  const std::vector<std::pair<OneNode, std::string>> cases = {
      {resize().omitted().constant(floats({4}, {1, 1, 0, 2})), "is not a finite value > 0"},
      {resize().omitted().constant(floats({4}, {1, 1, -2, 2})), "is not a finite value > 0"},
      {resize().omitted().constant(floats({3}, {1, 2, 2})), "have 3 values"},
      {resize().omitted().omitted().constant(ints({2}, {8, 8})), "have 2 values"},
      {resize().omitted().omitted().constant(ints({4}, {1, 2, -1, 8})), "negative"},
      {resize().omitted().constant(floats({4}, {1, 1, 2, 2})).constant(ints({4}, {1, 2, 8, 8})),
       "both scales and sizes"},
      {resize().omitted(), "neither scales nor sizes"},
      {resize().omitted().constant(floats({0}, {})), "neither scales nor sizes"},
      {resize().omitted().input(floats({4}, {1, 1, 2, 2})), "must be a constant"},
      {resize().omitted().constant(ints({4}, {1, 1, 2, 2})), "expected float32"},
      {resize().omitted().constant(floats({4}, {1, 1, 2, 2})).attr("mode", "bilinear"),
       "attribute 'mode' = 'bilinear'"},
      {resize()
           .omitted()
           .constant(floats({4}, {1, 1, 2, 2}))
           .attr("coordinate_transformation_mode", "corners"),
       "coordinate_transformation_mode' = 'corners'"},
      {resize().omitted().constant(floats({4}, {1, 1, 2, 2})).attr("nearest_mode", "round"),
       "nearest_mode' = 'round'"},
      {resize().omitted().constant(floats({4}, {1, 1, 2, 2})).attr("exclude_outside", int64_t{2}),
       "exclude_outside"},
      {resize().omitted().constant(floats({4}, {1, 1, 2, 2})).attr("antialias", int64_t{1}),
       "attribute 'antialias' is not supported"},
      {resize()
           .omitted()
           .constant(floats({4}, {1, 1, 2, 2}))
           .attr("coordinate_transformation_mode", "tf_crop_and_resize"),
       "needs input 1 (roi)"},
      {resize()
           .constant(floats({4}, {0, 0, 1, 1}))
           .constant(floats({4}, {1, 1, 2, 2}))
           .attr("coordinate_transformation_mode", "tf_crop_and_resize"),
       "expected 8 values"},
      {resize(10).constant(floats({4}, {1, 1, 2, 2})).attr("mode", "cubic"), "nearest or linear"},
      {resize(10).constant(floats({4}, {1, 1, 2, 2})).attr("nearest_mode", "floor"),
       "attribute 'nearest_mode' is not supported"},
      {OneNode("Upsample", 9).input(x).constant(floats({4}, {1, 1, 0.5f, 2})),
       "Upsample only enlarges"},
      {OneNode("Upsample", 9).input(x), "scales are missing"},
      {OneNode("Resize", 13).input(floats({}, {1.0f})).omitted().constant(floats({0}, {})),
       "scalar"},
      {OneNode("Resize", 13)
           .input(ints({1, 1, 2, 2}, {1, 2, 3, 4}))
           .omitted()
           .constant(floats({4}, {1, 1, 2, 2}))
           .attr("mode", "linear"),
       "int64"},
      {resize().omitted().constant(floats({4}, {1, 1, 1e12f, 1e12f})), "larger than 2^40"},
  };
  for (const auto& [node, want] : cases) {
    const std::string e = err(node);
    EXPECT_NE(e.find("node 'n0' ("), std::string::npos) << e;
    EXPECT_NE(e.find(want), std::string::npos) << "wanted '" << want << "' in: " << e;
  }
}

}  // namespace
}  // namespace onexn::test
