// BatchNormalization (inference) and Softmax. Float32.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_math.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::kParallelMin;

// ---- BatchNormalization
// -------------------------------------------------------------------------- y = (x - mean) /
// sqrt(var + epsilon) * scale + B per channel (dim 1), computed as x * a + b with a and b per
// channel: at create time when the four parameters are constants, else per run.

void infer_batchnorm(Graph& g, const Node& node) {
  ops::check_attrs(
      g, node, {"epsilon", "momentum", "spatial", "training_mode", "is_test", "consumed_inputs"});
  ops::check_arity(g, node, 5, 5, 1, 5);
  for (size_t k = 1; k < node.outputs.size(); ++k) {
    if (ops::has_output(node, k)) {
      fail(g, node,
           fmt::format("output {} (a training statistic) is requested; onexn runs inference only",
                       k));
    }
  }
  if (node.attr_int("training_mode", 0) != 0) {
    fail(g, node,
         fmt::format("attribute 'training_mode' = {}; onexn runs inference only",
                     node.attr_int("training_mode", 0)));
  }
  if (node.has_attr("is_test") && node.attr_int("is_test", 0) == 0) {
    fail(g, node, "attribute 'is_test' = 0 asks for training mode; onexn runs inference only");
  }
  if (node.attr_int("spatial", 1) != 1) {
    fail(g, node,
         fmt::format("attribute 'spatial' = {} is not supported (only 1: per-channel statistics)",
                     node.attr_int("spatial", 1)));
  }
  static constexpr const char* roles[] = {"input 0 (X)", "input 1 (scale)", "input 2 (B)",
                                          "input 3 (mean)", "input 4 (var)"};
  for (size_t k = 0; k < 5; ++k) ops::require_type(g, node, k, DataType::f32, roles[k]);
  const Shape& x = input_value(g, node, 0).shape;
  if (x.size() < 2) {
    fail(g, node,
         fmt::format("input 0 (X) has shape {}, expected N x C x ...", graph::shape_string(x)));
  }
  for (size_t k = 1; k < 5; ++k) {
    const Shape& p = input_value(g, node, k).shape;
    if (p != Shape{x[1]}) {
      fail(g, node,
           fmt::format("{} has shape {}, expected [{}] (the channels of X {})", roles[k],
                       graph::shape_string(p), x[1], graph::shape_string(x)));
    }
  }
  set_output(g, node, 0, DataType::f32, x);
}

// a[c] = scale[c] / sqrt(var[c] + eps), b[c] = B[c] - mean[c] * a[c].
void batchnorm_coefficients(const float* scale, const float* shift, const float* mean,
                            const float* var, float eps, int64_t channels, float* a, float* b) {
  for (int64_t c = 0; c < channels; ++c) {
    a[c] = scale[c] / std::sqrt(var[c] + eps);
    b[c] = shift[c] - mean[c] * a[c];
  }
}

std::unique_ptr<OpKernel> create_batchnorm(const Graph& g, const Node& node) {
  const Shape& x = input_value(g, node, 0).shape;
  const int64_t n = x[0], channels = x[1], inner = ops::product(x, 2, x.size());
  const float eps = node.attr_float("epsilon", 1e-5f);
  bool constant = true;
  for (size_t k = 1; k < 5; ++k) constant &= ops::constant_input(g, node, k) != nullptr;
  auto coef = std::make_shared<std::vector<float>>(2 * channels);
  if (constant) {
    batchnorm_coefficients(
        ops::constant_input(g, node, 1)->f.data(), ops::constant_input(g, node, 2)->f.data(),
        ops::constant_input(g, node, 3)->f.data(), ops::constant_input(g, node, 4)->f.data(), eps,
        channels, coef->data(), coef->data() + channels);
  }
  std::shared_ptr<const std::vector<float>> fixed = constant ? std::move(coef) : nullptr;
  return ops::make_kernel(
      fmt::format("batchnorm {} channels{}", channels, constant ? "" : " (run-time parameters)"),
      [n, channels, inner, eps, fixed](std::span<const TensorView> in,
                                       std::span<const TensorView> out, const RunContext& ctx) {
        const float* a = nullptr;
        const float* b = nullptr;
        std::vector<float> local;
        if (fixed) {
          a = fixed->data();
          b = a + channels;
        } else {
          local.resize(2 * channels);
          batchnorm_coefficients(in[1].f, in[2].f, in[3].f, in[4].f, eps, channels, local.data(),
                                 local.data() + channels);
          a = local.data();
          b = a + channels;
        }
        const float* xs = in[0].f;
        float* ys = out[0].f;
        const int64_t planes = n * channels;
#pragma omp parallel for num_threads(ctx.threads) if (planes * inner > kParallelMin) \
    schedule(static)
        for (int64_t p = 0; p < planes; ++p) {
          const int64_t c = p % channels;
          const float ac = a[c], bc = b[c];
          const float* xp = xs + p * inner;
          float* yp = ys + p * inner;
          for (int64_t k = 0; k < inner; ++k) yp[k] = xp[k] * ac + bc;
        }
      });
}

