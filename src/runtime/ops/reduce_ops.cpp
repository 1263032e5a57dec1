// Reductions over axes: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
// ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp (keepdims; axes from the attribute,
// or from input 1 as ReduceSum has it from opset 13 and the others from opset 18; none means all
// axes unless noop_with_empty_axes = 1), and ArgMax / ArgMin (axis, keepdims, select_last_index;
// int64 output). Float32, and int64 where the result is an integer (Sum, Max, Min, Prod, L1,
// SumSquare, ArgMax, ArgMin).
//
// Every reduction runs one of two loops over the input seen as groups of neighbouring dims that
// are all reduced or all kept (size-1 dims dropped):
//   - innermost group reduced: each output reduces contiguous runs of its elements;
//   - innermost group kept (e.g. over channels of NCHW): outputs come in contiguous rows, and
//     each reduced row of the input is accumulated into a block of them at once.
// Float sums accumulate in double.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;
using ops::kParallelMin;

// ---- Which axes --------------------------------------------------------------------------------

struct ReducePlan {
  Shape in, out;              // out as if keepdims = 1
  std::vector<bool> reduced;  // per input dim
  bool keepdims = true;
  bool noop = false;  // noop_with_empty_axes and no axes: the output is the input
};

ReducePlan reduce_plan(const Graph& g, const Node& node, bool ints) {
  ops::check_attrs(g, node, {"axes", "keepdims", "noop_with_empty_axes"});
  ops::check_arity(g, node, 1, 2, 1, 1);
  if (!ints) ops::require_type(g, node, 0, DataType::f32, "input 0 (data)");
  const Shape& x = input_value(g, node, 0).shape;
  const int64_t rank = static_cast<int64_t>(x.size());
  std::vector<int64_t> axes;
  if (node.has_attr("axes") && ops::has_input(node, 1)) {
    fail(g, node, "has both attribute 'axes' and input 1 (axes)");
  }
  if (node.has_attr("axes")) axes = node.attr_ints("axes");
  if (ops::has_input(node, 1)) axes = ops::constant_ints(g, node, 1, "input 1 (axes)");
  for (const char* flag : {"keepdims", "noop_with_empty_axes"}) {
    const int64_t v = node.attr_int(flag, flag[0] == 'k' ? 1 : 0);
    if (v != 0 && v != 1) fail(g, node, fmt::format("attribute '{}' = {} is not 0 or 1", flag, v));
  }
  ReducePlan p;
  p.in = x;
  p.keepdims = node.attr_int("keepdims", 1) == 1;
  p.reduced.assign(rank, axes.empty());
  if (axes.empty() && node.attr_int("noop_with_empty_axes", 0) == 1) {
    p.noop = true;
    p.reduced.assign(rank, false);
  }
  for (int64_t a : ops::normalize_axes(g, node, axes, rank, "axes")) p.reduced[a] = true;
  p.out = x;
  for (int64_t d = 0; d < rank; ++d) {
    if (p.reduced[d]) p.out[d] = 1;
  }
  return p;
}

Shape output_shape(const Shape& in, const std::vector<bool>& reduced, bool keepdims) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!reduced[d]) {
      out.push_back(in[d]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  return out;
}

// ---- The two loops -----------------------------------------------------------------------------

// Groups of neighbouring dims, all kept or all reduced, outer to inner, with input strides.
struct ReduceLayout {
  Shape kept_size, kept_stride, reduced_size, reduced_stride;
  bool inner_kept = false;
  int64_t outputs = 1, count = 1;  // count: input elements per output
};

ReduceLayout reduce_layout(const Shape& in, const std::vector<bool>& reduced) {
  const Shape strides = ops::strides_of(in);
  ReduceLayout l;
  int last = -1;  // flag of the previous group, -1 before the first
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] == 1) continue;
    Shape& size = reduced[d] ? l.reduced_size : l.kept_size;
    Shape& stride = reduced[d] ? l.reduced_stride : l.kept_stride;
    if (last == int(reduced[d])) {
      size.back() *= in[d];
      stride.back() = strides[d];
    } else {
      size.push_back(in[d]);
      stride.push_back(strides[d]);
    }
    last = reduced[d];
  }
  l.inner_kept = last == 0;
  for (int64_t s : l.kept_size) l.outputs *= s;
  for (int64_t s : l.reduced_size) l.count *= s;
  if (l.reduced_size.empty()) {  // nothing (or only size-1 dims) reduced: one element each
    l.reduced_size = {1};
    l.reduced_stride = {1};
  }
  return l;
}

