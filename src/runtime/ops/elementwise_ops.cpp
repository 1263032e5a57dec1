// Elementwise ops: activations (Relu, Clip, Sigmoid, HardSigmoid, HardSwish), the broadcasting
// arithmetic ops (Add, Sub, Mul, Div) and the ops that pass a tensor through (Identity, Dropout,
// Cast). Arithmetic and Identity/Cast also run on int64 constants (shape computations).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "onexn/error.hpp"
#include "runtime/ops/op_broadcast.hpp"
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
// `axis` of A). Float32, or int64 constants (integer Div truncates; division by zero fails).

enum class Arith { add, sub, mul, div };

// B's shape as numpy broadcasting should see it: the legacy form aligns B at `axis` of A, which
// is B with trailing size-1 dims appended.
Shape effective_b_shape(const Graph& g, const Node& node) {
  const Shape& a = input_value(g, node, 0).shape;
  Shape b = input_value(g, node, 1).shape;
  if (node.attr_int("broadcast", 0) == 0) {
    if (node.has_attr("axis")) fail(g, node, "attribute 'axis' is set without broadcast = 1");
    return b;
  }
  if (node.has_attr("axis")) {
    const int64_t rank = static_cast<int64_t>(a.size());
    const int64_t axis =
        ops::normalize_axis(g, node, node.attr_int("axis", 0), rank, "attribute 'axis'");
    if (axis + static_cast<int64_t>(b.size()) > rank) {
      fail(g, node,
           fmt::format("attribute 'axis' = {} leaves no room for B of shape {} in A of shape {}",
                       axis, graph::shape_string(b), graph::shape_string(a)));
    }
    b.resize(rank - axis, 1);
  }
  return b;
}

void infer_arith(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"broadcast", "axis", "consumed_inputs"});
  ops::check_arity(g, node, 2, 2, 1, 1);
  const graph::Value& a = input_value(g, node, 0);
  const graph::Value& b = input_value(g, node, 1);
  if (a.type != b.type) {
    fail(g, node,
         fmt::format("inputs '{}' ({}) and '{}' ({}) have different types", a.name,
                     graph::to_string(a.type), b.name, graph::to_string(b.type)));
  }
  const int64_t legacy = node.attr_int("broadcast", 0);
  if (legacy != 0 && legacy != 1)
    fail(g, node, fmt::format("attribute 'broadcast' = {} is not 0 or 1", legacy));
  const Shape b_shape = effective_b_shape(g, node);
  std::optional<Shape> out = ops::broadcast_shapes(a.shape, b_shape);
  if (g.opset < 7 && legacy == 0 && a.shape != b.shape) out.reset();  // no implicit broadcasting
  if (legacy == 1 && out && *out != a.shape) out.reset();  // legacy: B broadcasts to A only
  if (!out) {
    fail(g, node,
         fmt::format("input shapes {} and {} are not broadcastable", graph::shape_string(a.shape),
                     graph::shape_string(b.shape)));
  }
  if (a.type == DataType::i64 && !(a.constant && b.constant)) {
    fail(g, node, "int64 arithmetic runs on constants only (shape computations)");
  }
  set_output(g, node, 0, a.type, *out);
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

// One row of the plan: n outputs from a (stride sa) and b (stride sb), strides 0 or 1 taking
// loops the compiler vectorizes.
template <Arith op, typename T>
void arith_row(const T* a, int64_t sa, const T* b, int64_t sb, T* y, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = apply<op>(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const T s = b[0];
    for (int64_t i = 0; i < n; ++i) y[i] = apply<op>(a[i], s);
  } else if (sa == 0 && sb == 1) {
    const T s = a[0];
    for (int64_t i = 0; i < n; ++i) y[i] = apply<op>(s, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = apply<op>(a[i * sa], b[i * sb]);
  }
}

template <Arith op, typename T>
void run_arith(const ops::BroadcastPlan& p, const T* a, const T* b, T* y, int threads) {
  const int64_t rows = p.rows(), inner = p.inner();
  const int64_t sa = p.a_strides.back(), sb = p.b_strides.back();
  if (rows == 1) {
    // One long row: split it into chunks (same result for any split).
    const int64_t chunk = 16 * 1024;
    const int64_t chunks = (inner + chunk - 1) / chunk;
#pragma omp parallel for num_threads(threads) if (inner > kParallelMin) schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t begin = c * chunk, n = std::min(chunk, inner - begin);
      arith_row<op>(a + begin * sa, sa, b + begin * sb, sb, y + begin, n);
    }
    return;
  }
#pragma omp parallel for num_threads(threads) if (rows * inner > kParallelMin) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t ao = 0, bo = 0;
    p.row_offsets(r, ao, bo);
    arith_row<op>(a + ao, sa, b + bo, sb, y + r * inner, inner);
  }
}

