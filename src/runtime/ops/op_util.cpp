#include "runtime/ops/op_util.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace onexn::runtime::ops {

void check_attrs(const graph::Graph& g, const graph::Node& node,
                 std::initializer_list<std::string_view> known) {
  for (const auto& [key, attr] : node.attrs) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      fail(g, node,
           fmt::format("attribute '{}' is not supported (onexn reads: {})", key,
                       known.size() == 0 ? std::string("none")
                                         : fmt::format("{}", fmt::join(known, ", "))));
    }
  }
}

void check_arity(const graph::Graph& g, const graph::Node& node, size_t min_inputs,
                 size_t max_inputs, size_t min_outputs, size_t max_outputs) {
  if (node.inputs.size() < min_inputs || node.inputs.size() > max_inputs) {
    fail(g, node,
         min_inputs == max_inputs
             ? fmt::format("has {} inputs, expected {}", node.inputs.size(), min_inputs)
             : fmt::format("has {} inputs, expected {} to {}", node.inputs.size(), min_inputs,
                           max_inputs));
  }
  for (size_t k = 0; k < min_inputs; ++k) {
    if (node.inputs[k] < 0) fail(g, node, fmt::format("required input {} is omitted", k));
  }
  if (node.outputs.size() < min_outputs || node.outputs.size() > max_outputs) {
    fail(g, node,
         min_outputs == max_outputs
             ? fmt::format("has {} outputs, expected {}", node.outputs.size(), min_outputs)
             : fmt::format("has {} outputs, expected {} to {}", node.outputs.size(), min_outputs,
                           max_outputs));
  }
  for (size_t k = 0; k < min_outputs; ++k) {
    if (node.outputs[k] < 0) fail(g, node, fmt::format("required output {} is omitted", k));
  }
}

bool has_input(const graph::Node& node, size_t k) {
  return k < node.inputs.size() && node.inputs[k] >= 0;
}

bool has_output(const graph::Node& node, size_t k) {
  return k < node.outputs.size() && node.outputs[k] >= 0;
}

void require_type(const graph::Graph& g, const graph::Node& node, size_t k, DataType t,
                  std::string_view role) {
  const graph::Value& v = input_value(g, node, k);
  if (v.type != t) {
    fail(g, node,
         fmt::format("{} '{}' is {}, expected {}", role, v.name, graph::to_string(v.type),
                     graph::to_string(t)));
  }
}

const graph::Constant* constant_input(const graph::Graph& g, const graph::Node& node, size_t k) {
  if (!has_input(node, k)) return nullptr;
  const graph::Value& v = g.value(node.inputs[k]);
  return v.constant ? &*v.constant : nullptr;
}

std::vector<int64_t> constant_ints(const graph::Graph& g, const graph::Node& node, size_t k,
                                   std::string_view role) {
  const graph::Constant* c = constant_input(g, node, k);
  if (!c) {
    fail(g, node,
         fmt::format("{} '{}' must be a constant (onexn needs it to fix shapes at load time)", role,
                     input_value(g, node, k).name));
  }
  if (c->type != DataType::i64) {
    fail(g, node,
         fmt::format("{} '{}' is {}, expected int64", role, input_value(g, node, k).name,
                     graph::to_string(c->type)));
  }
  return c->i;
}

int64_t normalize_axis(const graph::Graph& g, const graph::Node& node, int64_t axis, int64_t rank,
                       std::string_view what) {
  if (axis < -rank || axis >= rank) {
    fail(g, node,
         fmt::format("{} = {} is out of range for rank {} (expected {} to {})", what, axis, rank,
                     -rank, rank - 1));
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> normalize_axes(const graph::Graph& g, const graph::Node& node,
                                    const std::vector<int64_t>& axes, int64_t rank,
                                    std::string_view what) {
  std::vector<int64_t> out;
  for (int64_t a : axes) {
    const int64_t n = normalize_axis(g, node, a, rank, what);
    if (std::find(out.begin(), out.end(), n) != out.end()) {
      fail(g, node, fmt::format("{} = [{}] names axis {} twice", what, fmt::join(axes, ", "), n));
    }
    out.push_back(n);
  }
  return out;
}

int64_t mul_checked(const graph::Graph& g, const graph::Node& node, int64_t a, int64_t b,
                    std::string_view what) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    fail(g, node, fmt::format("{}: {} * {} overflows int64", what, a, b));
  return r;
}

int64_t add_checked(const graph::Graph& g, const graph::Node& node, int64_t a, int64_t b,
                    std::string_view what) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    fail(g, node, fmt::format("{}: {} + {} overflows int64", what, a, b));
  return r;
}

Shape strides_of(const Shape& shape) {
  Shape s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

int64_t product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t d = begin; d < end && d < shape.size(); ++d) p *= shape[d];
  return p;
}

std::unique_ptr<OpKernel> make_copy_kernel(const graph::Graph& g, const graph::Node& node,
                                           std::string description) {
  const graph::Value& in = input_value(g, node, 0);
  const int64_t bytes = graph::numel(in.shape) * (in.type == DataType::f32 ? 4 : 8);
  const DataType type = in.type;
  return make_kernel(std::move(description),
                     [bytes, type](std::span<const TensorView> in, std::span<const TensorView> out,
                                   const RunContext&) {
                       if (type == DataType::f32) {
                         if (out[0].f != in[0].f) copy_elems(out[0].f, in[0].f, bytes);
                       } else if (out[0].i != in[0].i) {
                         copy_elems(out[0].i, in[0].i, bytes);
                       }
                     });
}

}  // namespace onexn::runtime::ops