// Offset of element `index` of the row-major grid `size` whose steps are `stride`.
int64_t grid_offset(int64_t index, const int64_t* size, const int64_t* stride, size_t n) {
  int64_t off = 0;
  for (size_t d = n; d-- > 0;) {
    off += (index % size[d]) * stride[d];
    index /= size[d];
  }
  return off;
}

// Calls f(offset) for every point of the grid (`idx` is n entries of scratch).
template <typename F>
void for_each_offset(const int64_t* size, const int64_t* stride, size_t n, int64_t* idx, F&& f) {
  std::fill_n(idx, n, 0);
  int64_t off = 0;
  for (;;) {
    f(off);
    size_t d = n;
    for (;;) {
      if (d == 0) return;
      --d;
      off += stride[d];
      if (++idx[d] < size[d]) break;
      off -= stride[d] * size[d];
      idx[d] = 0;
    }
  }
}

// Splits [0, n) into one contiguous part per thread when `work` is worth it.
template <typename F>
void parallel_parts(int64_t n, int64_t work, int threads, F&& f) {
  const int64_t parts = work > kParallelMin ? std::min<int64_t>(std::max(threads, 1), n) : 1;
#pragma omp parallel for num_threads(threads) if (parts > 1) schedule(static)
  for (int64_t c = 0; c < parts; ++c) f(n * c / parts, n * (c + 1) / parts);
}

template <class Op, typename T>
void reduce(const ReduceLayout& l, const T* x, T* y, int threads) {
  using Acc = typename Op::Acc;
  const size_t nk = l.kept_size.size(), nr = l.reduced_size.size();
  const int64_t work = l.outputs * l.count;
  if (l.outputs == 0) return;
  if (l.count == 0) {  // an empty input: the reduction of nothing (0 for sums, NaN for means)
    std::fill_n(y, l.outputs, Op::finish(Op::init(), 0));
    return;
  }
  if (!l.inner_kept) {
    // Each output: contiguous runs of reduced_size.back() elements at the outer reduced offsets.
    const int64_t run = l.reduced_size.back();
    parallel_parts(l.outputs, work, threads, [&](int64_t j0, int64_t j1) {
      std::vector<int64_t> idx(nr);
      for (int64_t j = j0; j < j1; ++j) {
        const T* base = x + grid_offset(j, l.kept_size.data(), l.kept_stride.data(), nk);
        Acc acc = Op::init();
        for_each_offset(l.reduced_size.data(), l.reduced_stride.data(), nr - 1, idx.data(),
                        [&](int64_t off) {
                          const T* p = base + off;
                          for (int64_t k = 0; k < run; ++k) Op::add(acc, p[k]);
                        });
        y[j] = Op::finish(acc, l.count);
      }
    });
    return;
  }
  // Rows of `row` contiguous outputs; blocks of up to kBlock of them accumulate together.
  constexpr int64_t kBlock = 256;
  const int64_t row = l.kept_size.back(), rows = l.outputs / row;
  const int64_t blocks = (row + kBlock - 1) / kBlock;
  parallel_parts(rows * blocks, work, threads, [&](int64_t t0, int64_t t1) {
    std::vector<int64_t> idx(nr);
    Acc acc[kBlock];
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r = t / blocks, c0 = (t % blocks) * kBlock, n = std::min(kBlock, row - c0);
      const T* base = x + grid_offset(r, l.kept_size.data(), l.kept_stride.data(), nk - 1) + c0;
      std::fill_n(acc, n, Op::init());
      for_each_offset(l.reduced_size.data(), l.reduced_stride.data(), nr, idx.data(),
                      [&](int64_t off) {
                        const T* p = base + off;
                        for (int64_t c = 0; c < n; ++c) Op::add(acc[c], p[c]);
                      });
      T* yr = y + r * row + c0;
      for (int64_t c = 0; c < n; ++c) yr[c] = Op::finish(acc[c], l.count);
    }
  });
}

// ---- The reductions ----------------------------------------------------------------------------
// Acc, init, add, finish: float sums in double, int64 in int64 (wrapping as ONNX Runtime does).

template <typename T>
using Wide = std::conditional_t<std::is_same_v<T, float>, double, int64_t>;

