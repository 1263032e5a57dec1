// Tensor ops that move data without arithmetic: Shape, Gather, Unsqueeze, Squeeze, Reshape,
// Flatten, Concat, Split here; Slice, Transpose and Pad in op_layout_ops.cpp. All of them run on
// float32 and on int64 (shape computations folded at load time).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "onexn/error.hpp"
#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_layout_ops.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::kParallelMin;

int64_t elem_bytes(DataType t) { return t == DataType::f32 ? 4 : 8; }

// Raw element pointers of a view of type t, for byte copies.
const char* bytes_of(const TensorView& v, DataType t) {
  return t == DataType::f32 ? reinterpret_cast<const char*>(v.f)
                            : reinterpret_cast<const char*>(v.i);
}
char* out_bytes_of(const TensorView& v, DataType t) {
  return t == DataType::f32 ? reinterpret_cast<char*>(v.f) : reinterpret_cast<char*>(v.i);
}

// ---- Shape
// --------------------------------------------------------------------------------------- The
// output is a constant, set by infer; the kernel (for completeness) writes the same values.

std::vector<int64_t> shape_values(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"start", "end"});
  ops::check_arity(g, node, 1, 1, 1, 1);
  const Shape& x = input_value(g, node, 0).shape;
  const int64_t rank = static_cast<int64_t>(x.size());
  auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  const int64_t start = clamp(node.attr_int("start", 0)), end = clamp(node.attr_int("end", rank));
  return start < end ? std::vector<int64_t>(x.begin() + start, x.begin() + end)
                     : std::vector<int64_t>{};
}

void infer_shape(Graph& g, const Node& node) {
  std::vector<int64_t> dims = shape_values(g, node);
  const int64_t n = static_cast<int64_t>(dims.size());
  set_output(g, node, 0, DataType::i64, {n});
  g.value(node.outputs[0]).constant = graph::Constant::ints({n}, std::move(dims));
}

std::unique_ptr<OpKernel> create_shape(const Graph& g, const Node& node) {
  const std::vector<int64_t> dims = shape_values(g, node);
  return ops::make_kernel(
      "shape", [dims](std::span<const TensorView>, std::span<const TensorView> out,
                      const RunContext&) { std::copy(dims.begin(), dims.end(), out[0].i); });
}

// ---- Gather
// --------------------------------------------------------------------------------------

struct GatherPlan {
  int64_t outer = 1, axis_dim = 1, inner = 1, count = 0;  // count: number of indices
  Shape out;
};

GatherPlan gather_plan(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"axis"});
  ops::check_arity(g, node, 2, 2, 1, 1);
  ops::require_type(g, node, 1, DataType::i64, "input 1 (indices)");
  const graph::Value& data = input_value(g, node, 0);
  const graph::Value& idx = input_value(g, node, 1);
  const int64_t rank = static_cast<int64_t>(data.shape.size());
  if (rank < 1) fail(g, node, "input 0 (data) is a scalar; Gather needs rank >= 1");
  const int64_t axis =
      ops::normalize_axis(g, node, node.attr_int("axis", 0), rank, "attribute 'axis'");
  GatherPlan p;
  p.outer = ops::product(data.shape, 0, axis);
  p.axis_dim = data.shape[axis];
  p.inner = ops::product(data.shape, axis + 1, rank);
  p.count = graph::numel(idx.shape);
  p.out.assign(data.shape.begin(), data.shape.begin() + axis);
  p.out.insert(p.out.end(), idx.shape.begin(), idx.shape.end());
  p.out.insert(p.out.end(), data.shape.begin() + axis + 1, data.shape.end());
  if (idx.constant) {
    for (int64_t i : idx.constant->i) {
      if (i < -p.axis_dim || i >= p.axis_dim) {
        fail(g, node,
             fmt::format("index {} in input 1 (indices) is out of range for dim {} of size {}", i,
                         axis, p.axis_dim));
      }
    }
  }
  return p;
}

void infer_gather(Graph& g, const Node& node) {
  const GatherPlan p = gather_plan(g, node);
  set_output(g, node, 0, input_value(g, node, 0).type, p.out);
}

