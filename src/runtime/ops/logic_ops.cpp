// Comparisons and logic (Equal, Greater, Less, GreaterOrEqual, LessOrEqual, Not, And, Or, Xor),
// Where, and the n-ary Min, Max, Sum, Mean. All broadcast numpy-style (the binary ones also in
// the legacy 'broadcast' / 'axis' form of opset 1, the n-ary ones not at all before opset 8).
//
// Types: onexn's bool is an int64 tensor of 0 and 1. Comparisons take two float32 or two int64
// inputs and give a bool; Not / And / Or / Xor take float32 or int64 inputs (mixed, since a
// float32 0/1 mask from elsewhere is a bool too), reading any non-zero value (NaN included) as
// true; Where's condition is read the same way, its X and Y are both float32 or both int64. Min,
// Max, Sum take float32 or int64, Mean float32. Every output element depends on its operands
// only, so the kernels split elements across threads without changing a result.
#include <fmt/format.h>

#include <cstring>
#include <type_traits>

#include "runtime/ops/op_binary.hpp"
#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::view_ptr;
using ops::with_type;

// ---- comparisons ---------------------------------------------------------------------------

enum class Cmp { equal, greater, less, greater_or_equal, less_or_equal };

template <Cmp op, typename T>
inline int64_t compare(T x, T y) {
  if constexpr (op == Cmp::equal) return x == y;
  if constexpr (op == Cmp::greater) return x > y;
  if constexpr (op == Cmp::less) return x < y;
  if constexpr (op == Cmp::greater_or_equal) return x >= y;
  if constexpr (op == Cmp::less_or_equal) return x <= y;
}

void infer_compare(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"broadcast", "axis"});
  ops::check_arity(g, node, 2, 2, 1, 1);
  ops::require_same_types(g, node, 0, 1);
  set_output(g, node, 0, DataType::i64, ops::infer_binary_shape(g, node));
}

// The plan of a binary node's output over its two (legacy-aligned) inputs.
ops::BroadcastPlan binary_plan(const Graph& g, const Node& node) {
  return ops::plan_broadcast(g.value(node.outputs.at(0)).shape, input_value(g, node, 0).shape,
                             ops::legacy_b_shape(g, node));
}

template <Cmp op>
std::unique_ptr<OpKernel> create_compare(const Graph& g, const Node& node) {
  static constexpr const char* names[] = {"equal", "greater", "less", "greater_or_equal",
                                          "less_or_equal"};
  const ops::BroadcastPlan plan = binary_plan(g, node);
  const DataType type = input_value(g, node, 0).type;
  const int64_t n = graph::numel(g.value(node.outputs.at(0)).shape);
  return ops::make_kernel(fmt::format("{} {} ({} rows x {})", names[int(op)],
                                      graph::to_string(type), plan.rows(), plan.inner()),
                          [plan, type, n](std::span<const TensorView> in,
                                          std::span<const TensorView> out, const RunContext& ctx) {
                            if (n == 0) return;
                            with_type(type, [&](auto tag) {
                              using T = decltype(tag);
                              ops::map_broadcast(plan, view_ptr<T>(in[0]), view_ptr<T>(in[1]),
                                                 out[0].i, ctx.threads,
                                                 [](T x, T y) { return compare<op>(x, y); });
                            });
                          });
}

// ---- Not And Or Xor ------------------------------------------------------------------------

enum class Logic { and_, or_, xor_ };

template <typename T>
inline bool truth(T x) {
  return x != T{0};  // a NaN is true, as numpy's bool(nan)
}

template <Logic op, typename A, typename B>
inline int64_t logic(A x, B y) {
  if constexpr (op == Logic::and_) return truth(x) && truth(y);
  if constexpr (op == Logic::or_) return truth(x) || truth(y);
  if constexpr (op == Logic::xor_) return truth(x) != truth(y);
}

void infer_not(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {});
  ops::check_arity(g, node, 1, 1, 1, 1);
  set_output(g, node, 0, DataType::i64, input_value(g, node, 0).shape);
}

