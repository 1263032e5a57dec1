// Resize and Upsample, in every form exporters write:
//   Upsample-7   X; attribute 'scales'; mode nearest / linear
//   Upsample-9   X, scales
//   Resize-10    X, scales; mode nearest / linear
//   Resize-11/13 X, roi, scales, sizes (omitted inputs: "" or an empty tensor); modes nearest
//                (nearest_mode), linear, cubic (cubic_coeff_a, exclude_outside); any
//                coordinate_transformation_mode, tf_crop_and_resize with extrapolation_value
// Upsample and Resize-10 have no coordinate or rounding attributes: they map coordinates
// asymmetrically and round nearest down when upsampling, up when downsampling, as ONNX Runtime
// does. Scales and sizes fix the output shape, so they must be constants; a tf_crop_and_resize
// roi may be computed at run time. Float32 data, and int64 for nearest (a gather). The arithmetic
// is in op_resample.cpp.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <string>

#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_resample.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::CoordinateMode;
using ops::NearestMode;
using ops::ResampleMode;

struct ResizeSetup {
  ops::ResampleOptions options;
  std::vector<ops::ResampleAxisSpec> axes;  // roi of the default [0, 1] until read
  Shape out;
  bool roi_at_run_time = false;  // tf_crop_and_resize whose roi (input 1) is an activation
  std::string summary;           // for describe()
};

ResampleMode parse_mode(const Graph& g, const Node& node, bool legacy) {
  const std::string mode = node.attr_string("mode", "nearest");
  if (mode == "nearest") return ResampleMode::nearest;
  if (mode == "linear") return ResampleMode::linear;
  if (mode == "cubic" && !legacy) return ResampleMode::cubic;
  fail(g, node,
       fmt::format("attribute 'mode' = '{}' is not {}", mode,
                   legacy ? "nearest or linear" : "nearest, linear or cubic"));
}

CoordinateMode parse_coordinates(const Graph& g, const Node& node) {
  const std::string m = node.attr_string("coordinate_transformation_mode", "half_pixel");
  if (m == "half_pixel") return CoordinateMode::half_pixel;
  if (m == "pytorch_half_pixel") return CoordinateMode::pytorch_half_pixel;
  if (m == "align_corners") return CoordinateMode::align_corners;
  if (m == "asymmetric") return CoordinateMode::asymmetric;
  if (m == "tf_half_pixel_for_nn") return CoordinateMode::tf_half_pixel_for_nn;
  if (m == "tf_crop_and_resize") return CoordinateMode::tf_crop_and_resize;
  fail(g, node,
       fmt::format("attribute 'coordinate_transformation_mode' = '{}' is not half_pixel, "
                   "pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn or "
                   "tf_crop_and_resize",
                   m));
}

NearestMode parse_nearest(const Graph& g, const Node& node) {
  const std::string m = node.attr_string("nearest_mode", "round_prefer_floor");
  if (m == "round_prefer_floor") return NearestMode::round_prefer_floor;
  if (m == "round_prefer_ceil") return NearestMode::round_prefer_ceil;
  if (m == "floor") return NearestMode::floor;
  if (m == "ceil") return NearestMode::ceil;
  fail(g, node,
       fmt::format("attribute 'nearest_mode' = '{}' is not round_prefer_floor, round_prefer_ceil, "
                   "floor or ceil",
                   m));
}

// The constant values of input k, or an empty vector when it is omitted or an empty tensor
// (Resize-11's way of leaving out roi or scales). Fails when the input is present and not a
// constant (`fixes_shape`: scales and sizes decide the output shape at load time).
const graph::Constant* optional_constant(const Graph& g, const Node& node, size_t k,
                                         std::string_view role, bool& present) {
  present = false;
  if (!ops::has_input(node, k)) return nullptr;
  const graph::Value& v = input_value(g, node, k);
  if (v.shape_known && graph::numel(v.shape) == 0) return nullptr;
  present = true;
  if (!v.constant) {
    fail(g, node,
         fmt::format("{} '{}' must be a constant (onexn fixes the output shape at load time)", role,
                     v.name));
  }
  return &*v.constant;
}