std::unique_ptr<OpKernel> create_gather(const Graph& g, const Node& node) {
  const GatherPlan p = gather_plan(g, node);
  const DataType type = input_value(g, node, 0).type;
  const int64_t eb = elem_bytes(type);
  const std::string where = fmt::format("{}: {}", g.name, node.where());
  return ops::make_kernel(
      fmt::format("gather {} of {} x {}", p.count, p.axis_dim, p.inner),
      [p, type, eb, where](std::span<const TensorView> in, std::span<const TensorView> out,
                           const RunContext&) {
        const char* src = bytes_of(in[0], type);
        char* dst = out_bytes_of(out[0], type);
        const int64_t row = p.inner * eb;
        for (int64_t k = 0; k < p.count; ++k) {
          const int64_t i = in[1].i[k];
          if (i < -p.axis_dim || i >= p.axis_dim) {
            throw Error(fmt::format("{}: index {} is out of range for a dim of size {}", where, i,
                                    p.axis_dim));
          }
        }
        for (int64_t o = 0; o < p.outer; ++o) {
          for (int64_t k = 0; k < p.count; ++k) {
            int64_t i = in[1].i[k];
            if (i < 0) i += p.axis_dim;
            ops::copy_elems(dst + (o * p.count + k) * row, src + (o * p.axis_dim + i) * row, row);
          }
        }
      });
}

// ---- Unsqueeze / Squeeze
// ------------------------------------------------------------------------- Axes: attribute before
// opset 13, constant input 1 from opset 13.

std::vector<int64_t> axes_of(const Graph& g, const Node& node, bool required) {
  if (node.has_attr("axes") && ops::has_input(node, 1)) {
    fail(g, node, "has both attribute 'axes' (opset < 13) and input 1 (axes, opset >= 13)");
  }
  if (node.has_attr("axes")) return node.attr_ints("axes");
  if (ops::has_input(node, 1)) return ops::constant_ints(g, node, 1, "input 1 (axes)");
  if (required)
    fail(g, node, "axes are missing (attribute 'axes' before opset 13, input 1 from opset 13)");
  return {};
}

void infer_unsqueeze(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"axes"});
  ops::check_arity(g, node, 1, 2, 1, 1);
  const graph::Value& x = input_value(g, node, 0);
  const std::vector<int64_t> raw = axes_of(g, node, true);
  const int64_t rank = static_cast<int64_t>(x.shape.size() + raw.size());
  const std::vector<int64_t> axes = ops::normalize_axes(g, node, raw, rank, "axes");
  Shape out;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d) {
    if (std::find(axes.begin(), axes.end(), d) != axes.end()) {
      out.push_back(1);
    } else {
      out.push_back(x.shape[next++]);
    }
  }
  set_output(g, node, 0, x.type, out);
}

void infer_squeeze(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"axes"});
  ops::check_arity(g, node, 1, 2, 1, 1);
  const graph::Value& x = input_value(g, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const std::vector<int64_t> raw = axes_of(g, node, false);
  std::vector<int64_t> axes = ops::normalize_axes(g, node, raw, rank, "axes");
  for (int64_t a : axes) {
    if (x.shape[a] != 1) {
      fail(g, node,
           fmt::format("axis {} of input shape {} has size {}, Squeeze needs 1", a,
                       graph::shape_string(x.shape), x.shape[a]));
    }
  }
  Shape out;
  for (int64_t d = 0; d < rank; ++d) {
    const bool squeezed =
        raw.empty() ? x.shape[d] == 1 : std::find(axes.begin(), axes.end(), d) != axes.end();
    if (!squeezed) out.push_back(x.shape[d]);
  }
  set_output(g, node, 0, x.type, out);
}

std::unique_ptr<OpKernel> create_copy(const Graph& g, const Node& node) {
  return ops::make_copy_kernel(g, node, "copy");
}

// ---- Reshape / Flatten
// ---------------------------------------------------------------------------

