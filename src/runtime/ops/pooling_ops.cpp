// Pooling: MaxPool, AveragePool (1-D and 2-D windows over NC[H]W), GlobalAveragePool and
// GlobalMaxPool. Float32 only; the kernels are in kernels/pooling.hpp. ReduceMean is with the other reductions in reduce_ops.cpp.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <omp.h>

#include "kernels/pooling.hpp"
#include "kernels/reference/pool_ref.hpp"
#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::kParallelMin;

// ---- window geometry ---------------------------------------------------------------------------

// One spatial dim of a pooling window: output o reads input positions start(o) + j * dilation
// for j < kernel (those inside the input).
struct PoolDim {
  int64_t in = 1, out = 1, kernel = 1, stride = 1, dilation = 1, pad_begin = 0, pad_end = 0;
  int64_t start(int64_t o) const { return o * stride - pad_begin; }
};

struct PoolGeom {
  int64_t planes = 0;  // N * C
  PoolDim h, w;        // a 1-D pool has h.in = h.out = h.kernel = 1
  Shape out_shape;
};

int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// Reads and checks the window attributes of a MaxPool / AveragePool node.
PoolGeom pool_geometry(const Graph& g, const Node& node) {
  const bool is_max = node.op == "MaxPool";
  if (is_max) {
    ops::check_attrs(
        g, node,
        {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
    ops::check_arity(g, node, 1, 1, 1, 2);
    if (ops::has_output(node, 1)) {
      fail(g, node, "output 1 (Indices) is requested; onexn's MaxPool computes values only");
    }
    if (node.attr_int("storage_order", 0) != 0) {
      fail(g, node,
           fmt::format("attribute 'storage_order' = {} is not supported (only 0, row major)",
                       node.attr_int("storage_order", 0)));
    }
  } else {
    ops::check_attrs(g, node,
                     {"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape",
                      "pads", "strides"});
    ops::check_arity(g, node, 1, 1, 1, 1);
    const int64_t cip = node.attr_int("count_include_pad", 0);
    if (cip != 0 && cip != 1)
      fail(g, node, fmt::format("attribute 'count_include_pad' = {} is not 0 or 1", cip));
  }
  ops::require_type(g, node, 0, DataType::f32, "input 0 (X)");
  const Shape& x = input_value(g, node, 0).shape;
  if (x.size() != 3 && x.size() != 4) {
    fail(g, node,
         fmt::format("input 0 has shape {}; onexn pools 1-D and 2-D windows (rank 3 or 4)",
                     graph::shape_string(x)));
  }
  const size_t spatial = x.size() - 2;
  if (!node.has_attr("kernel_shape")) fail(g, node, "attribute 'kernel_shape' is missing");
  const auto kernel = node.attr_ints("kernel_shape");
  const auto strides = node.attr_ints("strides", std::vector<int64_t>(spatial, 1));
  const auto dilations = node.attr_ints("dilations", std::vector<int64_t>(spatial, 1));
  auto pads = node.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  const auto check_len = [&](const char* name, const std::vector<int64_t>& v, size_t want) {
    if (v.size() != want) {
      fail(g, node,
           fmt::format("attribute '{}' = [{}] has {} values, expected {} for input shape {}", name,
                       fmt::join(v, ", "), v.size(), want, graph::shape_string(x)));
    }
  };
  check_len("kernel_shape", kernel, spatial);
  check_len("strides", strides, spatial);
  check_len("dilations", dilations, spatial);
  check_len("pads", pads, 2 * spatial);
  // Window sizes beyond 2^31 are no model's; bounding them keeps the arithmetic below in range.
  const auto check_limit = [&](const char* name, const std::vector<int64_t>& v) {
    for (int64_t e : v) {
      if (e > (int64_t{1} << 31)) {
        fail(g, node,
             fmt::format("attribute '{}' = [{}] has a value above 2^31", name, fmt::join(v, ", ")));
      }
    }
  };
  check_limit("kernel_shape", kernel);
  check_limit("strides", strides);
  check_limit("dilations", dilations);
  check_limit("pads", pads);
  for (size_t d = 0; d < spatial; ++d) {
    if (kernel[d] < 1)
      fail(g, node,
           fmt::format("attribute 'kernel_shape' = [{}] has a value < 1", fmt::join(kernel, ", ")));
    if (strides[d] < 1)
      fail(g, node,
           fmt::format("attribute 'strides' = [{}] has a value < 1", fmt::join(strides, ", ")));
    if (dilations[d] < 1)
      fail(g, node,
           fmt::format("attribute 'dilations' = [{}] has a value < 1", fmt::join(dilations, ", ")));
  }
  for (int64_t p : pads) {
    if (p < 0)
      fail(g, node,
           fmt::format("attribute 'pads' = [{}] has a negative value", fmt::join(pads, ", ")));
  }
  const int64_t ceil_mode = node.attr_int("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1)
    fail(g, node, fmt::format("attribute 'ceil_mode' = {} is not 0 or 1", ceil_mode));
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" &&
      auto_pad != "SAME_LOWER") {
    fail(g, node,
         fmt::format("attribute 'auto_pad' = '{}' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER",
                     auto_pad));
  }
  if (auto_pad != "NOTSET" &&
      std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; })) {
    fail(g, node,
         fmt::format("attribute 'pads' = [{}] is set together with auto_pad = '{}'",
                     fmt::join(pads, ", "), auto_pad));
  }

  PoolGeom geom;
  geom.planes = x[0] * x[1];
  std::vector<PoolDim*> dims;
  if (spatial == 2)
    dims = {&geom.h, &geom.w};
  else
    dims = {&geom.w};
  for (size_t d = 0; d < spatial; ++d) {
    PoolDim& pd = *dims[d];
    pd.in = x[2 + d];
    pd.kernel = kernel[d];
    pd.stride = strides[d];
    pd.dilation = dilations[d];
    const int64_t extent = (pd.kernel - 1) * pd.dilation + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      pd.out = ceil_div(pd.in, pd.stride);
      const int64_t total = std::max<int64_t>(0, (pd.out - 1) * pd.stride + extent - pd.in);
      pd.pad_begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pd.pad_end = total - pd.pad_begin;
    } else {
      if (auto_pad == "NOTSET") {
        pd.pad_begin = pads[d];
        pd.pad_end = pads[d + spatial];
        if (pd.pad_begin >= extent || pd.pad_end >= extent) {
          fail(g, node,
               fmt::format("attribute 'pads' = [{}]: pads must be smaller than the window ({})",
                           fmt::join(pads, ", "), extent));
        }
      }
      const int64_t span = pd.in + pd.pad_begin + pd.pad_end - extent;
      if (span < 0) {
        fail(g, node,
             fmt::format(
                 "window {} (kernel_shape [{}], dilations [{}]) is larger than the padded input {}",
                 extent, fmt::join(kernel, ", "), fmt::join(dilations, ", "),
                 graph::shape_string(x)));
      }
      // ceil_mode applies to explicit pads only (VALID is floor by definition). A last window
      // that would start inside the end padding is dropped, as PyTorch and onnxruntime do.
      const bool up = ceil_mode && auto_pad == "NOTSET";
      pd.out = (up ? ceil_div(span, pd.stride) : span / pd.stride) + 1;
      if (up && (pd.out - 1) * pd.stride >= pd.in + pd.pad_begin) --pd.out;
    }
    for (int64_t o = 0; o < pd.out; ++o) {
      const PoolTaps taps =
          pool_taps(pd.start(o), pd.kernel, pd.dilation, pd.in, pd.pad_begin, pd.pad_end);
      if (taps.last <= taps.first) {
        fail(
            g, node,
            fmt::format("output position {} of spatial dim {} has a window entirely in the padding "
                        "(kernel_shape [{}], strides [{}], pads [{}], dilations [{}])",
                        o, d, fmt::join(kernel, ", "), fmt::join(strides, ", "),
                        fmt::join(pads, ", "), fmt::join(dilations, ", ")));
      }
    }
  }
  geom.out_shape = {x[0], x[1]};
  if (spatial == 2) geom.out_shape.push_back(geom.h.out);
  geom.out_shape.push_back(geom.w.out);
  return geom;
}