template <typename T>
struct SumOp {
  using Acc = Wide<T>;
  static Acc init() { return 0; }
  static void add(Acc& a, T x) { a += x; }
  static T finish(Acc a, int64_t) { return static_cast<T>(a); }
};
template <typename T>
struct MeanOp : SumOp<T> {
  static T finish(Wide<T> a, int64_t n) {
    return static_cast<T>(static_cast<double>(a) / static_cast<double>(n));  // n = 0: NaN
  }
};
template <typename T>
struct MaxOp {
  using Acc = T;
  static Acc init() {
    return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                : std::numeric_limits<T>::lowest();
  }
  static void add(Acc& a, T x) { a = x > a ? x : a; }
  static T finish(Acc a, int64_t) { return a; }
};
template <typename T>
struct MinOp {
  using Acc = T;
  static Acc init() {
    return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                : std::numeric_limits<T>::max();
  }
  static void add(Acc& a, T x) { a = x < a ? x : a; }
  static T finish(Acc a, int64_t) { return a; }
};
template <typename T>
struct ProdOp {
  using Acc = Wide<T>;
  static Acc init() { return 1; }
  static void add(Acc& a, T x) { a *= x; }
  static T finish(Acc a, int64_t) { return static_cast<T>(a); }
};
template <typename T>
struct L1Op : SumOp<T> {
  static void add(Wide<T>& a, T x) { a += x < 0 ? -static_cast<Wide<T>>(x) : x; }
};
template <typename T>
struct SumSquareOp : SumOp<T> {
  static void add(Wide<T>& a, T x) { a += static_cast<Wide<T>>(x) * x; }
};
template <typename T>
struct L2Op : SumSquareOp<T> {
  static T finish(Wide<T> a, int64_t) { return static_cast<T>(std::sqrt(static_cast<double>(a))); }
};
template <typename T>
struct LogSumOp : SumOp<T> {
  static T finish(Wide<T> a, int64_t) { return static_cast<T>(std::log(static_cast<double>(a))); }
};
// log(sum(exp(x))) kept as (max, sum of exp(x - max)) so that large inputs do not overflow.
template <typename T>
struct LogSumExpOp {
  struct Acc {
    double max = -std::numeric_limits<double>::infinity(), sum = 0.0;
  };
  static Acc init() { return {}; }
  static void add(Acc& a, T x) {
    const double v = static_cast<double>(x);
    if (v > a.max) {
      a.sum = a.sum * std::exp(a.max - v) + 1.0;
      a.max = v;
    } else {
      a.sum += std::exp(v - a.max);
    }
  }
  static T finish(const Acc& a, int64_t) {
    return static_cast<T>(a.sum == 0.0 ? a.max : a.max + std::log(a.sum));
  }
};

// kInts: the op also runs on int64 data.
template <template <typename> class Op, bool kInts>
void infer_reduce(Graph& g, const Node& node) {
  const ReducePlan p = reduce_plan(g, node, kInts);
  set_output(g, node, 0, input_value(g, node, 0).type, output_shape(p.in, p.reduced, p.keepdims));
}

template <template <typename> class Op, bool kInts>
std::unique_ptr<OpKernel> create_reduce(const Graph& g, const Node& node) {
  const ReducePlan p = reduce_plan(g, node, kInts);
  if (p.noop) return ops::make_copy_kernel(g, node, "copy (no axes)");
  const ReduceLayout l = reduce_layout(p.in, p.reduced);
  const DataType type = input_value(g, node, 0).type;
  std::string description =
      fmt::format("{} of {} elements into {}{}", node.op, l.count, l.outputs,
                  l.inner_kept ? fmt::format(" (rows of {})", l.kept_size.back()) : "");
  return ops::make_kernel(
      std::move(description), [l, type](std::span<const TensorView> in,
                                        std::span<const TensorView> out, const RunContext& ctx) {
        ops::with_type(type, [&](auto t) {
          using T = decltype(t);
          reduce<Op<T>>(l, ops::view_ptr<T>(in[0]), ops::view_ptr<T>(out[0]), ctx.threads);
        });
      });
}

// ---- ArgMax / ArgMin ---------------------------------------------------------------------------
// The input as [outer, length, inner] around the axis; the index of the first (or, with
// select_last_index, the last) extreme along it.

struct ArgPlan {
  int64_t outer = 1, length = 1, inner = 1;
  bool last_index = false;
  Shape out;
};