std::unique_ptr<OpKernel> create_not(const Graph& g, const Node& node) {
  const DataType type = input_value(g, node, 0).type;
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  return ops::make_kernel(fmt::format("not {}", graph::to_string(type)),
                          [type, n](std::span<const TensorView> in, std::span<const TensorView> out,
                                    const RunContext& ctx) {
                            with_type(type, [&](auto tag) {
                              using T = decltype(tag);
                              const T* x = view_ptr<T>(in[0]);
                              int64_t* y = out[0].i;
#pragma omp parallel for num_threads(ctx.threads) if (n > ops::kParallelMin) schedule(static)
                              for (int64_t i = 0; i < n; ++i) y[i] = !truth(x[i]);
                            });
                          });
}

void infer_logic(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"broadcast", "axis"});
  ops::check_arity(g, node, 2, 2, 1, 1);
  set_output(g, node, 0, DataType::i64, ops::infer_binary_shape(g, node));
}

template <Logic op>
std::unique_ptr<OpKernel> create_logic(const Graph& g, const Node& node) {
  static constexpr const char* names[] = {"and", "or", "xor"};
  const ops::BroadcastPlan plan = binary_plan(g, node);
  const DataType ta = input_value(g, node, 0).type, tb = input_value(g, node, 1).type;
  const int64_t n = graph::numel(g.value(node.outputs.at(0)).shape);
  return ops::make_kernel(
      fmt::format("{} {} {} ({} rows x {})", names[int(op)], graph::to_string(ta),
                  graph::to_string(tb), plan.rows(), plan.inner()),
      [plan, ta, tb, n](std::span<const TensorView> in, std::span<const TensorView> out,
                        const RunContext& ctx) {
        if (n == 0) return;
        with_type(ta, [&](auto a_tag) {
          with_type(tb, [&](auto b_tag) {
            using A = decltype(a_tag);
            using B = decltype(b_tag);
            ops::map_broadcast(plan, view_ptr<A>(in[0]), view_ptr<B>(in[1]), out[0].i, ctx.threads,
                               [](A x, B y) { return logic<op>(x, y); });
          });
        });
      });
}

// ---- Where ---------------------------------------------------------------------------------

void infer_where(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {});
  ops::check_arity(g, node, 3, 3, 1, 1);
  ops::require_same_types(g, node, 1, 2);
  set_output(g, node, 0, input_value(g, node, 1).type, ops::infer_multi_shape(g, node, 0));
}

std::unique_ptr<OpKernel> create_where(const Graph& g, const Node& node) {
  const Shape& out = g.value(node.outputs.at(0)).shape;
  const ops::BroadcastPlanN plan =
      ops::plan_broadcast_n(out, {input_value(g, node, 0).shape, input_value(g, node, 1).shape,
                                  input_value(g, node, 2).shape});
  const DataType tc = input_value(g, node, 0).type, tx = input_value(g, node, 1).type;
  const int64_t n = graph::numel(out);
  return ops::make_kernel(fmt::format("where {} ? {} ({} rows x {})", graph::to_string(tc),
                                      graph::to_string(tx), plan.rows(), plan.inner()),
                          [plan, tc, tx, n](std::span<const TensorView> in,
                                            std::span<const TensorView> o, const RunContext& ctx) {
                            if (n == 0) return;
                            with_type(tc, [&](auto c_tag) {
                              with_type(tx, [&](auto x_tag) {
                                using C = decltype(c_tag);
                                using T = decltype(x_tag);
                                ops::map_broadcast3(plan, view_ptr<C>(in[0]), view_ptr<T>(in[1]),
                                                    view_ptr<T>(in[2]), view_ptr<T>(o[0]),
                                                    ctx.threads,
                                                    [](C c, T x, T y) { return truth(c) ? x : y; });
                              });
                            });
                          });
}

// ---- Min Max Sum Mean ----------------------------------------------------------------------
// Folded left to right as ONNX's reference does (((x0 op x1) op x2) ...; Mean divides the sum by
// the count at the end): the first step writes op(x0, x1) over the whole output, each later one
// updates the output in place. Min and Max propagate NaN (numpy.minimum / maximum).

enum class Nary { min, max, sum, mean };

template <Nary op, typename T>
inline T combine(T x, T y) {
  if constexpr (op == Nary::min) {
    if constexpr (std::is_floating_point_v<T>) return x < y || x != x ? x : y;
    return x < y ? x : y;
  } else if constexpr (op == Nary::max) {
    if constexpr (std::is_floating_point_v<T>) return x > y || x != x ? x : y;
    return x > y ? x : y;
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y));  // wraps
  } else {
    return x + y;
  }
}

