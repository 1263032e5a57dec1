// Normalizations whose statistics are computed from each sample at run time (BatchNormalization,
// whose statistics are stored, is in normalization_ops.cpp). Float32.
//   InstanceNormalization  X [N, C, D...], scale [C], B [C]: each (n, c) plane normalised over D
//   LayerNormalization-17  X, Scale, B (optional) broadcastable to X's dims from `axis` on: each
//                          row of those dims normalised; optional outputs Mean and InvStdDev
// Both compute y = (x - mean) / sqrt(var + epsilon) * scale + b with the mean and the (biased)
// variance of the row accumulated in double, two passes over it.
#include <fmt/format.h>

#include <cmath>

#include "runtime/ops/op_broadcast.hpp"
#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::kParallelMin;

// epsilon, which must be >= 0 (0 is PyTorch's way to ask for none).
double read_epsilon(const Graph& g, const Node& node) {
  const float eps = node.attr_float("epsilon", 1e-5f);
  if (!(eps >= 0.0f) || !std::isfinite(eps))
    fail(g, node, fmt::format("attribute 'epsilon' = {} is not a finite value >= 0", eps));
  return eps;
}

// Mean and 1 / sqrt(variance + eps) of n floats (NaN for an empty row).
void row_statistics(const float* x, int64_t n, double eps, double& mean, double& inv_std) {
  double s = 0.0;
  for (int64_t k = 0; k < n; ++k) s += x[k];
  mean = s / static_cast<double>(n);
  double v = 0.0;
  for (int64_t k = 0; k < n; ++k) {
    const double d = x[k] - mean;
    v += d * d;
  }
  inv_std = 1.0 / std::sqrt(v / static_cast<double>(n) + eps);
}

// ---- InstanceNormalization ---------------------------------------------------------------------

void infer_instance_norm(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"epsilon"});
  ops::check_arity(g, node, 3, 3, 1, 1);
  read_epsilon(g, node);
  static constexpr const char* kRoles[] = {"input 0 (input)", "input 1 (scale)", "input 2 (B)"};
  for (size_t k = 0; k < 3; ++k) ops::require_type(g, node, k, DataType::f32, kRoles[k]);
  const Shape& x = input_value(g, node, 0).shape;
  if (x.size() < 3) {
    fail(g, node,
         fmt::format("input 0 has shape {}, expected N x C x D1 x ... (rank >= 3)",
                     graph::shape_string(x)));
  }
  for (size_t k = 1; k < 3; ++k) {
    const Shape& p = input_value(g, node, k).shape;
    if (p != Shape{x[1]}) {
      fail(g, node,
           fmt::format("{} has shape {}, expected [{}] (the channels of input 0 {})", kRoles[k],
                       graph::shape_string(p), x[1], graph::shape_string(x)));
    }
  }
  set_output(g, node, 0, DataType::f32, x);
}

std::unique_ptr<OpKernel> create_instance_norm(const Graph& g, const Node& node) {
  const Shape& x = input_value(g, node, 0).shape;
  const int64_t channels = x[1], planes = x[0] * x[1], inner = ops::product(x, 2, x.size());
  const double eps = read_epsilon(g, node);
  return ops::make_kernel(
      fmt::format("instance norm {} planes of {}", planes, inner),
      [channels, planes, inner, eps](std::span<const TensorView> in,
                                     std::span<const TensorView> out, const RunContext& ctx) {
#pragma omp parallel for num_threads(ctx.threads) if (planes * inner > kParallelMin) \
    schedule(static)
        for (int64_t p = 0; p < planes; ++p) {
          const int64_t c = p % channels;
          const float* xp = in[0].f + p * inner;
          float* yp = out[0].f + p * inner;
          double mean = 0.0, inv_std = 0.0;
          row_statistics(xp, inner, eps, mean, inv_std);
          const float a = static_cast<float>(in[1].f[c] * inv_std);
          const float b = static_cast<float>(in[2].f[c] - mean * in[1].f[c] * inv_std);
          for (int64_t k = 0; k < inner; ++k) yp[k] = xp[k] * a + b;
        }
      });
}

// ---- LayerNormalization ------------------------------------------------------------------------

struct LayerNormPlan {
  int64_t rows = 1, length = 1;  // length: elements normalised together
  Shape stat_shape;              // of Mean and InvStdDev: X's with dims >= axis set to 1
  // Element of Scale / B for position j of a row, when their shapes are not the row's own
  // (broadcast); empty when they are.
  std::vector<int64_t> scale_index, bias_index;
  bool has_bias = false;
};