ResizeSetup resize_setup(const Graph& g, const Node& node) {
  const bool upsample = node.op == "Upsample";
  const bool resize10 = !upsample && g.opset <= 10;
  const bool legacy = upsample || resize10;
  if (upsample) {
    ops::check_attrs(g, node, {"mode", "scales"});
    ops::check_arity(g, node, 1, 2, 1, 1);
  } else if (resize10) {
    ops::check_attrs(g, node, {"mode"});
    ops::check_arity(g, node, 2, 2, 1, 1);
  } else {
    ops::check_attrs(g, node,
                     {"mode", "coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside",
                      "extrapolation_value", "nearest_mode"});
    ops::check_arity(g, node, 1, 4, 1, 1);
  }
  const graph::Value& x = input_value(g, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (rank == 0) fail(g, node, "input 0 (X) is a scalar; Resize needs rank >= 1");

  ResizeSetup s;
  ops::ResampleOptions& o = s.options;
  o.mode = parse_mode(g, node, legacy);
  if (x.type == DataType::i64 && o.mode != ResampleMode::nearest) {
    fail(g, node,
         fmt::format("input 0 (X) '{}' is int64; onexn interpolates float32 only (int64 with "
                     "mode 'nearest')",
                     x.name));
  }
  if (legacy) {
    o.coordinates = CoordinateMode::asymmetric;
    o.nearest = NearestMode::legacy;
  } else {
    o.coordinates = parse_coordinates(g, node);
    o.nearest = parse_nearest(g, node);
    o.cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
    if (!std::isfinite(o.cubic_a))
      fail(g, node, fmt::format("attribute 'cubic_coeff_a' = {} is not finite", o.cubic_a));
    const int64_t exclude = node.attr_int("exclude_outside", 0);
    if (exclude != 0 && exclude != 1)
      fail(g, node, fmt::format("attribute 'exclude_outside' = {} is not 0 or 1", exclude));
    o.exclude_outside = exclude == 1;
    o.extrapolation = node.attr_float("extrapolation_value", 0.0f);
  }

  // Scales or sizes.
  std::vector<float> scales;
  std::vector<int64_t> sizes;
  bool has_scales = false, has_sizes = false;
  if (upsample && node.has_attr("scales")) {
    if (ops::has_input(node, 1))
      fail(g, node, "has both attribute 'scales' (opset < 9) and input 1 (scales, opset >= 9)");
    const graph::Attribute& a = node.attrs.at("scales");
    scales = a.floats;
    has_scales = true;
  } else {
    const size_t k = legacy ? 1 : 2;
    if (const graph::Constant* c =
            optional_constant(g, node, k, fmt::format("input {} (scales)", k), has_scales)) {
      if (c->type != DataType::f32)
        fail(g, node, fmt::format("input {} (scales) is int64, expected float32", k));
      scales = c->f;
    }
    if (!legacy) {
      if (const graph::Constant* c = optional_constant(g, node, 3, "input 3 (sizes)", has_sizes)) {
        if (c->type != DataType::i64) fail(g, node, "input 3 (sizes) is float32, expected int64");
        sizes = c->i;
      }
    }
  }
  if (has_scales == has_sizes) {
    fail(g, node,
         has_scales ? "has both scales and sizes; exactly one may be given"
         : upsample ? "scales are missing (attribute 'scales' before opset 9, input 1 from opset 9)"
                    : "has neither scales nor sizes (an empty or omitted input does not count)");
  }
  if (has_scales && static_cast<int64_t>(scales.size()) != rank) {
    fail(g, node,
         fmt::format("scales [{}] have {} values for input shape {} (rank {})",
                     fmt::join(scales, ", "), scales.size(), graph::shape_string(x.shape), rank));
  }
  if (has_sizes && static_cast<int64_t>(sizes.size()) != rank) {
    fail(g, node,
         fmt::format("sizes [{}] have {} values for input shape {} (rank {})",
                     fmt::join(sizes, ", "), sizes.size(), graph::shape_string(x.shape), rank));
  }
  for (int64_t d = 0; d < rank; ++d) {
    ops::ResampleAxisSpec a;
    a.in = x.shape[d];
    if (has_scales) {
      const float sc = scales[d];
      if (!(sc > 0.0f) || !std::isfinite(sc) || (upsample && sc < 1.0f)) {
        fail(g, node,
             fmt::format(
                 "scales [{}]: {} is not {}", fmt::join(scales, ", "), sc,
                 upsample ? "a finite value >= 1 (Upsample only enlarges)" : "a finite value > 0"));
      }
      const double n = std::floor(static_cast<double>(a.in) * sc);
      if (n > static_cast<double>(kMaxTensorElements)) {
        fail(g, node,
             fmt::format("scales [{}] make dim {} of {} larger than 2^40", fmt::join(scales, ", "),
                         d, graph::shape_string(x.shape)));
      }
      a.out = static_cast<int64_t>(n);
      a.scale = sc;
    } else {
      a.out = sizes[d];
      if (a.out < 0)
        fail(g, node, fmt::format("sizes [{}] have a negative value", fmt::join(sizes, ", ")));
      a.scale = a.in > 0 ? static_cast<double>(a.out) / static_cast<double>(a.in) : 1.0;
    }
    if (a.in == 0 && a.out > 0) {
      fail(g, node,
           fmt::format("dim {} of input shape {} is empty but the output's is {}", d,
                       graph::shape_string(x.shape), a.out));
    }
    s.out.push_back(a.out);
    s.axes.push_back(a);
  }

  // The region of interest, read by tf_crop_and_resize only.
  if (o.coordinates == CoordinateMode::tf_crop_and_resize) {
    if (!ops::has_input(node, 1) ||
        (input_value(g, node, 1).shape_known && graph::numel(input_value(g, node, 1).shape) == 0))
      fail(g, node, "coordinate_transformation_mode 'tf_crop_and_resize' needs input 1 (roi)");
    const graph::Value& roi = input_value(g, node, 1);
    if (roi.type != DataType::f32) fail(g, node, "input 1 (roi) is int64, expected float32");
    if (graph::numel(roi.shape) != 2 * rank) {
      fail(
          g, node,
          fmt::format("input 1 (roi) has shape {}, expected {} values (starts and ends of {} axes)",
                      graph::shape_string(roi.shape), 2 * rank, rank));
    }
    s.roi_at_run_time = !roi.constant;
    if (roi.constant) {
      for (int64_t d = 0; d < rank; ++d) {
        s.axes[d].roi_start = roi.constant->f[d];
        s.axes[d].roi_end = roi.constant->f[d + rank];
      }
    }
  }
  static constexpr const char* kModes[] = {"nearest", "linear", "cubic"};
  static constexpr const char* kCoordinates[] = {"half_pixel",           "pytorch_half_pixel",
                                                 "align_corners",        "asymmetric",
                                                 "tf_half_pixel_for_nn", "tf_crop_and_resize"};
  s.summary = fmt::format("{} {}{} {} -> {}", kModes[static_cast<int>(o.mode)],
                          kCoordinates[static_cast<int>(o.coordinates)],
                          s.roi_at_run_time ? " (run-time roi)" : "", graph::shape_string(x.shape),
                          graph::shape_string(s.out));
  return s;
}

void infer_resize(Graph& g, const Node& node) {
  const ResizeSetup s = resize_setup(g, node);
  set_output(g, node, 0, input_value(g, node, 0).type, s.out);
}

std::unique_ptr<OpKernel> create_resize(const Graph& g, const Node& node) {
  const ResizeSetup s = resize_setup(g, node);
  const DataType type = input_value(g, node, 0).type;
  auto run = [type](const ops::ResamplePlan& plan, const TensorView& in, const TensorView& out,
                    int threads) {
    if (type == DataType::f32) {
      ops::run_resample(plan, in.f, out.f, threads);
    } else {
      ops::run_resample(plan, in.i, out.i, threads);
    }
  };
  if (!s.roi_at_run_time) {
    const ops::ResamplePlan plan = ops::make_resample_plan(s.options, s.axes);
    return ops::make_kernel(
        "resize " + s.summary,
        [plan, run](std::span<const TensorView> in, std::span<const TensorView> out,
                    const RunContext& ctx) { run(plan, in[0], out[0], ctx.threads); });
  }
  // The roi arrives with the data: the tables (a few entries per output position of each
  // axis) are built per run.
  return ops::make_kernel(
      "resize " + s.summary, [s, run](std::span<const TensorView> in,
                                      std::span<const TensorView> out, const RunContext& ctx) {
        std::vector<ops::ResampleAxisSpec> axes = s.axes;
        const size_t rank = axes.size();
        for (size_t d = 0; d < rank; ++d) {
          axes[d].roi_start = in[1].f[d];
          axes[d].roi_end = in[1].f[d + rank];
        }
        run(ops::make_resample_plan(s.options, axes), in[0], out[0], ctx.threads);
      });
}

}  // namespace

void register_resize_ops(OpTable& t) {
  add_op(t, "Resize", {infer_resize, create_resize, ChannelRole::spatial});
  add_op(t, "Upsample", {infer_resize, create_resize, ChannelRole::spatial});
}

}  // namespace onexn::runtime