void infer_pool(Graph& g, const Node& node) {
  const PoolGeom geom = pool_geometry(g, node);
  set_output(g, node, 0, DataType::f32, geom.out_shape);
}

PoolParams pool_params(const PoolGeom& geom, bool is_max, bool count_pad) {
  PoolParams p;
  p.kind = is_max ? PoolKind::max : count_pad ? PoolKind::average_count_pad : PoolKind::average;
  p.in_h = geom.h.in;
  p.in_w = geom.w.in;
  p.out_h = geom.h.out;
  p.out_w = geom.w.out;
  p.kh = geom.h.kernel;
  p.kw = geom.w.kernel;
  p.stride_h = geom.h.stride;
  p.stride_w = geom.w.stride;
  p.dilation_h = geom.h.dilation;
  p.dilation_w = geom.w.dilation;
  p.pad_top = geom.h.pad_begin;
  p.pad_left = geom.w.pad_begin;
  p.pad_bottom = geom.h.pad_end;
  p.pad_right = geom.w.pad_end;
  return p;
}

// The planes split in contiguous ranges among the threads, each thread with a workspace on its
// stack (Pool2d bounds it); geometries Pool2d does not cover run the scalar reference.
std::unique_ptr<OpKernel> create_pool(const Graph& g, const Node& node) {
  const PoolGeom geom = pool_geometry(g, node);
  const bool is_max = node.op == "MaxPool";
  const bool count_pad = node.attr_int("count_include_pad", 0) == 1;
  const PoolParams p = pool_params(geom, is_max, count_pad);
  std::shared_ptr<const detail::Pool2d> fast;
  if (detail::Pool2d::unsupported(p).empty()) fast = std::make_shared<const detail::Pool2d>(p);
  std::string description =
      fmt::format("{} {}x{} stride {}x{} pads {},{},{},{}{}",
                  is_max      ? "max"
                  : count_pad ? "avg (count pads)"
                              : "avg",
                  geom.h.kernel, geom.w.kernel, geom.h.stride, geom.w.stride, geom.h.pad_begin,
                  geom.w.pad_begin, geom.h.pad_end, geom.w.pad_end, fast ? "" : " (reference)");
  const int64_t planes = geom.planes;
  return ops::make_kernel(
      std::move(description),
      [p, planes, fast](std::span<const TensorView> in, std::span<const TensorView> out,
                        const RunContext& ctx) {
        const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
        const int64_t work = planes * out_plane * p.kh * p.kw;
#pragma omp parallel num_threads(ctx.threads) if (work > kParallelMin && planes > 1)
        {
          const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
          const int64_t begin = planes * t / nt, end = planes * (t + 1) / nt;
          const float* x = in[0].f + begin * in_plane;
          float* y = out[0].f + begin * out_plane;
          if (fast) {
            float workspace[detail::Pool2d::kMaxWorkspaceFloats];
            fast->run(x, y, end - begin, workspace);
          } else {
            for (int64_t c = 0; c < end - begin; ++c) pool2d_ref(p, x + c * in_plane, y + c * out_plane);
          }
        }
      });
}

