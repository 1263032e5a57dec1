#include "runtime/ops/op_layout_ops.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "runtime/ops/op_strided_copy.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime::ops {
namespace {

using graph::Graph;
using graph::Node;

int64_t ceil_div_pos(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }  // b > 0

// ---- Slice
// --------------------------------------------------------------------------------------- starts /
// ends / axes: attributes before opset 10; from opset 10 constant inputs 1-4 (starts, ends, axes,
// steps). Out-of-range starts and ends are clamped as ONNX specifies (ends such as INT64_MAX mean
// "to the end"; with negative steps, -INT64_MAX "to the beginning").

struct SlicePlan {
  Shape out;
  StridedCopy copy;
};

SlicePlan slice_plan(const Graph& g, const Node& node) {
  check_attrs(g, node, {"starts", "ends", "axes"});
  check_arity(g, node, 1, 5, 1, 1);
  const graph::Value& x = input_value(g, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> starts, ends, axes, steps;
  const bool attr_form = node.has_attr("starts") || node.has_attr("ends");
  if (attr_form) {
    if (node.inputs.size() > 1)
      fail(g, node, "has both attributes starts/ends (opset < 10) and inputs (opset >= 10)");
    if (!node.has_attr("starts") || !node.has_attr("ends"))
      fail(g, node, "attributes 'starts' and 'ends' must both be set");
    starts = node.attr_ints("starts");
    ends = node.attr_ints("ends");
  } else {
    if (node.has_attr("axes"))
      fail(g, node, "attribute 'axes' is set without attributes 'starts' and 'ends'");
    if (!has_input(node, 1) || !has_input(node, 2))
      fail(g, node, "inputs 1 (starts) and 2 (ends) are required");
    starts = constant_ints(g, node, 1, "input 1 (starts)");
    ends = constant_ints(g, node, 2, "input 2 (ends)");
  }
  if (starts.size() != ends.size()) {
    fail(g, node,
         fmt::format("starts [{}] and ends [{}] differ in length", fmt::join(starts, ", "),
                     fmt::join(ends, ", ")));
  }
  if (attr_form && node.has_attr("axes")) axes = node.attr_ints("axes");
  if (!attr_form && has_input(node, 3)) axes = constant_ints(g, node, 3, "input 3 (axes)");
  if (!attr_form && has_input(node, 4)) steps = constant_ints(g, node, 4, "input 4 (steps)");
  if (axes.empty() && !(has_input(node, 3) || node.has_attr("axes"))) {
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  }
  if (steps.empty() && !has_input(node, 4)) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) {
    fail(g, node,
         fmt::format("starts [{}], axes [{}] and steps [{}] differ in length",
                     fmt::join(starts, ", "), fmt::join(axes, ", "), fmt::join(steps, ", ")));
  }
  axes = normalize_axes(g, node, axes, rank, "axes");

  Shape dims = x.shape, step_elems = strides_of(x.shape);
  int64_t base = 0;
  const Shape in_strides = step_elems;
  for (size_t k = 0; k < axes.size(); ++k) {
    const int64_t a = axes[k], dim = x.shape[a], st = steps[k];
    if (st == 0) fail(g, node, fmt::format("steps [{}] has a 0", fmt::join(steps, ", ")));
    if (st == std::numeric_limits<int64_t>::min())
      fail(g, node, "a step of INT64_MIN is not supported");
    int64_t s = starts[k], e = ends[k], count = 0;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (dim > 0) {
      if (st > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        count = ceil_div_pos(e - s, st);
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        count = ceil_div_pos(s - e, -st);
      }
    }
    dims[a] = count;
    step_elems[a] = count > 1 ? st * in_strides[a] : 0;  // |st| < dim here: no overflow
    if (count > 0) base += s * in_strides[a];
  }
  SlicePlan p;
  p.out = dims;
  p.copy = plan_strided_copy(dims, step_elems, base);
  return p;
}

void infer_slice(Graph& g, const Node& node) {
  const SlicePlan p = slice_plan(g, node);
  set_output(g, node, 0, input_value(g, node, 0).type, p.out);
}

std::unique_ptr<OpKernel> make_strided_kernel(std::string description, const StridedCopy& copy,
                                              DataType type) {
  return make_kernel(std::move(description),
                     [copy, type](std::span<const TensorView> in, std::span<const TensorView> out,
                                  const RunContext& ctx) {
                       if (type == DataType::f32) {
                         run_strided_copy(copy, in[0].f, out[0].f, ctx.threads);
                       } else {
                         run_strided_copy(copy, in[0].i, out[0].i, ctx.threads);
                       }
                     });
}

std::unique_ptr<OpKernel> create_slice(const Graph& g, const Node& node) {
  const SlicePlan p = slice_plan(g, node);
  const int64_t run = p.copy.dims.back();
  return make_strided_kernel(
      fmt::format("strided copy ({} runs of {})", run > 0 ? p.copy.total / run : 0, run), p.copy,
      input_value(g, node, 0).type);
}

// ---- Transpose
// -----------------------------------------------------------------------------------

std::vector<int64_t> transpose_perm(const Graph& g, const Node& node) {
  check_attrs(g, node, {"perm"});
  check_arity(g, node, 1, 1, 1, 1);
  const int64_t rank = static_cast<int64_t>(input_value(g, node, 0).shape.size());
  std::vector<int64_t> perm;
  for (int64_t d = rank; d-- > 0;) perm.push_back(d);
  if (node.has_attr("perm")) perm = node.attr_ints("perm");
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool ok = static_cast<int64_t>(sorted.size()) == rank;
  for (int64_t d = 0; ok && d < rank; ++d) ok = sorted[d] == d;
  if (!ok) {
    fail(g, node,
         fmt::format(
             "attribute 'perm' = [{}] is not a permutation of the {} axes of input shape {}",
             fmt::join(perm, ", "), rank, graph::shape_string(input_value(g, node, 0).shape)));
  }
  return perm;
}

void infer_transpose(Graph& g, const Node& node) {
  const std::vector<int64_t> perm = transpose_perm(g, node);
  const graph::Value& x = input_value(g, node, 0);
  Shape out;
  for (int64_t p : perm) out.push_back(x.shape[p]);
  set_output(g, node, 0, x.type, out);
}

std::unique_ptr<OpKernel> create_transpose(const Graph& g, const Node& node) {
  const std::vector<int64_t> perm = transpose_perm(g, node);
  const graph::Value& x = input_value(g, node, 0);
  const Shape in_strides = strides_of(x.shape);
  Shape dims, steps;
  for (int64_t p : perm) {
    dims.push_back(x.shape[p]);
    steps.push_back(in_strides[p]);
  }
  return make_strided_kernel(fmt::format("transpose [{}]", fmt::join(perm, ", ")),
                             plan_strided_copy(dims, steps, 0), x.type);
}

// ---- Pad
// ----------------------------------------------------------------------------------------- pads:
// attribute 'pads' (opset 2-10; 'paddings' in opset 1) or constant input 1 (opset >= 11), [begin_0,
// ..., begin_k, end_0, ..., end_k] over all dims or over input 3 (axes, opset 18). Negative pads
// crop. Pad value: attribute 'value' / optional scalar input 2 (constant or not).

enum class PadMode { constant, reflect, edge };

struct PadPlan {
  PadMode mode = PadMode::constant;
  Shape in, out;
  std::vector<int64_t> begin;  // per dim
};

PadPlan pad_plan(const Graph& g, const Node& node) {
  check_attrs(g, node, {"mode", "pads", "paddings", "value"});
  check_arity(g, node, 1, 4, 1, 1);
  const graph::Value& x = input_value(g, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  PadPlan p;
  const std::string mode = node.attr_string("mode", "constant");
  if (mode == "constant") {
    p.mode = PadMode::constant;
  } else if (mode == "reflect") {
    p.mode = PadMode::reflect;
  } else if (mode == "edge") {
    p.mode = PadMode::edge;
  } else {
    fail(g, node,
         fmt::format("attribute 'mode' = '{}' is not supported (constant, reflect, edge)", mode));
  }
  std::vector<int64_t> pads;
  const bool attr_form = node.has_attr("pads") || node.has_attr("paddings");
  if (attr_form) {
    if (node.inputs.size() > 1)
      fail(g, node, "has both attribute 'pads' (opset < 11) and inputs (opset >= 11)");
    pads = node.attr_ints(node.has_attr("pads") ? "pads" : "paddings");
  } else {
    if (node.has_attr("value"))
      fail(g, node, "attribute 'value' (opset < 11) is set without attribute 'pads'");
    if (!has_input(node, 1))
      fail(g, node, "the pads are missing (input 1, or attribute 'pads' before opset 11)");
    pads = constant_ints(g, node, 1, "input 1 (pads)");
  }
  std::vector<int64_t> axes;
  if (has_input(node, 3)) {
    axes = normalize_axes(g, node, constant_ints(g, node, 3, "input 3 (axes)"), rank, "axes");
  } else {
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size()) {
    fail(g, node,
         fmt::format("pads [{}] has {} values, expected {} (begin and end for each of {} axes)",
                     fmt::join(pads, ", "), pads.size(), 2 * axes.size(), axes.size()));
  }
  if (has_input(node, 2)) {
    const graph::Value& v = input_value(g, node, 2);
    if (v.type != x.type || graph::numel(v.shape) != 1) {
      fail(g, node,
           fmt::format("input 2 (constant_value) '{}' is {} {}, expected a {} scalar", v.name,
                       graph::to_string(v.type), graph::shape_string(v.shape),
                       graph::to_string(x.type)));
    }
  }
  p.in = x.shape;
  p.out = x.shape;
  p.begin.assign(rank, 0);
  const int64_t n_axes = static_cast<int64_t>(axes.size());
  for (int64_t k = 0; k < n_axes; ++k) {
    const int64_t a = axes[k], b = pads[k], e = pads[k + n_axes];
    p.begin[a] = b;
    p.out[a] = add_checked(g, node, add_checked(g, node, x.shape[a], b, "pads"), e, "pads");
    if (p.out[a] < 0) {
      fail(g, node,
           fmt::format("pads [{}] crop more than the {} elements of axis {}", fmt::join(pads, ", "),
                       x.shape[a], a));
    }
    if (x.shape[a] == 0 && p.out[a] > 0 && p.mode != PadMode::constant) {
      fail(g, node, fmt::format("mode '{}' cannot pad axis {}, which is empty", mode, a));
    }
  }
  return p;
}

void infer_pad(Graph& g, const Node& node) {
  const PadPlan p = pad_plan(g, node);
  set_output(g, node, 0, input_value(g, node, 0).type, p.out);
}

// Source index along one dim for output index o, or -1 for the pad value.
int64_t pad_source(PadMode mode, int64_t o, int64_t begin, int64_t in) {
  int64_t i = o - begin;
  if (i >= 0 && i < in) return i;
  if (mode == PadMode::constant) return -1;
  if (mode == PadMode::edge || in == 1) return i < 0 ? 0 : in - 1;
  // reflect (numpy 'reflect', repeated for pads longer than the axis): period 2 * (in - 1)
  const int64_t period = 2 * (in - 1);
  i %= period;
  if (i < 0) i += period;
  return i < in ? i : period - i;
}

// The source table of the innermost axis is built per run (its size is bounded by the output,
// which the run writes anyway); the outer axes map their indices through pad_source directly, so
// building the kernel costs nothing proportional to the (possibly huge) output shape.
template <typename T>
void run_pad(const PadPlan& p, const T* x, T* y, T value, int threads) {
  const size_t last = p.out.size() - 1;
  const int64_t inner = p.out[last];
  const int64_t rows = graph::numel(p.out) / std::max<int64_t>(inner, 1);
  const Shape in_strides = strides_of(p.in);
  std::vector<int64_t> inner_src(static_cast<size_t>(inner));
  for (int64_t o = 0; o < inner; ++o)
    inner_src[o] = pad_source(p.mode, o, p.begin[last], p.in[last]);
#pragma omp parallel for num_threads(threads) if (rows * inner > kParallelMin) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t off = 0, rest = r;
    bool pad_row = false;
    for (size_t d = last; d-- > 0;) {
      const int64_t s = pad_source(p.mode, rest % p.out[d], p.begin[d], p.in[d]);
      rest /= p.out[d];
      if (s < 0) pad_row = true;
      off += s * in_strides[d];
    }
    T* yr = y + r * inner;
    if (pad_row) {
      std::fill(yr, yr + inner, value);
      continue;
    }
    const T* xr = x + off;
    for (int64_t k = 0; k < inner; ++k) {
      const int64_t s = inner_src[k];
      yr[k] = s < 0 ? value : xr[s];
    }
  }
}

std::unique_ptr<OpKernel> create_pad(const Graph& g, const Node& node) {
  PadPlan p = pad_plan(g, node);
  const graph::Value& x = input_value(g, node, 0);
  if (p.in.empty()) return make_copy_kernel(g, node, "copy (scalar)");
  const DataType type = x.type;
  const graph::Constant* cv = constant_input(g, node, 2);
  const bool value_runtime = has_input(node, 2) && !cv;
  const float fvalue = cv ? cv->as_floats().at(0) : node.attr_float("value", 0.0f);
  const int64_t ivalue = cv ? cv->as_ints().at(0) : 0;
  const int64_t n_out = graph::numel(p.out);
  static constexpr const char* modes[] = {"constant", "reflect", "edge"};
  return make_kernel(
      fmt::format("pad {} {} -> {}", modes[int(p.mode)], graph::shape_string(p.in),
                  graph::shape_string(p.out)),
      [p, type, value_runtime, fvalue, ivalue, n_out](
          std::span<const TensorView> in, std::span<const TensorView> out, const RunContext& ctx) {
        if (n_out == 0) return;
        if (type == DataType::f32) {
          run_pad(p, in[0].f, out[0].f, value_runtime ? in[2].f[0] : fvalue, ctx.threads);
        } else {
          run_pad(p, in[0].i, out[0].i, value_runtime ? in[2].i[0] : ivalue, ctx.threads);
        }
      });
}

}  // namespace

void register_layout_ops(OpTable& t) {
  add_op(t, "Slice", {infer_slice, create_slice});
  add_op(t, "Transpose", {infer_transpose, create_transpose, ChannelRole::transpose});
  add_op(t, "Pad", {infer_pad, create_pad, ChannelRole::pad});
}

}  // namespace onexn::runtime::ops
