// Elementwise ops: activations (Relu, Clip, Sigmoid, HardSigmoid, HardSwish), the broadcasting
// arithmetic ops (Add, Sub, Mul, Div) and the ops that pass a tensor through (Identity, Dropout,
// Cast). Arithmetic, Identity and Cast run on float32 and int64 tensors (shape computations,
// indices, bools), constant or not.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#include "onexn/error.hpp"
#include "runtime/ops/op_binary.hpp"
#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_math.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::kParallelMin;

// y[i] = f(x[i]) over n floats, split across threads when large (each element independent, so
// the result does not depend on the thread count).
template <typename F>
void map_floats(const float* x, float* y, int64_t n, int threads, F f) {
#pragma omp parallel for num_threads(threads) if (n > kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// ---- unary float activations -------------------------------------------------------------

void infer_unary(Graph& g, const Node& node) {
  ops::check_arity(g, node, 1, 1, 1, 1);
  ops::require_type(g, node, 0, DataType::f32, "input 0 (X)");
  set_output(g, node, 0, DataType::f32, input_value(g, node, 0).shape);
}

template <typename MakeF>
std::unique_ptr<OpKernel> make_unary(const Graph& g, const Node& node, std::string description,
                                     MakeF make_f) {
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  auto f = make_f();
  return ops::make_kernel(
      std::move(description),
      [n, f](std::span<const TensorView> in, std::span<const TensorView> out,
             const RunContext& ctx) { map_floats(in[0].f, out[0].f, n, ctx.threads, f); });
}

void infer_relu(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"consumed_inputs"});  // consumed_inputs: opset 1, no effect
  infer_unary(g, node);
}

std::unique_ptr<OpKernel> create_relu(const Graph& g, const Node& node) {
  return make_unary(g, node, "relu", [] { return [](float x) { return x > 0.0f ? x : 0.0f; }; });
}

void infer_sigmoid(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"consumed_inputs"});
  infer_unary(g, node);
}

// An array function f(x, y, n) over n floats, in chunks split across threads when large.
std::unique_ptr<OpKernel> make_array_unary(const Graph& g, const Node& node,
                                           std::string description,
                                           void (*f)(const float*, float*, int64_t)) {
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  return ops::make_kernel(
      std::move(description), [n, f](std::span<const TensorView> in,
                                     std::span<const TensorView> out, const RunContext& ctx) {
        constexpr int64_t chunk = 4096;
        const int64_t chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for num_threads(ctx.threads) if (n > kParallelMin) schedule(static)
        for (int64_t c = 0; c < chunks; ++c)
          f(in[0].f + c * chunk, out[0].f + c * chunk, std::min(chunk, n - c * chunk));
      });
}

std::unique_ptr<OpKernel> create_sigmoid(const Graph& g, const Node& node) {
  return make_array_unary(g, node, "sigmoid", ops::sigmoid_floats);
}

void infer_hard_sigmoid(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"alpha", "beta", "consumed_inputs"});
  infer_unary(g, node);
}

std::unique_ptr<OpKernel> create_hard_sigmoid(const Graph& g, const Node& node) {
  const float alpha = node.attr_float("alpha", 0.2f), beta = node.attr_float("beta", 0.5f);
  return make_unary(g, node, fmt::format("hardsigmoid alpha={} beta={}", alpha, beta), [=] {
    return [alpha, beta](float x) { return std::min(1.0f, std::max(0.0f, alpha * x + beta)); };
  });
}

void infer_hard_swish(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {});
  infer_unary(g, node);
}

std::unique_ptr<OpKernel> create_hard_swish(const Graph& g, const Node& node) {
  return make_array_unary(g, node, "hardswish", ops::hardswish_floats);
}

// ---- Clip ----------------------------------------------------------------------------------
// Bounds: attributes min / max before opset 11, optional scalar inputs 1 and 2 from opset 11.
// Constant bounds are read at create time; others at run time.