void infer_reshape(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"shape", "allowzero", "consumed_inputs"});
  ops::check_arity(g, node, 1, 2, 1, 1);
  const graph::Value& x = input_value(g, node, 0);
  std::vector<int64_t> target;
  if (node.has_attr("shape") && ops::has_input(node, 1)) {
    fail(g, node, "has both attribute 'shape' (opset < 5) and input 1 (shape)");
  }
  if (node.has_attr("shape")) {
    target = node.attr_ints("shape");
  } else if (ops::has_input(node, 1)) {
    target = ops::constant_ints(g, node, 1, "input 1 (shape)");
  } else {
    fail(g, node, "the target shape is missing (input 1, or attribute 'shape' before opset 5)");
  }
  const int64_t allowzero = node.attr_int("allowzero", 0);
  if (allowzero != 0 && allowzero != 1)
    fail(g, node, fmt::format("attribute 'allowzero' = {} is not 0 or 1", allowzero));
  const std::string shown = fmt::format("[{}]", fmt::join(target, ", "));
  Shape out(target.size());
  int64_t infer_at = -1, known = 1;
  for (size_t d = 0; d < target.size(); ++d) {
    int64_t v = target[d];
    if (v == 0 && !allowzero) {
      if (d >= x.shape.size()) {
        fail(g, node,
             fmt::format("target shape {} copies dim {} (0), but the input {} has rank {}", shown,
                         d, graph::shape_string(x.shape), x.shape.size()));
      }
      v = x.shape[d];
    }
    if (v == -1) {
      if (infer_at >= 0) fail(g, node, fmt::format("target shape {} has more than one -1", shown));
      infer_at = static_cast<int64_t>(d);
      continue;
    }
    if (v < 0) fail(g, node, fmt::format("target shape {} has the invalid size {}", shown, v));
    out[d] = v;
    known = ops::mul_checked(g, node, known, v, fmt::format("target shape {}", shown));
  }
  const int64_t n = graph::numel(x.shape);
  if (infer_at >= 0) {
    if (known == 0 || n % known != 0) {
      fail(g, node,
           fmt::format("cannot infer the -1 of target shape {} for input shape {}", shown,
                       graph::shape_string(x.shape)));
    }
    out[infer_at] = n / known;
  }
  int64_t total = 1;
  for (int64_t d : out)
    total = ops::mul_checked(g, node, total, d, fmt::format("target shape {}", shown));
  if (total != n) {
    fail(g, node,
         fmt::format("target shape {} ({}) does not hold the {} elements of input shape {}", shown,
                     graph::shape_string(out), n, graph::shape_string(x.shape)));
  }
  set_output(g, node, 0, x.type, out);
}

void infer_flatten(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"axis"});
  ops::check_arity(g, node, 1, 1, 1, 1);
  const graph::Value& x = input_value(g, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = node.attr_int("axis", 1);
  if (axis < -rank || axis > rank) {
    fail(g, node,
         fmt::format("attribute 'axis' = {} is out of range for rank {} (expected {} to {})", axis,
                     rank, -rank, rank));
  }
  if (axis < 0) axis += rank;
  set_output(g, node, 0, x.type,
             {ops::product(x.shape, 0, axis), ops::product(x.shape, axis, rank)});
}

// ---- Concat
// --------------------------------------------------------------------------------------

int64_t concat_axis(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"axis"});
  if (node.inputs.empty()) fail(g, node, "has no inputs");
  ops::check_arity(g, node, node.inputs.size(), node.inputs.size(), 1, 1);
  if (!node.has_attr("axis") && g.opset >= 4) fail(g, node, "attribute 'axis' is missing");
  const graph::Value& first = input_value(g, node, 0);
  return ops::normalize_axis(g, node, node.attr_int("axis", 1),
                             static_cast<int64_t>(first.shape.size()), "attribute 'axis'");
}

