// Math ops: the unary functions (Sqrt, Exp, Log, Tanh, Erf, Reciprocal, Floor, Ceil; Neg and Abs
// also on int64), the activations with parameters (LeakyRelu, Elu, Selu, Softplus, PRelu) and the
// broadcasting Pow. Float32 unless stated; opset 1's `consumed_inputs` is accepted and ignored.
//
// Every output element is a function of its operands only, so the kernels split elements across
// threads above ops::kParallelMin without changing a result.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/ops/op_binary.hpp"
#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_math.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::kParallelMin;

// ---- unary functions -----------------------------------------------------------------------

// Float32 in, float32 out (the caller checks the attributes).
void infer_float_unary(Graph& g, const Node& node) {
  ops::check_arity(g, node, 1, 1, 1, 1);
  ops::require_type(g, node, 0, DataType::f32, "input 0 (X)");
  set_output(g, node, 0, DataType::f32, input_value(g, node, 0).shape);
}

void infer_plain_unary(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"consumed_inputs"});
  infer_float_unary(g, node);
}

// Neg and Abs: float32 or int64, the output of the input's type.
void infer_numeric_unary(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"consumed_inputs"});
  ops::check_arity(g, node, 1, 1, 1, 1);
  const graph::Value& x = input_value(g, node, 0);
  set_output(g, node, 0, x.type, x.shape);
}

// y[i] = f(x[i]) over n elements, split across threads when large.
template <typename T, typename F>
void map_elements(const T* x, T* y, int64_t n, int threads, F f) {
#pragma omp parallel for num_threads(threads) if (n > kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

template <typename F>
std::unique_ptr<OpKernel> make_float_map(const Graph& g, const Node& node, std::string description,
                                         F f) {
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  return ops::make_kernel(
      std::move(description),
      [n, f](std::span<const TensorView> in, std::span<const TensorView> out,
             const RunContext& ctx) { map_elements(in[0].f, out[0].f, n, ctx.threads, f); });
}

// Float32 and int64 twins of one function (Neg, Abs).
template <typename FF, typename FI>
std::unique_ptr<OpKernel> make_numeric_map(const Graph& g, const Node& node, const char* name,
                                           FF f_float, FI f_int) {
  const graph::Value& x = input_value(g, node, 0);
  const int64_t n = graph::numel(x.shape);
  const DataType type = x.type;
  return ops::make_kernel(
      fmt::format("{} {}", name, graph::to_string(type)),
      [n, type, f_float, f_int](std::span<const TensorView> in, std::span<const TensorView> out,
                                const RunContext& ctx) {
        if (type == DataType::f32) {
          map_elements(in[0].f, out[0].f, n, ctx.threads, f_float);
        } else {
          map_elements(in[0].i, out[0].i, n, ctx.threads, f_int);
        }
      });
}

// int64 negation wraps around at INT64_MIN (two's complement, as numpy), which C++ leaves
// undefined for a plain -x.
int64_t negate_wrapping(int64_t x) { return static_cast<int64_t>(uint64_t{0} - uint64_t(x)); }

std::unique_ptr<OpKernel> create_neg(const Graph& g, const Node& node) {
  return make_numeric_map(
      g, node, "neg", [](float x) { return -x; }, negate_wrapping);
}

std::unique_ptr<OpKernel> create_abs(const Graph& g, const Node& node) {
  return make_numeric_map(
      g, node, "abs", [](float x) { return std::fabs(x); },
      [](int64_t x) { return x < 0 ? negate_wrapping(x) : x; });
}

std::unique_ptr<OpKernel> create_sqrt(const Graph& g, const Node& node) {
  return make_float_map(g, node, "sqrt", [](float x) { return std::sqrt(x); });
}

std::unique_ptr<OpKernel> create_log(const Graph& g, const Node& node) {
  return make_float_map(g, node, "log", [](float x) { return std::log(x); });
}

std::unique_ptr<OpKernel> create_tanh(const Graph& g, const Node& node) {
  return make_float_map(g, node, "tanh", [](float x) { return std::tanh(x); });
}

std::unique_ptr<OpKernel> create_erf(const Graph& g, const Node& node) {
  return make_float_map(g, node, "erf", [](float x) { return std::erf(x); });
}

std::unique_ptr<OpKernel> create_reciprocal(const Graph& g, const Node& node) {
  return make_float_map(g, node, "reciprocal", [](float x) { return 1.0f / x; });
}

std::unique_ptr<OpKernel> create_floor(const Graph& g, const Node& node) {
  return make_float_map(g, node, "floor", [](float x) { return std::floor(x); });
}

std::unique_ptr<OpKernel> create_ceil(const Graph& g, const Node& node) {
  return make_float_map(g, node, "ceil", [](float x) { return std::ceil(x); });
}

// Exp: the vectorized ops::exp_floats (within 2 ulp), in chunks across threads. It saturates to
// +inf from 88.3, a little before float does (e^88.72): those few inputs take std::exp.
std::unique_ptr<OpKernel> create_exp(const Graph& g, const Node& node) {
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  return ops::make_kernel("exp", [n](std::span<const TensorView> in,
                                     std::span<const TensorView> out, const RunContext& ctx) {
    constexpr int64_t chunk = 4096;
    const int64_t chunks = (n + chunk - 1) / chunk;
    const float* x = in[0].f;
    float* y = out[0].f;
#pragma omp parallel for num_threads(ctx.threads) if (n > kParallelMin) schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t begin = c * chunk, m = std::min(chunk, n - begin);
      ops::exp_floats(x + begin, y + begin, m);
      for (int64_t i = begin; i < begin + m; ++i) {
        if (x[i] > 88.0f) y[i] = std::exp(x[i]);
      }
    }
  });
}