// Offsets into a tensor of shape `p` broadcast to `row`, for each position of a row.
std::vector<int64_t> broadcast_index(const Shape& p, const Shape& row) {
  const Shape strides = ops::broadcast_strides(p, row);
  const int64_t n = graph::numel(row);
  std::vector<int64_t> index(n);
  for (int64_t j = 0; j < n; ++j) {
    int64_t off = 0;
    for (int64_t rest = j, d = static_cast<int64_t>(row.size()) - 1; d >= 0; --d) {
      off += (rest % row[d]) * strides[d];
      rest /= row[d];
    }
    index[j] = off;
  }
  return index;
}

LayerNormPlan layer_norm_plan(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"axis", "epsilon", "stash_type"});
  ops::check_arity(g, node, 2, 3, 1, 3);
  ops::require_type(g, node, 0, DataType::f32, "input 0 (X)");
  ops::require_type(g, node, 1, DataType::f32, "input 1 (Scale)");
  const Shape& x = input_value(g, node, 0).shape;
  const int64_t rank = static_cast<int64_t>(x.size());
  if (rank == 0) fail(g, node, "input 0 (X) is a scalar; LayerNormalization needs rank >= 1");
  const int64_t axis =
      ops::normalize_axis(g, node, node.attr_int("axis", -1), rank, "attribute 'axis'");
  read_epsilon(g, node);
  const int64_t stash = node.attr_int("stash_type", 1);
  if (stash != 1) {
    fail(g, node,
         fmt::format("attribute 'stash_type' = {} is not supported (only 1, float32)", stash));
  }
  LayerNormPlan p;
  p.rows = ops::product(x, 0, axis);
  p.length = ops::product(x, axis, rank);
  p.stat_shape = x;
  for (int64_t d = axis; d < rank; ++d) p.stat_shape[d] = 1;
  const Shape row(x.begin() + axis, x.end());
  p.has_bias = ops::has_input(node, 2);
  for (size_t k = 1; k < (p.has_bias ? 3u : 2u); ++k) {
    const char* role = k == 1 ? "input 1 (Scale)" : "input 2 (B)";
    if (k == 2) ops::require_type(g, node, 2, DataType::f32, role);
    const Shape& s = input_value(g, node, k).shape;
    const auto b = ops::broadcast_shapes(row, s);
    if (!b || *b != row) {
      fail(g, node,
           fmt::format("{} has shape {}, which does not broadcast to {} (dims {} to {} of X {})",
                       role, graph::shape_string(s), graph::shape_string(row), axis, rank - 1,
                       graph::shape_string(x)));
    }
    if (graph::numel(s) != p.length) {
      (k == 1 ? p.scale_index : p.bias_index) = broadcast_index(s, row);
    }
  }
  return p;
}

void infer_layer_norm(Graph& g, const Node& node) {
  const LayerNormPlan p = layer_norm_plan(g, node);
  set_output(g, node, 0, DataType::f32, input_value(g, node, 0).shape);
  set_output(g, node, 1, DataType::f32, p.stat_shape);
  set_output(g, node, 2, DataType::f32, p.stat_shape);
}

std::unique_ptr<OpKernel> create_layer_norm(const Graph& g, const Node& node) {
  const LayerNormPlan p = layer_norm_plan(g, node);
  const double eps = read_epsilon(g, node);
  const bool want_mean = ops::has_output(node, 1), want_inv = ops::has_output(node, 2);
  return ops::make_kernel(
      fmt::format("layer norm {} rows of {}", p.rows, p.length),
      [p, eps, want_mean, want_inv](std::span<const TensorView> in, std::span<const TensorView> out,
                                    const RunContext& ctx) {
        const float* scale = in[1].f;
        const float* bias = p.has_bias ? in[2].f : nullptr;
#pragma omp parallel for num_threads(ctx.threads) if (p.rows * p.length > kParallelMin) \
    schedule(static)
        for (int64_t r = 0; r < p.rows; ++r) {
          const float* xr = in[0].f + r * p.length;
          float* yr = out[0].f + r * p.length;
          double mean = 0.0, inv_std = 0.0;
          row_statistics(xr, p.length, eps, mean, inv_std);
          const float m = static_cast<float>(mean), is = static_cast<float>(inv_std);
          for (int64_t j = 0; j < p.length; ++j) {
            const float s = scale[p.scale_index.empty() ? j : p.scale_index[j]];
            const float b = !bias ? 0.0f : bias[p.bias_index.empty() ? j : p.bias_index[j]];
            yr[j] = (xr[j] - m) * is * s + b;
          }
          if (want_mean) out[1].f[r] = m;
          if (want_inv) out[2].f[r] = is;
        }
      });
}

}  // namespace

void register_sample_norm_ops(OpTable& t) {
  add_op(t, "InstanceNormalization", {infer_instance_norm, create_instance_norm, ChannelRole::normalization});
  add_op(t, "LayerNormalization", {infer_layer_norm, create_layer_norm, ChannelRole::layer_normalization});
}

}  // namespace onexn::runtime
