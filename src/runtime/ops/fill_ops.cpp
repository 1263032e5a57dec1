// Ops that make a tensor from shapes or scalars rather than from an input's elements:
// ConstantOfShape, Range and Size. Their output shapes follow from constant inputs (or, for
// Size, from the input's shape alone), so they are folded at load time in practice; the kernels
// exist for the loader's folding and for completeness. Float32 and int64.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>

#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;

// ---- ConstantOfShape ---------------------------------------------------------------------------
// Input 0: the output shape (a constant int64 vector); attribute 'value': a one-element tensor
// whose value and type the output takes (default float32 0).

struct FillPlan {
  Shape out;
  graph::Constant value;  // one element
};

FillPlan fill_plan(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"value"});
  ops::check_arity(g, node, 1, 1, 1, 1);
  FillPlan p;
  p.out = ops::constant_ints(g, node, 0, "input 0 (shape)");
  if (input_value(g, node, 0).shape.size() != 1) {
    fail(g, node,
         fmt::format("input 0 (shape) has shape {}, expected a vector",
                     graph::shape_string(input_value(g, node, 0).shape)));
  }
  for (int64_t d : p.out) {
    if (d < 0)
      fail(g, node,
           fmt::format("input 0 (shape) [{}] has a negative size", fmt::join(p.out, ", ")));
  }
  p.value = graph::Constant::floats({1}, {0.0f});
  if (node.has_attr("value")) {
    const graph::Attribute& a = node.attrs.at("value");
    if (a.kind != graph::Attribute::Kind::tensor || !a.t || a.t->numel() != 1) {
      fail(g, node, "attribute 'value' must be a tensor of one element");
    }
    p.value = *a.t;
  }
  return p;
}

void infer_constant_of_shape(Graph& g, const Node& node) {
  const FillPlan p = fill_plan(g, node);
  set_output(g, node, 0, p.value.type, p.out);
}

std::unique_ptr<OpKernel> create_constant_of_shape(const Graph& g, const Node& node) {
  const FillPlan p = fill_plan(g, node);
  const int64_t n = graph::numel(p.out);
  const DataType type = p.value.type;
  const float f = type == DataType::f32 ? p.value.f[0] : 0.0f;
  const int64_t i = type == DataType::i64 ? p.value.i[0] : 0;
  return ops::make_kernel(
      fmt::format("fill {} with {}", graph::shape_string(p.out),
                  type == DataType::f32 ? fmt::format("{}", f) : fmt::format("{}", i)),
      [n, type, f, i](std::span<const TensorView>, std::span<const TensorView> out,
                      const RunContext&) {
        if (type == DataType::f32) {
          std::fill_n(out[0].f, n, f);
        } else {
          std::fill_n(out[0].i, n, i);
        }
      });
}

// ---- Range -------------------------------------------------------------------------------------
// out[k] = start + k * delta for k < max(ceil((limit - start) / delta), 0); three constant
// scalars of one type.

struct RangePlan {
  DataType type = DataType::f32;
  int64_t count = 0;
  double start_f = 0, delta_f = 0;   // float32
  int64_t start_i = 0, delta_i = 0;  // int64
};

RangePlan range_plan(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {});
  ops::check_arity(g, node, 3, 3, 1, 1);
  static constexpr const char* kRoles[] = {"input 0 (start)", "input 1 (limit)", "input 2 (delta)"};
  RangePlan p;
  p.type = input_value(g, node, 0).type;
  const graph::Constant* c[3];
  for (size_t k = 0; k < 3; ++k) {
    ops::require_type(g, node, k, p.type, kRoles[k]);
    c[k] = ops::constant_input(g, node, k);
    if (!c[k]) {
      fail(g, node,
           fmt::format("{} '{}' must be a constant (onexn fixes the output shape at load time)",
                       kRoles[k], input_value(g, node, k).name));
    }
    if (c[k]->numel() != 1) {
      fail(g, node,
           fmt::format("{} has shape {}, expected a scalar", kRoles[k],
                       graph::shape_string(c[k]->shape)));
    }
  }
  if (p.type == DataType::f32) {
    const double start = c[0]->f[0], limit = c[1]->f[0], delta = c[2]->f[0];
    if (delta == 0.0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta)) {
      fail(g, node,
           fmt::format("start {}, limit {}, delta {}: expected finite values and delta != 0", start,
                       limit, delta));
    }
    const double n = std::max(std::ceil((limit - start) / delta), 0.0);
    if (n > static_cast<double>(kMaxTensorElements))
      fail(g, node,
           fmt::format("start {}, limit {}, delta {} give more than 2^40 values", start, limit,
                       delta));
    p.count = static_cast<int64_t>(n);
    p.start_f = start;
    p.delta_f = delta;
  } else {
    const int64_t start = c[0]->i[0], limit = c[1]->i[0], delta = c[2]->i[0];
    if (delta == 0) fail(g, node, "input 2 (delta) is 0");
    // ceil((limit - start) / delta) without overflow: the span in unsigned arithmetic.
    const bool up = delta > 0;
    if (up ? limit > start : limit < start) {
      const uint64_t span =
          up ? uint64_t(limit) - uint64_t(start) : uint64_t(start) - uint64_t(limit);
      const uint64_t step = up ? uint64_t(delta) : uint64_t(0) - uint64_t(delta);
      const uint64_t n = span / step + (span % step != 0);
      if (n > static_cast<uint64_t>(kMaxTensorElements))
        fail(g, node,
             fmt::format("start {}, limit {}, delta {} give more than 2^40 values", start, limit,
                         delta));
      p.count = static_cast<int64_t>(n);
    }
    p.start_i = start;
    p.delta_i = delta;
  }
  return p;
}

void infer_range(Graph& g, const Node& node) {
  const RangePlan p = range_plan(g, node);
  set_output(g, node, 0, p.type, {p.count});
}

std::unique_ptr<OpKernel> create_range(const Graph& g, const Node& node) {
  const RangePlan p = range_plan(g, node);
  return ops::make_kernel(
      fmt::format("range of {}", p.count),
      [p](std::span<const TensorView>, std::span<const TensorView> out, const RunContext&) {
        for (int64_t k = 0; k < p.count; ++k) {
          if (p.type == DataType::f32) {
            out[0].f[k] = static_cast<float>(p.start_f + static_cast<double>(k) * p.delta_f);
          } else {
            // Within [start, limit); k * delta alone may not fit: two's complement arithmetic.
            out[0].i[k] =
                static_cast<int64_t>(static_cast<uint64_t>(p.start_i) +
                                     static_cast<uint64_t>(k) * static_cast<uint64_t>(p.delta_i));
          }
        }
      });
}

// ---- Size --------------------------------------------------------------------------------------
// The number of elements of input 0, an int64 scalar; a constant set by infer.

void infer_size(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {});
  ops::check_arity(g, node, 1, 1, 1, 1);
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  set_output(g, node, 0, DataType::i64, {});
  g.value(node.outputs[0]).constant = graph::Constant::ints({}, {n});
}

std::unique_ptr<OpKernel> create_size(const Graph& g, const Node& node) {
  const int64_t n = graph::numel(input_value(g, node, 0).shape);
  return ops::make_kernel("size", [n](std::span<const TensorView>, std::span<const TensorView> out,
                                      const RunContext&) { out[0].i[0] = n; });
}

}  // namespace

void register_fill_ops(OpTable& t) {
  add_op(t, "ConstantOfShape", {infer_constant_of_shape, create_constant_of_shape});
  add_op(t, "Range", {infer_range, create_range});
  add_op(t, "Size", {infer_size, create_size});
}

}  // namespace onexn::runtime
