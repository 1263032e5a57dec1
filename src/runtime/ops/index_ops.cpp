// Ops that pick or repeat elements by position: GatherElements, Expand, Tile, DepthToSpace and
// SpaceToDepth (Gather is in tensor_ops.cpp). Float32 and int64. Expand, Tile and the depth /
// space rearrangements are affine copies, out[i] = in[base + sum_d i_d * step_d], and run as
// strided copies (op_strided_copy.hpp); shapes, repeats and block sizes must be constants.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "onexn/error.hpp"
#include "runtime/ops/op_broadcast.hpp"
#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_strided_copy.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::kParallelMin;

std::unique_ptr<OpKernel> strided_kernel(std::string description, const ops::StridedCopy& copy,
                                         DataType type) {
  return ops::make_kernel(std::move(description), [copy, type](std::span<const TensorView> in,
                                                               std::span<const TensorView> out,
                                                               const RunContext& ctx) {
    ops::with_type(type, [&](auto t) {
      using T = decltype(t);
      ops::run_strided_copy(copy, ops::view_ptr<T>(in[0]), ops::view_ptr<T>(out[0]), ctx.threads);
    });
  });
}

// ---- GatherElements ----------------------------------------------------------------------------
// out[i_0, .., i_{r-1}] = data[i_0, .., indices[i_0, .., i_{r-1}], .., i_{r-1}] (the index
// replaces coordinate `axis`); out has the shape of indices, which may be smaller than data's
// on any dim. Negative indices count from the end.

struct GatherElementsPlan {
  int64_t axis = 0, axis_dim = 1;
  Shape out, data_strides;
};

GatherElementsPlan gather_elements_plan(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"axis"});
  ops::check_arity(g, node, 2, 2, 1, 1);
  ops::require_type(g, node, 1, DataType::i64, "input 1 (indices)");
  const graph::Value& data = input_value(g, node, 0);
  const graph::Value& idx = input_value(g, node, 1);
  const int64_t rank = static_cast<int64_t>(data.shape.size());
  if (rank < 1) fail(g, node, "input 0 (data) is a scalar; GatherElements needs rank >= 1");
  GatherElementsPlan p;
  p.axis = ops::normalize_axis(g, node, node.attr_int("axis", 0), rank, "attribute 'axis'");
  p.axis_dim = data.shape[p.axis];
  bool fits = idx.shape.size() == data.shape.size();
  for (int64_t d = 0; fits && d < rank; ++d) fits = d == p.axis || idx.shape[d] <= data.shape[d];
  if (!fits) {
    fail(g, node,
         fmt::format("input 1 (indices) has shape {}, data {}: expected the same rank and no dim "
                     "larger than data's (but on axis {})",
                     graph::shape_string(idx.shape), graph::shape_string(data.shape), p.axis));
  }
  if (idx.constant) {
    for (int64_t i : idx.constant->i) {
      if (i < -p.axis_dim || i >= p.axis_dim) {
        fail(g, node,
             fmt::format("index {} in input 1 (indices) is out of range for dim {} of size {}", i,
                         p.axis, p.axis_dim));
      }
    }
  }
  p.out = idx.shape;
  p.data_strides = ops::strides_of(data.shape);
  return p;
}

void infer_gather_elements(Graph& g, const Node& node) {
  const GatherElementsPlan p = gather_elements_plan(g, node);
  set_output(g, node, 0, input_value(g, node, 0).type, p.out);
}

template <typename T>
void gather_elements(const GatherElementsPlan& p, const T* data, const int64_t* idx, T* out,
                     int threads) {
  const size_t rank = p.out.size();
  const int64_t width = p.out[rank - 1], total = graph::numel(p.out);
  if (total == 0) return;
  const int64_t rows = total / width;
  const bool axis_last = p.axis == static_cast<int64_t>(rank) - 1;
  const int64_t axis_stride = p.data_strides[p.axis];
#pragma omp parallel for num_threads(threads) if (total > kParallelMin) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    // Offset in data of row r's coordinates, the axis coordinate left out.
    int64_t base = 0;
    for (int64_t rest = r, d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      if (d != p.axis) base += (rest % p.out[d]) * p.data_strides[d];
      rest /= p.out[d];
    }
    const int64_t* ir = idx + r * width;
    T* yr = out + r * width;
    for (int64_t k = 0; k < width; ++k) {
      int64_t i = ir[k];
      if (i < 0) i += p.axis_dim;
      yr[k] = data[base + (axis_last ? 0 : k) + i * axis_stride];
    }
  }
}