void infer_concat(Graph& g, const Node& node) {
  const int64_t axis = concat_axis(g, node);
  const graph::Value& first = input_value(g, node, 0);
  Shape out = first.shape;
  out[axis] = 0;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    const graph::Value& v = input_value(g, node, k);
    if (v.type != first.type) {
      fail(g, node,
           fmt::format("input {} '{}' is {}, input 0 is {}", k, v.name, graph::to_string(v.type),
                       graph::to_string(first.type)));
    }
    bool ok = v.shape.size() == first.shape.size();
    for (size_t d = 0; ok && d < v.shape.size(); ++d)
      ok = int64_t(d) == axis || v.shape[d] == first.shape[d];
    if (!ok) {
      fail(g, node,
           fmt::format("input {} has shape {}, input 0 {}: they may differ in axis {} only", k,
                       graph::shape_string(v.shape), graph::shape_string(first.shape), axis));
    }
    out[axis] = ops::add_checked(g, node, out[axis], v.shape[axis], "concatenated size");
  }
  set_output(g, node, 0, first.type, out);
}

std::unique_ptr<OpKernel> create_concat(const Graph& g, const Node& node) {
  const int64_t axis = concat_axis(g, node);
  const graph::Value& first = input_value(g, node, 0);
  const DataType type = first.type;
  const int64_t eb = elem_bytes(type);
  const int64_t outer = ops::product(first.shape, 0, axis);
  const int64_t inner = ops::product(first.shape, axis + 1, first.shape.size()) * eb;
  std::vector<int64_t> chunk;  // bytes per outer index, per input
  int64_t out_chunk = 0;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    chunk.push_back(input_value(g, node, k).shape[axis] * inner);
    out_chunk += chunk.back();
  }
  return ops::make_kernel(
      fmt::format("concat {} inputs", chunk.size()),
      [type, outer, chunk, out_chunk](std::span<const TensorView> in,
                                      std::span<const TensorView> out, const RunContext& ctx) {
        char* dst = out_bytes_of(out[0], type);
#pragma omp parallel for num_threads(ctx.threads) if (outer > 1 && \
                                                      outer * out_chunk > 4 * kParallelMin)
        for (int64_t o = 0; o < outer; ++o) {
          int64_t at = o * out_chunk;
          for (size_t k = 0; k < chunk.size(); ++k) {
            ops::copy_elems(dst + at, bytes_of(in[k], type) + o * chunk[k], chunk[k]);
            at += chunk[k];
          }
        }
      });
}

// ---- Split
// --------------------------------------------------------------------------------------- Sizes:
// attribute 'split' before opset 13, optional constant input 1 from opset 13; else num_outputs
// (opset 18: equal parts, the last smaller) or equal parts, one per output.

struct SplitPlan {
  int64_t axis = 0;
  std::vector<int64_t> sizes;
};

SplitPlan split_plan(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"axis", "split", "num_outputs"});
  ops::check_arity(g, node, 1, 2, 0, SIZE_MAX);  // any output may be omitted ("")
  if (node.outputs.empty()) fail(g, node, "has no outputs");
  const graph::Value& x = input_value(g, node, 0);
  SplitPlan p;
  p.axis = ops::normalize_axis(g, node, node.attr_int("axis", 0),
                               static_cast<int64_t>(x.shape.size()), "attribute 'axis'");
  const int64_t dim = x.shape[p.axis];
  const int64_t outputs = static_cast<int64_t>(node.outputs.size());
  if (node.has_attr("split") && ops::has_input(node, 1)) {
    fail(g, node, "has both attribute 'split' (opset < 13) and input 1 (split, opset >= 13)");
  }
  if (node.has_attr("split")) {
    p.sizes = node.attr_ints("split");
  } else if (ops::has_input(node, 1)) {
    p.sizes = ops::constant_ints(g, node, 1, "input 1 (split)");
  }
  if (!p.sizes.empty() && node.has_attr("num_outputs")) {
    fail(g, node, "has both split sizes and attribute 'num_outputs'");
  }
  if (!p.sizes.empty()) {
    int64_t sum = 0;
    for (int64_t s : p.sizes) {
      if (s < 0)
        fail(g, node,
             fmt::format("split sizes [{}] have a negative value", fmt::join(p.sizes, ", ")));
      sum = ops::add_checked(g, node, sum, s, "split sizes");
    }
    if (static_cast<int64_t>(p.sizes.size()) != outputs || sum != dim) {
      fail(g, node,
           fmt::format("split sizes [{}] must be one per output ({}) and sum to dim {} ({})",
                       fmt::join(p.sizes, ", "), outputs, p.axis, dim));
    }
    return p;
  }
  if (node.has_attr("num_outputs")) {
    const int64_t n = node.attr_int("num_outputs", 0);
    if (n != outputs) {
      fail(g, node,
           fmt::format("attribute 'num_outputs' = {} but the node has {} outputs", n, outputs));
    }
    const int64_t part = (dim + n - 1) / n;
    if (part * (n - 1) > dim) {
      fail(g, node,
           fmt::format("attribute 'num_outputs' = {} cannot split dim {} of size {}", n, p.axis,
                       dim));
    }
    p.sizes.assign(n, part);
    p.sizes.back() = dim - part * (n - 1);
    return p;
  }
  if (dim % outputs != 0) {
    fail(g, node,
         fmt::format("dim {} of size {} does not split into {} equal parts", p.axis, dim, outputs));
  }
  p.sizes.assign(outputs, dim / outputs);
  return p;
}