void infer_clip(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"min", "max", "consumed_inputs"});
  ops::check_arity(g, node, 1, 3, 1, 1);
  ops::require_type(g, node, 0, DataType::f32, "input 0 (input)");
  if (node.inputs.size() > 1 && (node.has_attr("min") || node.has_attr("max"))) {
    fail(g, node, "has both bound attributes (min/max, opset < 11) and bound inputs (opset >= 11)");
  }
  for (size_t k = 1; k < 3; ++k) {
    if (!ops::has_input(node, k)) continue;
    const char* role = k == 1 ? "input 1 (min)" : "input 2 (max)";
    ops::require_type(g, node, k, DataType::f32, role);
    const graph::Value& v = input_value(g, node, k);
    if (graph::numel(v.shape) != 1) {
      fail(g, node,
           fmt::format("{} '{}' has shape {}, expected a scalar", role, v.name,
                       graph::shape_string(v.shape)));
    }
  }
  set_output(g, node, 0, DataType::f32, input_value(g, node, 0).shape);
}

std::unique_ptr<OpKernel> create_clip(const Graph& g, const Node& node) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  // Bounds known now: from attributes or constant inputs. Unknown ones (-1 input index) are read
  // from the run-time input.
  float lo = node.attr_float("min", -inf), hi = node.attr_float("max", inf);
  bool lo_runtime = false, hi_runtime = false;
  if (const graph::Constant* c = ops::constant_input(g, node, 1)) {
    lo = c->as_floats().at(0);
  } else {
    lo_runtime = ops::has_input(node, 1);
  }
  if (const graph::Constant* c = ops::constant_input(g, node, 2)) {
    hi = c->as_floats().at(0);
  } else {
    hi_runtime = ops::has_input(node, 2);
  }
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  return ops::make_kernel(
      lo_runtime || hi_runtime ? "clip (run-time bounds)" : fmt::format("clip [{}, {}]", lo, hi),
      [=](std::span<const TensorView> in, std::span<const TensorView> out, const RunContext& ctx) {
        const float l = lo_runtime ? in[1].f[0] : lo;
        const float h = hi_runtime ? in[2].f[0] : hi;
        // min(max(x, l), h): as numpy.clip, all h when l > h.
        map_floats(in[0].f, out[0].f, n, ctx.threads,
                   [l, h](float x) { return std::min(std::max(x, l), h); });
      });
}

// ---- Add Sub Mul Div -----------------------------------------------------------------------
// Numpy broadcasting; before opset 7 also the legacy form (attribute broadcast = 1, B aligned at
// `axis` of A; see op_binary.hpp). Float32 or int64 (integer Div truncates toward zero, as C++
// and ONNX Runtime do; division by zero fails).

enum class Arith { add, sub, mul, div };

void infer_arith(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"broadcast", "axis", "consumed_inputs"});
  ops::check_arity(g, node, 2, 2, 1, 1);
  ops::require_same_types(g, node, 0, 1);
  set_output(g, node, 0, input_value(g, node, 0).type, ops::infer_binary_shape(g, node));
}

// int64 add / sub / mul wrap around (two's complement, as numpy's int64 does) rather than
// overflow, which C++ leaves undefined.
template <Arith op, typename T>
inline T apply(T x, T y) {
  using U = std::conditional_t<std::is_integral_v<T>, uint64_t, T>;
  if constexpr (op == Arith::add) return static_cast<T>(static_cast<U>(x) + static_cast<U>(y));
  if constexpr (op == Arith::sub) return static_cast<T>(static_cast<U>(x) - static_cast<U>(y));
  if constexpr (op == Arith::mul) return static_cast<T>(static_cast<U>(x) * static_cast<U>(y));
  if constexpr (op == Arith::div) return x / y;
}