// ---- activations with parameters -----------------------------------------------------------

void infer_leaky_relu(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"alpha", "consumed_inputs"});
  infer_float_unary(g, node);
}

// x for x >= 0, alpha x below. Written as a product with a select of constants (not a select
// between x and alpha x) so that GCC vectorizes it under -ftrapping-math.
std::unique_ptr<OpKernel> create_leaky_relu(const Graph& g, const Node& node) {
  const float alpha = node.attr_float("alpha", 0.01f);
  return make_float_map(g, node, fmt::format("leakyrelu alpha={}", alpha),
                        [alpha](float x) { return x * (x < 0.0f ? alpha : 1.0f); });
}

void infer_elu(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"alpha", "consumed_inputs"});
  infer_float_unary(g, node);
}

// x for x >= 0, alpha (e^x - 1) below.
std::unique_ptr<OpKernel> create_elu(const Graph& g, const Node& node) {
  const float alpha = node.attr_float("alpha", 1.0f);
  return make_float_map(g, node, fmt::format("elu alpha={}", alpha),
                        [alpha](float x) { return x < 0.0f ? alpha * std::expm1(x) : x; });
}

void infer_selu(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"alpha", "gamma", "consumed_inputs"});
  infer_float_unary(g, node);
}

// gamma x for x > 0, gamma alpha (e^x - 1) otherwise; the defaults are ONNX's (float32 values of
// the SELU paper's constants).
std::unique_ptr<OpKernel> create_selu(const Graph& g, const Node& node) {
  const float alpha = node.attr_float("alpha", 1.67326319217681884765625f);
  const float gamma = node.attr_float("gamma", 1.05070102214813232421875f);
  return make_float_map(
      g, node, fmt::format("selu alpha={} gamma={}", alpha, gamma),
      [alpha, gamma](float x) { return x > 0.0f ? gamma * x : gamma * (alpha * std::expm1(x)); });
}

// log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|): no overflow for large x, and no loss of
// the small values far below zero.
std::unique_ptr<OpKernel> create_softplus(const Graph& g, const Node& node) {
  return make_float_map(g, node, "softplus", [](float x) {
    return std::max(x, 0.0f) + std::log1p(std::exp(-std::fabs(x)));
  });
}