template <Arith op>
std::unique_ptr<OpKernel> create_arith(const Graph& g, const Node& node) {
  const graph::Value& a = input_value(g, node, 0);
  const Shape& out = g.value(node.outputs.at(0)).shape;
  const ops::BroadcastPlan plan = ops::plan_broadcast(out, a.shape, effective_b_shape(g, node));
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
          run_arith<op>(plan, in[0].f, in[1].f, o[0].f, ctx.threads);
          return;
        }
        if constexpr (op == Arith::div) {
          const int64_t nb = in[1].numel();
          for (int64_t k = 0; k < nb; ++k) {
            if (in[1].i[k] == 0) throw Error(where + ": int64 division by zero");
            if (in[1].i[k] == -1) {
              const int64_t na = in[0].numel();
              for (int64_t j = 0; j < na; ++j) {
                if (in[0].i[j] == std::numeric_limits<int64_t>::min()) {
                  throw Error(where + ": int64 division overflows (INT64_MIN / -1)");
                }
              }
            }
          }
        }
        run_arith<op>(plan, in[0].i, in[1].i, o[0].i, 1);
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

// ONNX TensorProto data types 'to' may name; onexn casts to FLOAT (1) and INT64 (7).
const char* onnx_type_name(int64_t t) {
  static constexpr const char* names[] = {"UNDEFINED",  "FLOAT",   "UINT8",  "INT8",   "UINT16",
                                          "INT16",      "INT32",   "INT64",  "STRING", "BOOL",
                                          "FLOAT16",    "DOUBLE",  "UINT32", "UINT64", "COMPLEX64",
                                          "COMPLEX128", "BFLOAT16"};
  return t >= 0 && t < int64_t(std::size(names)) ? names[t] : "unknown";
}

DataType cast_target(const Graph& g, const Node& node) {
  if (!node.has_attr("to")) fail(g, node, "attribute 'to' is missing");
  const graph::Attribute& a = node.attrs.at("to");
  if (a.kind == graph::Attribute::Kind::string) {  // opset 1: the type's name
    if (a.s == "FLOAT") return DataType::f32;
    if (a.s == "INT64") return DataType::i64;
    fail(g, node, fmt::format("attribute 'to' = '{}': onexn casts to FLOAT or INT64 only", a.s));
  }
  if (a.i == 1) return DataType::f32;
  if (a.i == 7) return DataType::i64;
  fail(g, node,
       fmt::format("attribute 'to' = {} ({}): onexn casts to FLOAT (1) or INT64 (7) only", a.i,
                   onnx_type_name(a.i)));
}

void infer_cast(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"to"});
  ops::check_arity(g, node, 1, 1, 1, 1);
  const DataType to = cast_target(g, node);
  const graph::Value& x = input_value(g, node, 0);
  if (to == DataType::i64 && !x.constant) {
    fail(g, node,
         fmt::format("casts run-time tensor '{}' to INT64; onexn runs float32 activations only "
                     "(int64 only in constant shape computations)",
                     x.name));
  }
  set_output(g, node, 0, to, x.shape);
}

std::unique_ptr<OpKernel> create_cast(const Graph& g, const Node& node) {
  const DataType to = cast_target(g, node);
  const DataType from = input_value(g, node, 0).type;
  if (from == to) return ops::make_copy_kernel(g, node, "copy");
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  const std::string where = fmt::format("{}: {}", g.name, node.where());
  if (to == DataType::f32) {
    return ops::make_kernel(
        "int64 -> float32",
        [n](std::span<const TensorView> in, std::span<const TensorView> out, const RunContext&) {
          for (int64_t k = 0; k < n; ++k) out[0].f[k] = static_cast<float>(in[0].i[k]);
        });
  }
  return ops::make_kernel("float32 -> int64",
                          [n, where](std::span<const TensorView> in,
                                     std::span<const TensorView> out, const RunContext&) {
                            for (int64_t k = 0; k < n; ++k) {
                              const float x = in[0].f[k];
                              // Truncation toward zero; values int64 cannot hold have no defined
                              // result.
                              if (!(x >= -9.2233720368547758e18f && x < 9.2233720368547758e18f)) {
                                throw Error(fmt::format("{}: cannot cast {} to INT64", where, x));
                              }
                              out[0].i[k] = static_cast<int64_t>(x);
                            }
                          });
}

}  // namespace

void register_elementwise_ops(OpTable& t) {
  add_op(t, "Relu", {infer_relu, create_relu});
  add_op(t, "Clip", {infer_clip, create_clip});
  add_op(t, "Sigmoid", {infer_sigmoid, create_sigmoid});
  add_op(t, "HardSigmoid", {infer_hard_sigmoid, create_hard_sigmoid});
  add_op(t, "HardSwish", {infer_hard_swish, create_hard_swish});
  add_op(t, "Add", {infer_arith, create_arith<Arith::add>});
  add_op(t, "Sub", {infer_arith, create_arith<Arith::sub>});
  add_op(t, "Mul", {infer_arith, create_arith<Arith::mul>});
  add_op(t, "Div", {infer_arith, create_arith<Arith::div>});
  add_op(t, "Identity", {infer_identity, create_identity});
  add_op(t, "Dropout", {infer_dropout, create_dropout});
  add_op(t, "Cast", {infer_cast, create_cast});
}

}  // namespace onexn::runtime