// Integer division's undefined cases, checked before any thread starts: a zero divisor, and
// INT64_MIN / -1 (whose quotient int64 cannot hold).
void check_int_division(const TensorView& a, const TensorView& b, const std::string& where) {
  bool minus_one = false;
  const int64_t nb = b.numel();
  for (int64_t k = 0; k < nb; ++k) {
    if (b.i[k] == 0) throw Error(where + ": int64 division by zero");
    minus_one |= b.i[k] == -1;
  }
  if (!minus_one) return;
  const int64_t na = a.numel();
  for (int64_t j = 0; j < na; ++j) {
    if (a.i[j] == std::numeric_limits<int64_t>::min()) {
      throw Error(where + ": int64 division overflows (INT64_MIN / -1)");
    }
  }
}

template <Arith op>
std::unique_ptr<OpKernel> create_arith(const Graph& g, const Node& node) {
  const graph::Value& a = input_value(g, node, 0);
  const Shape& out = g.value(node.outputs.at(0)).shape;
  const ops::BroadcastPlan plan = ops::plan_broadcast(out, a.shape, ops::legacy_b_shape(g, node));
  const DataType type = a.type;
  const std::string where = fmt::format("{}: {}", g.name, node.where());
  const int64_t n_out = graph::numel(out);
  static constexpr const char* names[] = {"add", "sub", "mul", "div"};
  std::string description = fmt::format("{} {} ({} rows x {})", names[int(op)],
                                        graph::to_string(type), plan.rows(), plan.inner());
  return ops::make_kernel(
      std::move(description),
      [plan, type, where, n_out](std::span<const TensorView> in, std::span<const TensorView> o,
                                 const RunContext& ctx) {
        if (n_out == 0) return;
        if (type == DataType::f32) {
          ops::map_broadcast(plan, in[0].f, in[1].f, o[0].f, ctx.threads,
                             [](float x, float y) { return apply<op>(x, y); });
          return;
        }
        if constexpr (op == Arith::div) check_int_division(in[0], in[1], where);
        ops::map_broadcast(plan, in[0].i, in[1].i, o[0].i, ctx.threads,
                           [](int64_t x, int64_t y) { return apply<op>(x, y); });
      });
}

// ---- Identity, Dropout, Cast -----------------------------------------------------------------

void infer_identity(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {});
  ops::check_arity(g, node, 1, 1, 1, 1);
  const graph::Value& x = input_value(g, node, 0);
  set_output(g, node, 0, x.type, x.shape);
}

std::unique_ptr<OpKernel> create_identity(const Graph& g, const Node& node) {
  return ops::make_copy_kernel(g, node, "copy");
}

// Inference only: the output is the input; the optional mask output is all ones (bool, i.e. an
// int64 tensor of 1s). Training (training_mode = true, or is_test = 0 before opset 7)
// fails, as does a training_mode that is not a constant.
void infer_dropout(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"ratio", "seed", "is_test", "consumed_inputs"});
  ops::check_arity(g, node, 1, 3, 1, 2);
  ops::require_type(g, node, 0, DataType::f32, "input 0 (data)");
  if (node.has_attr("is_test") && node.attr_int("is_test", 0) == 0) {
    fail(g, node,
         "attribute 'is_test' = 0 asks for training-mode dropout; onexn runs inference only");
  }
  if (ops::has_input(node, 2)) {
    const graph::Constant* t = ops::constant_input(g, node, 2);
    if (!t)
      fail(g, node, "input 2 (training_mode) must be a constant false; onexn runs inference only");
    for (int64_t v : t->as_ints()) {
      if (v != 0) fail(g, node, "input 2 (training_mode) is true; onexn runs inference only");
    }
  }
  const Shape& shape = input_value(g, node, 0).shape;
  set_output(g, node, 0, DataType::f32, shape);
  set_output(g, node, 1, DataType::i64, shape);
}

std::unique_ptr<OpKernel> create_dropout(const Graph& g, const Node& node) {
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  const bool mask = ops::has_output(node, 1);
  return ops::make_kernel(mask ? "copy, mask of ones" : "copy",
                          [n, mask](std::span<const TensorView> in, std::span<const TensorView> out,
                                    const RunContext&) {
                            if (out[0].f != in[0].f) ops::copy_elems(out[0].f, in[0].f, n * 4);
                            if (mask) std::fill(out[1].i, out[1].i + n, int64_t{1});
                          });
}