std::unique_ptr<OpKernel> create_gather_elements(const Graph& g, const Node& node) {
  const GatherElementsPlan p = gather_elements_plan(g, node);
  const DataType type = input_value(g, node, 0).type;
  const std::string where = fmt::format("{}: {}", g.name, node.where());
  return ops::make_kernel(
      fmt::format("gather elements along axis {}", p.axis),
      [p, type, where](std::span<const TensorView> in, std::span<const TensorView> out,
                       const RunContext& ctx) {
        const int64_t n = graph::numel(p.out);
        for (int64_t k = 0; k < n; ++k) {  // indices may be computed at run time
          const int64_t i = in[1].i[k];
          if (i < -p.axis_dim || i >= p.axis_dim) {
            throw Error(fmt::format("{}: index {} is out of range for dim {} of size {}", where, i,
                                    p.axis, p.axis_dim));
          }
        }
        ops::with_type(type, [&](auto t) {
          using T = decltype(t);
          gather_elements(p, ops::view_ptr<T>(in[0]), in[1].i, ops::view_ptr<T>(out[0]),
                          ctx.threads);
        });
      });
}

// ---- Expand ------------------------------------------------------------------------------------
// The input broadcast (numpy rules, both ways) with the constant shape of input 1.

// The output shape and the copy that makes it; `copy` is planned only once set_output has
// accepted the shape (planning multiplies the dims).
struct CopyPlan {
  Shape out;
  ops::StridedCopy copy;
};

CopyPlan expand_plan(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {});
  ops::check_arity(g, node, 2, 2, 1, 1);
  const graph::Value& x = input_value(g, node, 0);
  const std::vector<int64_t> shape = ops::constant_ints(g, node, 1, "input 1 (shape)");
  if (input_value(g, node, 1).shape.size() != 1) {
    fail(g, node,
         fmt::format("input 1 (shape) has shape {}, expected a vector",
                     graph::shape_string(input_value(g, node, 1).shape)));
  }
  for (int64_t d : shape) {
    if (d < 0)
      fail(g, node,
           fmt::format("input 1 (shape) [{}] has a negative size", fmt::join(shape, ", ")));
  }
  const auto out = ops::broadcast_shapes(x.shape, shape);
  if (!out) {
    fail(g, node,
         fmt::format("input shape {} does not broadcast with shape [{}]",
                     graph::shape_string(x.shape), fmt::join(shape, ", ")));
  }
  CopyPlan p;
  p.out = *out;
  return p;
}

void infer_expand(Graph& g, const Node& node) {
  set_output(g, node, 0, input_value(g, node, 0).type, expand_plan(g, node).out);
}

std::unique_ptr<OpKernel> create_expand(const Graph& g, const Node& node) {
  CopyPlan p = expand_plan(g, node);
  p.copy = ops::plan_strided_copy(p.out,
                                  ops::broadcast_strides(input_value(g, node, 0).shape, p.out), 0);
  return strided_kernel(fmt::format("expand to {}", graph::shape_string(p.out)), p.copy,
                        input_value(g, node, 0).type);
}

// ---- Tile --------------------------------------------------------------------------------------
// out[i] = in[i mod dims]: the output seen as [r_0, d_0, r_1, d_1, ...] where the repeat dims
// r_k step 0 through the input.

CopyPlan tile_plan(const Graph& g, const Node& node, bool with_copy) {
  ops::check_attrs(g, node, {});
  ops::check_arity(g, node, 2, 2, 1, 1);
  const graph::Value& x = input_value(g, node, 0);
  const std::vector<int64_t> repeats = ops::constant_ints(g, node, 1, "input 1 (repeats)");
  if (repeats.size() != x.shape.size()) {
    fail(g, node,
         fmt::format("input 1 (repeats) [{}] has {} values, expected one per dim of input shape {}",
                     fmt::join(repeats, ", "), repeats.size(), graph::shape_string(x.shape)));
  }
  const Shape strides = ops::strides_of(x.shape);
  Shape dims, steps;
  CopyPlan p;
  for (size_t d = 0; d < repeats.size(); ++d) {
    if (repeats[d] < 0) {
      fail(g, node,
           fmt::format("input 1 (repeats) [{}] has a negative value", fmt::join(repeats, ", ")));
    }
    p.out.push_back(ops::mul_checked(g, node, x.shape[d], repeats[d], "tiled size"));
    dims.insert(dims.end(), {repeats[d], x.shape[d]});
    steps.insert(steps.end(), {0, strides[d]});
  }
  if (with_copy) p.copy = ops::plan_strided_copy(dims, steps, 0);
  return p;
}