// ---- GlobalAveragePool, GlobalMaxPool ----------------------------------------------------------

void infer_global_pool(Graph& g, const Node& node) {
  ops::check_attrs(g, node, {});
  ops::check_arity(g, node, 1, 1, 1, 1);
  ops::require_type(g, node, 0, DataType::f32, "input 0 (X)");
  const Shape& x = input_value(g, node, 0).shape;
  if (x.size() < 3) {
    fail(g, node,
         fmt::format("input 0 has shape {}, expected N x C x spatial dims (rank >= 3)",
                     graph::shape_string(x)));
  }
  Shape out(x.size(), 1);
  out[0] = x[0];
  out[1] = x[1];
  set_output(g, node, 0, DataType::f32, out);
}

std::unique_ptr<OpKernel> create_global_pool(const Graph& g, const Node& node) {
  const Shape& x = input_value(g, node, 0).shape;
  const bool is_max = node.op == "GlobalMaxPool";
  const int64_t planes = x[0] * x[1], inner = ops::product(x, 2, x.size());
  return ops::make_kernel(
      fmt::format("{} of {} planes of {}", is_max ? "max" : "mean", planes, inner),
      [is_max, planes, inner](std::span<const TensorView> in, std::span<const TensorView> out,
                              const RunContext& ctx) {
#pragma omp parallel num_threads(ctx.threads) if (planes * inner > kParallelMin && planes > 1)
        {
          const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
          const int64_t begin = planes * t / nt, end = planes * (t + 1) / nt;
          detail::global_pool(is_max, in[0].f + begin * inner, end - begin, inner, out[0].f + begin);
        }
      });
}

}  // namespace

void register_pooling_ops(OpTable& t) {
  add_op(t, "MaxPool", {infer_pool, create_pool, ChannelRole::spatial});
  add_op(t, "AveragePool", {infer_pool, create_pool, ChannelRole::spatial});
  add_op(t, "GlobalAveragePool", {infer_global_pool, create_global_pool, ChannelRole::spatial});
  add_op(t, "GlobalMaxPool", {infer_global_pool, create_global_pool, ChannelRole::spatial});
}

}  // namespace onexn::runtime