// ---- Cast ------------------------------------------------------------------------------------
// onexn holds float32 and int64 tensors (bools are int64 0/1), so Cast reaches five ONNX types:
//   FLOAT (1), DOUBLE (11): float32 (a float32 value is exact in double; DOUBLE keeps float32
//                           precision, as does every double tensor the importer reads);
//   FLOAT16 (10):           float32 rounded to the nearest half (ties to even; beyond 65504 to
//                           +-inf), so later ops see the values a float16 tensor would hold;
//   INT64 (7):              truncation toward zero; NaN and values beyond int64 fail;
//   BOOL (9):               int64 1 for any non-zero value (NaN included), else 0.
// Any other type fails naming it. Casts run on constants and at run time alike.

enum class CastTo { f32, f64, f16, i64, boolean };

const char* onnx_type_name(int64_t t) {
  static constexpr const char* names[] = {"UNDEFINED",  "FLOAT",   "UINT8",  "INT8",   "UINT16",
                                          "INT16",      "INT32",   "INT64",  "STRING", "BOOL",
                                          "FLOAT16",    "DOUBLE",  "UINT32", "UINT64", "COMPLEX64",
                                          "COMPLEX128", "BFLOAT16"};
  return t >= 0 && t < int64_t(std::size(names)) ? names[t] : "unknown";
}

constexpr const char* kCastTargets = "FLOAT (1), INT64 (7), BOOL (9), FLOAT16 (10) or DOUBLE (11)";

CastTo cast_target(const Graph& g, const Node& node) {
  if (!node.has_attr("to")) fail(g, node, "attribute 'to' is missing");
  const graph::Attribute& a = node.attrs.at("to");
  int64_t to = a.i;
  if (a.kind == graph::Attribute::Kind::string) {  // opset 1: the type's name
    to = -1;
    for (int64_t t : {1, 7, 9, 10, 11})
      if (a.s == onnx_type_name(t)) to = t;
    if (to < 0)
      fail(g, node, fmt::format("attribute 'to' = '{}': onexn casts to {}", a.s, kCastTargets));
  } else if (a.kind != graph::Attribute::Kind::int_) {
    fail(g, node, "attribute 'to' is not an integer (a TensorProto data type)");
  }
  switch (to) {
    case 1:
      return CastTo::f32;
    case 7:
      return CastTo::i64;
    case 9:
      return CastTo::boolean;
    case 10:
      return CastTo::f16;
    case 11:
      return CastTo::f64;
    default:
      fail(g, node,
           fmt::format("attribute 'to' = {} ({}): onexn casts to {} only", to, onnx_type_name(to),
                       kCastTargets));
  }
}

DataType cast_type(CastTo to) {
  return to == CastTo::i64 || to == CastTo::boolean ? DataType::i64 : DataType::f32;
}

void infer_cast(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"to"});
  ops::check_arity(g, node, 1, 1, 1, 1);
  const CastTo to = cast_target(g, node);
  set_output(g, node, 0, cast_type(to), input_value(g, node, 0).shape);
}

// The float16 value nearest x (ties to even), as a float: 10 mantissa bits for normal halves
// (|x| >= 2^-14), multiples of 2^-24 below, +-inf from 65520 (halfway between 65504, the largest
// half, and 65536) up. NaN stays NaN.
float round_to_half(float x) {
  const float a = std::fabs(x);
  if (!(a < 65520.0f)) return a != a ? x : std::copysign(std::numeric_limits<float>::infinity(), x);
  if (a < 6.103515625e-05f) {  // 2^-14: a subnormal half; x * 2^24 is exact, round it to an integer
    return std::copysign(std::nearbyint(a * 16777216.0f) / 16777216.0f, x);
  }
  // Keep the top 10 of float's 23 mantissa bits, rounding the 13 dropped ones to nearest even (a
  // carry into the exponent is the right result).
  uint32_t bits = std::bit_cast<uint32_t>(x);
  bits += 0x0FFFu + ((bits >> 13) & 1u);
  return std::bit_cast<float>(bits & ~0x1FFFu);
}

