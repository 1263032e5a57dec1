// Pooling: MaxPool, AveragePool (1-D and 2-D windows over NC[H]W) and GlobalAveragePool. Float32
// only. ReduceMean is with the other reductions in reduce_ops.cpp.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::kParallelMin;

// ---- window geometry ---------------------------------------------------------------------------

// One spatial dim of a pooling window: output o reads input positions start(o) + j * dilation,
// j in [first[o], last[o]) being the taps inside the input; `include[o]` counts the taps inside
// the padded input (AveragePool with count_include_pad = 1).
struct PoolDim {
  int64_t in = 1, out = 1, kernel = 1, stride = 1, dilation = 1, pad_begin = 0, pad_end = 0;
  std::vector<int64_t> first, last, include;
  int64_t start(int64_t o) const { return o * stride - pad_begin; }
};

struct PoolGeom {
  int64_t planes = 0;  // N * C
  PoolDim h, w;        // a 1-D pool has h.in = h.out = h.kernel = 1
  Shape out_shape;
  // AveragePool divisors per output position (h.out x w.out): taps inside the input, or inside
  // the padded input (count_include_pad = 1).
  std::vector<float> count_valid, count_padded;
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
      const int64_t s = pd.start(o);
      const int64_t j0 = s >= 0 ? 0 : ceil_div(-s, pd.dilation);
      const int64_t j1 = std::min(pd.kernel, ceil_div(pd.in - s, pd.dilation));
      const int64_t p0 = s >= -pd.pad_begin ? 0 : ceil_div(-pd.pad_begin - s, pd.dilation);
      const int64_t p1 = std::min(pd.kernel, ceil_div(pd.in + pd.pad_end - s, pd.dilation));
      if (j1 <= j0) {
        fail(
            g, node,
            fmt::format("output position {} of spatial dim {} has a window entirely in the padding "
                        "(kernel_shape [{}], strides [{}], pads [{}], dilations [{}])",
                        o, d, fmt::join(kernel, ", "), fmt::join(strides, ", "),
                        fmt::join(pads, ", "), fmt::join(dilations, ", ")));
      }
      pd.first.push_back(j0);
      pd.last.push_back(j1);
      pd.include.push_back(p1 - p0);
    }
  }
  if (spatial == 1) {  // the h dim of a 1-D pool: one row, one tap
    geom.h.first = {0};
    geom.h.last = {1};
    geom.h.include = {1};
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

// One plane: x is h.in x w.in, y is h.out x w.out. Each output row accumulates, window row by
// window row (jh), its taps in jw order: for the outputs whose window lies inside the input
// (the interior columns) one tap at a time across all of them, a loop the compiler vectorizes
// (stride 1: contiguous), for the border outputs tap by tap within the input. Each output sees
// its taps in the same (jh, jw) order either way.
// y[ow] = acc(y[ow], xs[ow * stride]) for ow in [lo, hi): one tap across the interior columns.
template <bool is_max, int64_t fixed_stride>
void tap_interior(const float* __restrict xs, float* __restrict y, int64_t lo, int64_t hi,
                  int64_t stride) {
  if constexpr (fixed_stride > 0) stride = fixed_stride;
  for (int64_t ow = lo; ow < hi; ++ow) {
    const float v = xs[ow * stride];
    y[ow] = is_max ? std::max(y[ow], v) : y[ow] + v;
  }
}

template <bool is_max>
void pool_plane(const PoolGeom& p, bool count_pad, const float* x, float* y) {
  const PoolDim &h = p.h, &w = p.w;
  // Interior columns: the window's taps all inside the input.
  int64_t lo = 0, hi = 0;
  while (lo < w.out && !(w.first[lo] == 0 && w.last[lo] == w.kernel)) ++lo;
  hi = lo;
  while (hi < w.out && w.first[hi] == 0 && w.last[hi] == w.kernel) ++hi;
  auto acc = [](float a, float v) { return is_max ? std::max(a, v) : a + v; };
  for (int64_t oh = 0; oh < h.out; ++oh) {
    float* yr = y + oh * w.out;
    std::fill_n(yr, w.out, is_max ? -std::numeric_limits<float>::infinity() : 0.0f);
    for (int64_t jh = h.first[oh]; jh < h.last[oh]; ++jh) {
      const float* xr = x + (h.start(oh) + jh * h.dilation) * w.in;
      for (int64_t ow = 0; ow < w.out; ++ow) {
        if (ow == lo) ow = hi;  // the interior is done below
        if (ow >= w.out) break;
        for (int64_t jw = w.first[ow]; jw < w.last[ow]; ++jw)
          yr[ow] = acc(yr[ow], xr[w.start(ow) + jw * w.dilation]);
      }
      for (int64_t jw = 0; jw < w.kernel; ++jw) {
        const float* xs =
            xr + jw * w.dilation - w.pad_begin;  // tap jw of output ow at xs[ow * stride]
        if (w.stride == 1) {
          tap_interior<is_max, 1>(xs, yr, lo, hi, 1);
        } else if (w.stride == 2) {
          tap_interior<is_max, 2>(xs, yr, lo, hi, 2);
        } else {
          tap_interior<is_max, 0>(xs, yr, lo, hi, w.stride);
        }
      }
    }
    if (!is_max) {
      const float* count = (count_pad ? p.count_padded : p.count_valid).data() + oh * w.out;
      for (int64_t ow = 0; ow < w.out; ++ow) yr[ow] /= count[ow];
    }
  }
}

std::unique_ptr<OpKernel> create_pool(const Graph& g, const Node& node) {
  PoolGeom geom = pool_geometry(g, node);
  if (node.op == "AveragePool") {
    for (int64_t oh = 0; oh < geom.h.out; ++oh) {
      for (int64_t ow = 0; ow < geom.w.out; ++ow) {
        geom.count_valid.push_back(
            float((geom.h.last[oh] - geom.h.first[oh]) * (geom.w.last[ow] - geom.w.first[ow])));
        geom.count_padded.push_back(float(geom.h.include[oh] * geom.w.include[ow]));
      }
    }
  }
  const bool is_max = node.op == "MaxPool";
  const bool count_pad = node.attr_int("count_include_pad", 0) == 1;
  std::string description =
      fmt::format("{} {}x{} stride {}x{} pads {},{},{},{}",
                  is_max      ? "max"
                  : count_pad ? "avg (count pads)"
                              : "avg",
                  geom.h.kernel, geom.w.kernel, geom.h.stride, geom.w.stride, geom.h.pad_begin,
                  geom.w.pad_begin, geom.h.pad_end, geom.w.pad_end);
  return ops::make_kernel(
      std::move(description),
      [geom, is_max, count_pad](std::span<const TensorView> in, std::span<const TensorView> out,
                                const RunContext& ctx) {
        const int64_t in_plane = geom.h.in * geom.w.in, out_plane = geom.h.out * geom.w.out;
        const int64_t work = geom.planes * out_plane * geom.h.kernel * geom.w.kernel;
#pragma omp parallel for num_threads(ctx.threads) if (work > kParallelMin) schedule(static)
        for (int64_t c = 0; c < geom.planes; ++c) {
          if (is_max) {
            pool_plane<true>(geom, count_pad, in[0].f + c * in_plane, out[0].f + c * out_plane);
          } else {
            pool_plane<false>(geom, count_pad, in[0].f + c * in_plane, out[0].f + c * out_plane);
          }
        }
      });
}

// ---- GlobalAveragePool -------------------------------------------------------------------------

void infer_global_average_pool(Graph& g, const Node& node) {
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

// Mean of each contiguous block of `inner` floats, accumulated in double.
void block_means(const float* x, float* y, int64_t blocks, int64_t inner, int threads) {
#pragma omp parallel for num_threads(threads) if (blocks * inner > kParallelMin) schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const float* xb = x + b * inner;
    double s = 0.0;
    for (int64_t k = 0; k < inner; ++k) s += xb[k];
    y[b] = inner > 0 ? static_cast<float>(s / static_cast<double>(inner)) : std::nanf("");
  }
}

std::unique_ptr<OpKernel> create_global_average_pool(const Graph& g, const Node& node) {
  const Shape& x = input_value(g, node, 0).shape;
  const int64_t planes = x[0] * x[1], inner = ops::product(x, 2, x.size());
  return ops::make_kernel(fmt::format("mean of {} planes of {}", planes, inner),
                          [planes, inner](std::span<const TensorView> in,
                                          std::span<const TensorView> out, const RunContext& ctx) {
                            block_means(in[0].f, out[0].f, planes, inner, ctx.threads);
                          });
}

}  // namespace

void register_pooling_ops(OpTable& t) {
  add_op(t, "MaxPool", {infer_pool, create_pool, ChannelRole::spatial});
  add_op(t, "AveragePool", {infer_pool, create_pool, ChannelRole::spatial});
  add_op(t, "GlobalAveragePool",
         {infer_global_average_pool, create_global_average_pool, ChannelRole::spatial});
}

}  // namespace onexn::runtime