ArgPlan arg_plan(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"axis", "keepdims", "select_last_index"});
  ops::check_arity(g, node, 1, 1, 1, 1);
  const Shape& x = input_value(g, node, 0).shape;
  const int64_t rank = static_cast<int64_t>(x.size());
  if (rank == 0) fail(g, node, "input 0 (data) is a scalar; it needs rank >= 1");
  const int64_t axis =
      ops::normalize_axis(g, node, node.attr_int("axis", 0), rank, "attribute 'axis'");
  for (const char* flag : {"keepdims", "select_last_index"}) {
    const int64_t v = node.attr_int(flag, flag[0] == 'k' ? 1 : 0);
    if (v != 0 && v != 1) fail(g, node, fmt::format("attribute '{}' = {} is not 0 or 1", flag, v));
  }
  if (x[axis] == 0) {
    fail(g, node,
         fmt::format("axis {} of input shape {} is empty: there is no {}", axis,
                     graph::shape_string(x), node.op == "ArgMax" ? "maximum" : "minimum"));
  }
  ArgPlan p;
  p.outer = ops::product(x, 0, axis);
  p.length = x[axis];
  p.inner = ops::product(x, axis + 1, rank);
  p.last_index = node.attr_int("select_last_index", 0) == 1;
  std::vector<bool> reduced(rank, false);
  reduced[axis] = true;
  p.out = output_shape(x, reduced, node.attr_int("keepdims", 1) == 1);
  return p;
}

void infer_arg(Graph& g, const Node& node) {
  const ArgPlan p = arg_plan(g, node);
  set_output(g, node, 0, DataType::i64, p.out);
}

// v beats the best so far: strictly, or also on ties when the last index is wanted.
template <bool kMax, typename T>
inline bool beats(T v, T best, bool last_index) {
  if constexpr (kMax) {
    return last_index ? v >= best : v > best;
  } else {
    return last_index ? v <= best : v < best;
  }
}

template <bool kMax, typename T>
void arg_extreme(const ArgPlan& p, const T* x, int64_t* y, int threads) {
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (p.inner + kBlock - 1) / kBlock;
  parallel_parts(p.outer * blocks, p.outer * p.length * p.inner, threads,
                 [&](int64_t t0, int64_t t1) {
                   T best[kBlock];
                   for (int64_t t = t0; t < t1; ++t) {
                     const int64_t o = t / blocks, c0 = (t % blocks) * kBlock;
                     const int64_t n = std::min(kBlock, p.inner - c0);
                     const T* xo = x + o * p.length * p.inner + c0;
                     int64_t* yo = y + o * p.inner + c0;
                     std::copy_n(xo, n, best);
                     std::fill_n(yo, n, 0);
                     for (int64_t r = 1; r < p.length; ++r) {
                       const T* xr = xo + r * p.inner;
                       for (int64_t c = 0; c < n; ++c) {
                         if (beats<kMax>(xr[c], best[c], p.last_index)) {
                           best[c] = xr[c];
                           yo[c] = r;
                         }
                       }
                     }
                   }
                 });
}

std::unique_ptr<OpKernel> create_arg(const Graph& g, const Node& node) {
  const ArgPlan p = arg_plan(g, node);
  const DataType type = input_value(g, node, 0).type;
  const bool is_max = node.op == "ArgMax";
  return ops::make_kernel(
      fmt::format("{} over {} ({} x {}){}", node.op, p.length, p.outer, p.inner,
                  p.last_index ? " last index" : ""),
      [p, type, is_max](std::span<const TensorView> in, std::span<const TensorView> out,
                        const RunContext& ctx) {
        ops::with_type(type, [&](auto t) {
          using T = decltype(t);
          if (is_max) {
            arg_extreme<true>(p, ops::view_ptr<T>(in[0]), out[0].i, ctx.threads);
          } else {
            arg_extreme<false>(p, ops::view_ptr<T>(in[0]), out[0].i, ctx.threads);
          }
        });
      });
}

template <template <typename> class Op, bool kInts>
OpDef reduce_def() {
  return {infer_reduce<Op, kInts>, create_reduce<Op, kInts>, ChannelRole::reduce};
}

}  // namespace

void register_reduce_ops(OpTable& t) {
  add_op(t, "ReduceSum", reduce_def<SumOp, true>());
  add_op(t, "ReduceMean", reduce_def<MeanOp, false>());
  add_op(t, "ReduceMax", reduce_def<MaxOp, true>());
  add_op(t, "ReduceMin", reduce_def<MinOp, true>());
  add_op(t, "ReduceProd", reduce_def<ProdOp, true>());
  add_op(t, "ReduceL1", reduce_def<L1Op, true>());
  add_op(t, "ReduceL2", reduce_def<L2Op, false>());
  add_op(t, "ReduceSumSquare", reduce_def<SumSquareOp, true>());
  add_op(t, "ReduceLogSum", reduce_def<LogSumOp, false>());
  add_op(t, "ReduceLogSumExp", reduce_def<LogSumExpOp, false>());
  add_op(t, "ArgMax", {infer_arg, create_arg, ChannelRole::reduce});
  add_op(t, "ArgMin", {infer_arg, create_arg, ChannelRole::reduce});
}

}  // namespace onexn::runtime