// y[i] = f(x[i]) split across threads when large.
template <typename TX, typename TY, typename F>
void map_cast(const TX* x, TY* y, int64_t n, int threads, F f) {
#pragma omp parallel for num_threads(threads) if (n > kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

std::unique_ptr<OpKernel> create_cast(const Graph& g, const Node& node) {
  const CastTo to = cast_target(g, node);
  const DataType from = input_value(g, node, 0).type;
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  const std::string where = fmt::format("{}: {}", g.name, node.where());
  if (from == DataType::f32 && (to == CastTo::f32 || to == CastTo::f64))
    return ops::make_copy_kernel(g, node, "copy");
  if (from == DataType::i64 && to == CastTo::i64) return ops::make_copy_kernel(g, node, "copy");
  static constexpr const char* names[] = {"float32", "float64 (held as float32)",
                                          "float16 (held as float32)", "int64", "bool"};
  std::string description =
      fmt::format("{} -> {}", graph::to_string(from), names[static_cast<int>(to)]);
  return ops::make_kernel(
      std::move(description),
      [n, from, to, where](std::span<const TensorView> in, std::span<const TensorView> out,
                           const RunContext& ctx) {
        const int t = ctx.threads;
        if (from == DataType::i64) {
          const int64_t* x = in[0].i;
          if (to == CastTo::boolean) {
            map_cast(x, out[0].i, n, t, [](int64_t v) { return int64_t{v != 0}; });
          } else if (to == CastTo::f16) {
            map_cast(x, out[0].f, n, t, [](int64_t v) { return round_to_half(float(v)); });
          } else {
            map_cast(x, out[0].f, n, t, [](int64_t v) { return static_cast<float>(v); });
          }
          return;
        }
        const float* x = in[0].f;
        if (to == CastTo::boolean) {
          map_cast(x, out[0].i, n, t, [](float v) { return int64_t{v != 0.0f}; });
        } else if (to == CastTo::f16) {
          map_cast(x, out[0].f, n, t, round_to_half);
        } else {
          // Truncation toward zero; values int64 cannot hold have no defined result: checked
          // before any conversion.
          for (int64_t k = 0; k < n; ++k) {
            if (!(x[k] >= -9.2233720368547758e18f && x[k] < 9.2233720368547758e18f)) {
              throw Error(fmt::format("{}: cannot cast {} to INT64", where, x[k]));
            }
          }
          map_cast(x, out[0].i, n, t, [](float v) { return static_cast<int64_t>(v); });
        }
      });
}

}  // namespace

void register_elementwise_ops(OpTable& t) {
  add_op(t, "Relu", {infer_relu, create_relu, ChannelRole::unary});
  add_op(t, "Clip", {infer_clip, create_clip, ChannelRole::unary});
  add_op(t, "Sigmoid", {infer_sigmoid, create_sigmoid, ChannelRole::unary});
  add_op(t, "HardSigmoid", {infer_hard_sigmoid, create_hard_sigmoid, ChannelRole::unary});
  add_op(t, "HardSwish", {infer_hard_swish, create_hard_swish, ChannelRole::unary});
  add_op(t, "Add", {infer_arith, create_arith<Arith::add>, ChannelRole::elementwise});
  add_op(t, "Sub", {infer_arith, create_arith<Arith::sub>, ChannelRole::elementwise});
  add_op(t, "Mul", {infer_arith, create_arith<Arith::mul>, ChannelRole::elementwise});
  add_op(t, "Div", {infer_arith, create_arith<Arith::div>, ChannelRole::elementwise});
  add_op(t, "Identity", {infer_identity, create_identity, ChannelRole::unary});
  add_op(t, "Dropout", {infer_dropout, create_dropout, ChannelRole::unary});
  add_op(t, "Cast", {infer_cast, create_cast});
}

}  // namespace onexn::runtime