void infer_split(Graph& g, const Node& node) {
  const SplitPlan p = split_plan(g, node);
  const graph::Value& x = input_value(g, node, 0);
  for (size_t k = 0; k < p.sizes.size(); ++k) {
    Shape s = x.shape;
    s[p.axis] = p.sizes[k];
    set_output(g, node, k, x.type, s);
  }
}

std::unique_ptr<OpKernel> create_split(const Graph& g, const Node& node) {
  const SplitPlan p = split_plan(g, node);
  const graph::Value& x = input_value(g, node, 0);
  const DataType type = x.type;
  const int64_t eb = elem_bytes(type);
  const int64_t outer = ops::product(x.shape, 0, p.axis);
  const int64_t inner = ops::product(x.shape, p.axis + 1, x.shape.size()) * eb;
  const int64_t in_chunk = x.shape[p.axis] * inner;
  std::vector<int64_t> chunk, offset;  // bytes per outer index and where each part starts
  std::vector<bool> wanted;
  int64_t at = 0;
  for (size_t k = 0; k < p.sizes.size(); ++k) {
    chunk.push_back(p.sizes[k] * inner);
    offset.push_back(at);
    at += chunk.back();
    wanted.push_back(ops::has_output(node, k));
  }
  return ops::make_kernel(
      fmt::format("split into {}", chunk.size()),
      [type, outer, in_chunk, chunk, offset, wanted](
          std::span<const TensorView> in, std::span<const TensorView> out, const RunContext&) {
        const char* src = bytes_of(in[0], type);
        for (size_t k = 0; k < chunk.size(); ++k) {
          if (!wanted[k]) continue;
          char* dst = out_bytes_of(out[k], type);
          for (int64_t o = 0; o < outer; ++o) {
            ops::copy_elems(dst + o * chunk[k], src + o * in_chunk + offset[k], chunk[k]);
          }
        }
      });
}

}  // namespace

void register_tensor_ops(OpTable& t) {
  add_op(t, "Shape", {infer_shape, create_shape});
  add_op(t, "Gather", {infer_gather, create_gather});
  add_op(t, "Unsqueeze", {infer_unsqueeze, create_copy, ChannelRole::reshape});
  add_op(t, "Squeeze", {infer_squeeze, create_copy, ChannelRole::reshape});
  add_op(t, "Reshape", {infer_reshape, create_copy, ChannelRole::reshape});
  add_op(t, "Flatten", {infer_flatten, create_copy, ChannelRole::reshape});
  add_op(t, "Concat", {infer_concat, create_concat, ChannelRole::concat});
  add_op(t, "Split", {infer_split, create_split});
  ops::register_layout_ops(t);  // Slice Transpose Pad
}

}  // namespace onexn::runtime