void infer_tile(Graph& g, const Node& node) {
  set_output(g, node, 0, input_value(g, node, 0).type, tile_plan(g, node, false).out);
}

std::unique_ptr<OpKernel> create_tile(const Graph& g, const Node& node) {
  const CopyPlan p = tile_plan(g, node, true);
  return strided_kernel(fmt::format("tile to {}", graph::shape_string(p.out)), p.copy,
                        input_value(g, node, 0).type);
}

// ---- DepthToSpace / SpaceToDepth ---------------------------------------------------------------
// NCHW with block size b. DepthToSpace's output [N, C/b^2, H*b, W*b] is walked as
// [N, C', H, b_i, W, b_j]; the input channel of (c', i, j) is (i * b + j) * C' + c' in DCR mode
// (the default, TensorFlow's) and c' * b^2 + i * b + j in CRD mode (PyTorch's PixelShuffle).
// SpaceToDepth's output [N, C*b^2, H/b, W/b] is walked as [N, b_i, b_j, C, H', W'] (DCR order).

CopyPlan depth_space_plan(const Graph& g, const Node& node) {
  const bool to_space = node.op == "DepthToSpace";
  ops::check_attrs(g, node,
                   to_space ? std::initializer_list<std::string_view>{"blocksize", "mode"}
                            : std::initializer_list<std::string_view>{"blocksize"});
  ops::check_arity(g, node, 1, 1, 1, 1);
  const Shape& x = input_value(g, node, 0).shape;
  if (x.size() != 4) {
    fail(g, node,
         fmt::format("input 0 has shape {}, expected N x C x H x W", graph::shape_string(x)));
  }
  if (!node.has_attr("blocksize")) fail(g, node, "attribute 'blocksize' is missing");
  const int64_t b = node.attr_int("blocksize", 0);
  if (b < 1 || b > (int64_t{1} << 20))
    fail(g, node, fmt::format("attribute 'blocksize' = {} is not in [1, 2^20]", b));
  const int64_t n = x[0], c = x[1], h = x[2], w = x[3];
  CopyPlan p;
  if (to_space) {
    const std::string mode = node.attr_string("mode", "DCR");
    if (mode != "DCR" && mode != "CRD")
      fail(g, node, fmt::format("attribute 'mode' = '{}' is not DCR or CRD", mode));
    if (c % (b * b) != 0) {
      fail(g, node,
           fmt::format("input shape {}: channels {} are not a multiple of blocksize^2 = {}",
                       graph::shape_string(x), c, b * b));
    }
    const int64_t co = c / (b * b), hw = h * w;
    p.out = {n, co, h * b, w * b};
    const bool dcr = mode == "DCR";
    p.copy = ops::plan_strided_copy(
        {n, co, h, b, w, b},
        {c * hw, dcr ? hw : b * b * hw, w, dcr ? b * co * hw : b * hw, 1, dcr ? co * hw : hw}, 0);
  } else {
    if (h % b != 0 || w % b != 0) {
      fail(g, node,
           fmt::format("input shape {}: height and width are not multiples of blocksize {}",
                       graph::shape_string(x), b));
    }
    p.out = {n, c * b * b, h / b, w / b};
    p.copy =
        ops::plan_strided_copy({n, b, b, c, h / b, w / b}, {c * h * w, w, 1, h * w, b * w, b}, 0);
  }
  return p;
}

void infer_depth_space(Graph& g, const Node& node) {
  set_output(g, node, 0, input_value(g, node, 0).type, depth_space_plan(g, node).out);
}

std::unique_ptr<OpKernel> create_depth_space(const Graph& g, const Node& node) {
  const CopyPlan p = depth_space_plan(g, node);
  return strided_kernel(fmt::format("{} to {}", node.op, graph::shape_string(p.out)), p.copy,
                        input_value(g, node, 0).type);
}

}  // namespace

void register_index_ops(OpTable& t) {
  add_op(t, "GatherElements", {infer_gather_elements, create_gather_elements});
  add_op(t, "Expand", {infer_expand, create_expand, ChannelRole::spatial});
  add_op(t, "Tile", {infer_tile, create_tile, ChannelRole::spatial});
  add_op(t, "DepthToSpace", {infer_depth_space, create_depth_space});
  add_op(t, "SpaceToDepth", {infer_depth_space, create_depth_space});
}

}  // namespace onexn::runtime