template <Nary op>
void infer_nary(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"consumed_inputs"});
  ops::check_arity(g, node, 1, 1 << 20, 1, 1);
  for (size_t k = 1; k < node.inputs.size(); ++k) ops::require_same_types(g, node, 0, k);
  if (op == Nary::mean) ops::require_type(g, node, 0, DataType::f32, "input 0");
  set_output(g, node, 0, input_value(g, node, 0).type, ops::infer_multi_shape(g, node, 8));
}

template <Nary op>
std::unique_ptr<OpKernel> create_nary(const Graph& g, const Node& node) {
  static constexpr const char* names[] = {"min", "max", "sum", "mean"};
  const Shape& out = g.value(node.outputs.at(0)).shape;
  // plans[0]: x0 and x1 into the output; plans[k - 1] for k >= 2: the output and x_k.
  std::vector<ops::BroadcastPlan> plans;
  for (size_t k = 1; k < node.inputs.size(); ++k) {
    plans.push_back(ops::plan_broadcast(out, k == 1 ? input_value(g, node, 0).shape : out,
                                        input_value(g, node, k).shape));
  }
  const DataType type = input_value(g, node, 0).type;
  const int64_t n = graph::numel(out);
  const size_t count = node.inputs.size();
  return ops::make_kernel(
      fmt::format("{} of {} {}", names[int(op)], count, graph::to_string(type)),
      [plans, type, n, count](std::span<const TensorView> in, std::span<const TensorView> o,
                              const RunContext& ctx) {
        if (n == 0) return;
        with_type(type, [&](auto tag) {
          using T = decltype(tag);
          T* y = view_ptr<T>(o[0]);
          auto f = [](T a, T b) { return combine<op>(a, b); };
          if (count == 1) {
            ops::copy_elems(y, view_ptr<T>(in[0]), n * int64_t(sizeof(T)));  // same shape
          } else {
            ops::map_broadcast(plans[0], view_ptr<T>(in[0]), view_ptr<T>(in[1]), y, ctx.threads, f);
            for (size_t k = 2; k < count; ++k)
              ops::map_broadcast(plans[k - 1], y, view_ptr<T>(in[k]), y, ctx.threads, f);
          }
          if constexpr (op == Nary::mean && std::is_floating_point_v<T>) {
            const T divisor = static_cast<T>(count);
#pragma omp parallel for num_threads(ctx.threads) if (n > ops::kParallelMin) schedule(static)
            for (int64_t i = 0; i < n; ++i) y[i] /= divisor;
          }
        });
      });
}

}  // namespace

void register_logic_ops(OpTable& t) {
  add_op(t, "Equal", {infer_compare, create_compare<Cmp::equal>, ChannelRole::elementwise});
  add_op(t, "Greater", {infer_compare, create_compare<Cmp::greater>, ChannelRole::elementwise});
  add_op(t, "Less", {infer_compare, create_compare<Cmp::less>, ChannelRole::elementwise});
  add_op(t, "GreaterOrEqual",
         {infer_compare, create_compare<Cmp::greater_or_equal>, ChannelRole::elementwise});
  add_op(t, "LessOrEqual",
         {infer_compare, create_compare<Cmp::less_or_equal>, ChannelRole::elementwise});
  add_op(t, "Not", {infer_not, create_not, ChannelRole::unary});
  add_op(t, "And", {infer_logic, create_logic<Logic::and_>, ChannelRole::elementwise});
  add_op(t, "Or", {infer_logic, create_logic<Logic::or_>, ChannelRole::elementwise});
  add_op(t, "Xor", {infer_logic, create_logic<Logic::xor_>, ChannelRole::elementwise});
  add_op(t, "Where", {infer_where, create_where, ChannelRole::elementwise});
  add_op(t, "Min", {infer_nary<Nary::min>, create_nary<Nary::min>, ChannelRole::elementwise});
  add_op(t, "Max", {infer_nary<Nary::max>, create_nary<Nary::max>, ChannelRole::elementwise});
  add_op(t, "Sum", {infer_nary<Nary::sum>, create_nary<Nary::sum>, ChannelRole::elementwise});
  add_op(t, "Mean", {infer_nary<Nary::mean>, create_nary<Nary::mean>, ChannelRole::elementwise});
}

}  // namespace onexn::runtime