// ---- PRelu ---------------------------------------------------------------------------------
// y = x for x >= 0, slope * x below; slope broadcasts to X one way (opset >= 7). Older exporters
// and opset < 7 write a per-channel slope as [C] (or [C, 1, ..., 1] of lower rank) for X of shape
// [N, C, ...]: that is read as aligned at X's dim 1. From opset 7 the numpy reading wins where
// both apply (X's last dim equal to C).

Shape prelu_slope_shape(const Graph& g, const Node& node) {
  const Shape& x = input_value(g, node, 0).shape;
  const Shape& s = input_value(g, node, 1).shape;
  const std::optional<Shape> numpy = ops::broadcast_shapes(x, s);
  const bool numpy_ok = numpy && *numpy == x;
  if (g.opset >= 7 && numpy_ok) return s;
  bool per_channel = x.size() >= 2 && !s.empty() && s.size() < x.size() && s[0] == x[1];
  for (size_t d = 1; d < s.size(); ++d) per_channel &= s[d] == 1;
  if (per_channel) {
    Shape aligned(x.size() - 1, 1);
    aligned[0] = x[1];
    return aligned;
  }
  if (numpy_ok) return s;  // before opset 7: a shared [1] slope or one of X's shape
  fail(g, node,
       fmt::format("slope of shape {} neither broadcasts to X of shape {} nor is a per-channel "
                   "slope of {} values",
                   graph::shape_string(s), graph::shape_string(x), x.size() >= 2 ? x[1] : 1));
}

void infer_prelu(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"consumed_inputs"});
  ops::check_arity(g, node, 2, 2, 1, 1);
  ops::require_type(g, node, 0, DataType::f32, "input 0 (X)");
  ops::require_type(g, node, 1, DataType::f32, "input 1 (slope)");
  prelu_slope_shape(g, node);
  set_output(g, node, 0, DataType::f32, input_value(g, node, 0).shape);
}

std::unique_ptr<OpKernel> create_prelu(const Graph& g, const Node& node) {
  const Shape& x = input_value(g, node, 0).shape;
  const ops::BroadcastPlan plan = ops::plan_broadcast(x, x, prelu_slope_shape(g, node));
  const int64_t n = graph::numel(x);
  return ops::make_kernel(fmt::format("prelu ({} rows x {})", plan.rows(), plan.inner()),
                          [plan, n](std::span<const TensorView> in, std::span<const TensorView> out,
                                    const RunContext& ctx) {
                            if (n == 0) return;
                            ops::map_broadcast(
                                plan, in[0].f, in[1].f, out[0].f, ctx.threads,
                                [](float v, float s) { return v * (v < 0.0f ? s : 1.0f); });
                          });
}

// ---- Pow -----------------------------------------------------------------------------------
// Z = X ^ Y with broadcasting (legacy 'broadcast' / 'axis' before opset 7). X and Y each float32
// or int64 (from opset 12; bool-free): Z has X's type.
//   float ^ float: powf (x * x for a constant exponent 2, the LayerNorm idiom: the same value);
//   float ^ int:   pow in double, rounded to float;
//   int ^ float:   pow in double, truncated toward zero (as ONNX's reference casts it);
//   int ^ int:     exact, wrapping around on overflow as numpy's int64 does; a negative exponent
//                  gives the truncated real result (0, or +-1 for a base of +-1).
// An integer result that int64 cannot hold (NaN, +-inf, beyond 2^63) is INT64_MIN, as numpy's
// conversion gives on x86.

int64_t double_to_int64(double r) {
  if (!(r > -9.2233720368547758e18 && r < 9.2233720368547758e18))
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(r);
}

int64_t pow_int(int64_t base, int64_t exponent) {
  if (exponent < 0) return double_to_int64(std::pow(double(base), double(exponent)));
  uint64_t result = 1, b = static_cast<uint64_t>(base);
  for (uint64_t e = static_cast<uint64_t>(exponent); e != 0; e >>= 1) {
    if (e & 1) result *= b;
    b *= b;
  }
  return static_cast<int64_t>(result);
}