// ---- Softmax
// ------------------------------------------------------------------------------------- opset < 13:
// the input is seen as 2-D [prod(dims < axis), prod(dims >= axis)] and each row is normalised (axis
// default 1); opset >= 13: normalised along the one axis (default -1). Both are rows of `length`
// elements `stride` apart: opset < 13 and the last axis give stride 1.

struct SoftmaxPlan {
  int64_t outer = 1, length = 1, stride = 1;
};

SoftmaxPlan softmax_plan(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"axis"});
  ops::check_arity(g, node, 1, 1, 1, 1);
  ops::require_type(g, node, 0, DataType::f32, "input 0 (input)");
  const Shape& x = input_value(g, node, 0).shape;
  const int64_t rank = static_cast<int64_t>(x.size());
  if (rank == 0) fail(g, node, "input 0 is a scalar; Softmax needs rank >= 1");
  const bool flatten = g.opset < 13;
  const int64_t axis = ops::normalize_axis(g, node, node.attr_int("axis", flatten ? 1 : -1), rank,
                                           "attribute 'axis'");
  SoftmaxPlan p;
  if (flatten) {
    p.outer = ops::product(x, 0, axis);
    p.length = ops::product(x, axis, rank);
  } else {
    p.outer = ops::product(x, 0, axis);
    p.length = x[axis];
    p.stride = ops::product(x, axis + 1, rank);
  }
  return p;
}

void infer_softmax(Graph& g, const Node& node) {
  softmax_plan(g, node);
  set_output(g, node, 0, DataType::f32, input_value(g, node, 0).shape);
}

// Softmax of `cols` interleaved rows: element j of row c at x[j * stride + c], c < cols <= 64.
// Rows are handled side by side so that the loops over c are contiguous.
void softmax_columns(const float* x, float* y, int64_t length, int64_t stride, int64_t cols) {
  float mx[64], sum[64];
  std::fill_n(mx, cols, -std::numeric_limits<float>::infinity());
  std::fill_n(sum, cols, 0.0f);
  for (int64_t j = 0; j < length; ++j) {
    const float* xr = x + j * stride;
    for (int64_t c = 0; c < cols; ++c) mx[c] = std::max(mx[c], xr[c]);
  }
  for (int64_t j = 0; j < length; ++j) {
    const float* xr = x + j * stride;
    float* yr = y + j * stride;
    for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] - mx[c];
    ops::exp_floats(yr, yr, cols);
    for (int64_t c = 0; c < cols; ++c) sum[c] += yr[c];
  }
  for (int64_t c = 0; c < cols; ++c) sum[c] = 1.0f / sum[c];
  for (int64_t j = 0; j < length; ++j) {
    float* yr = y + j * stride;
    for (int64_t c = 0; c < cols; ++c) yr[c] *= sum[c];
  }
}

// One contiguous row.
void softmax_row(const float* x, float* y, int64_t length) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < length; ++j) mx = std::max(mx, x[j]);
  for (int64_t j = 0; j < length; ++j) y[j] = x[j] - mx;
  ops::exp_floats(y, y, length);
  float sum = 0.0f;
  for (int64_t j = 0; j < length; ++j) sum += y[j];
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j < length; ++j) y[j] *= inv;
}

std::unique_ptr<OpKernel> create_softmax(const Graph& g, const Node& node) {
  const SoftmaxPlan p = softmax_plan(g, node);
  return ops::make_kernel(
      fmt::format("softmax {} rows of {} (stride {})", p.outer * p.stride, p.length, p.stride),
      [p](std::span<const TensorView> in, std::span<const TensorView> out, const RunContext& ctx) {
        const int64_t total = p.outer * p.length * p.stride;
        if (total == 0) return;
        if (p.stride == 1) {
#pragma omp parallel for num_threads(ctx.threads) if (total > kParallelMin) schedule(static)
          for (int64_t r = 0; r < p.outer; ++r)
            softmax_row(in[0].f + r * p.length, out[0].f + r * p.length, p.length);
          return;
        }
        const int64_t groups = (p.stride + 63) / 64;  // up to 64 interleaved rows at a time
#pragma omp parallel for num_threads(ctx.threads) if (total > kParallelMin) schedule(static)
        for (int64_t it = 0; it < p.outer * groups; ++it) {
          const int64_t o = it / groups, c0 = (it % groups) * 64;
          const int64_t at = o * p.length * p.stride + c0;
          softmax_columns(in[0].f + at, out[0].f + at, p.length, p.stride,
                          std::min<int64_t>(64, p.stride - c0));
        }
      });
}

}  // namespace

void register_normalization_ops(OpTable& t) {
  add_op(t, "BatchNormalization", {infer_batchnorm, create_batchnorm, ChannelRole::normalization});
  add_op(t, "Softmax", {infer_softmax, create_softmax});
}

}  // namespace onexn::runtime