void infer_pow(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"broadcast", "axis"});
  ops::check_arity(g, node, 2, 2, 1, 1);
  if (g.opset < 12) ops::require_same_types(g, node, 0, 1);
  set_output(g, node, 0, input_value(g, node, 0).type, ops::infer_binary_shape(g, node));
}

std::unique_ptr<OpKernel> create_pow(const Graph& g, const Node& node) {
  const graph::Value& x = input_value(g, node, 0);
  const graph::Value& y = input_value(g, node, 1);
  const Shape& out = g.value(node.outputs.at(0)).shape;
  const ops::BroadcastPlan plan = ops::plan_broadcast(out, x.shape, ops::legacy_b_shape(g, node));
  const int64_t n = graph::numel(out);
  const DataType tx = x.type, ty = y.type;
  bool square = false;
  if (const graph::Constant* c = ops::constant_input(g, node, 1)) {
    square = tx == DataType::f32 && ty == DataType::f32 && c->numel() == 1 && c->f[0] == 2.0f;
  }
  std::string description =
      fmt::format("pow {} ^ {}{} ({} rows x {})", graph::to_string(tx), graph::to_string(ty),
                  square ? " (square)" : "", plan.rows(), plan.inner());
  return ops::make_kernel(std::move(description), [plan, n, tx, ty, square](
                                                      std::span<const TensorView> in,
                                                      std::span<const TensorView> o,
                                                      const RunContext& ctx) {
    if (n == 0) return;
    const int t = ctx.threads;
    if (tx == DataType::f32 && ty == DataType::f32) {
      if (square) {
        ops::map_broadcast(plan, in[0].f, in[1].f, o[0].f, t, [](float a, float) { return a * a; });
      } else {
        ops::map_broadcast(plan, in[0].f, in[1].f, o[0].f, t,
                           [](float a, float b) { return std::pow(a, b); });
      }
    } else if (tx == DataType::f32) {
      ops::map_broadcast(plan, in[0].f, in[1].i, o[0].f, t, [](float a, int64_t b) {
        return static_cast<float>(std::pow(double(a), double(b)));
      });
    } else if (ty == DataType::f32) {
      ops::map_broadcast(plan, in[0].i, in[1].f, o[0].i, t, [](int64_t a, float b) {
        return double_to_int64(std::pow(double(a), double(b)));
      });
    } else {
      ops::map_broadcast(plan, in[0].i, in[1].i, o[0].i, t,
                         [](int64_t a, int64_t b) { return pow_int(a, b); });
    }
  });
}

}  // namespace

void register_math_ops(OpTable& t) {
  add_op(t, "Sqrt", {infer_plain_unary, create_sqrt, ChannelRole::unary});
  add_op(t, "Exp", {infer_plain_unary, create_exp, ChannelRole::unary});
  add_op(t, "Log", {infer_plain_unary, create_log, ChannelRole::unary});
  add_op(t, "Tanh", {infer_plain_unary, create_tanh, ChannelRole::unary});
  add_op(t, "Erf", {infer_plain_unary, create_erf, ChannelRole::unary});
  add_op(t, "Reciprocal", {infer_plain_unary, create_reciprocal, ChannelRole::unary});
  add_op(t, "Floor", {infer_plain_unary, create_floor, ChannelRole::unary});
  add_op(t, "Ceil", {infer_plain_unary, create_ceil, ChannelRole::unary});
  add_op(t, "Neg", {infer_numeric_unary, create_neg, ChannelRole::unary});
  add_op(t, "Abs", {infer_numeric_unary, create_abs, ChannelRole::unary});
  add_op(t, "LeakyRelu", {infer_leaky_relu, create_leaky_relu, ChannelRole::unary});
  add_op(t, "Elu", {infer_elu, create_elu, ChannelRole::unary});
  add_op(t, "Selu", {infer_selu, create_selu, ChannelRole::unary});
  add_op(t, "Softplus", {infer_plain_unary, create_softplus, ChannelRole::unary});
  add_op(t, "PRelu", {infer_prelu, create_prelu, ChannelRole::elementwise});
  add_op(t, "Pow", {infer_pow, create_pow, ChannelRole::elementwise});
}

}  // namespace onexn::runtime
