// Broadcasting elementwise nodes (Add ... Div, Pow, PRelu, the comparisons, And / Or / Xor, Where,
// the n-ary Min / Max / Sum / Mean): their output shapes, numpy-style or in the legacy forms of
// opsets before 7, and the loops that apply a function over broadcast operands.
//
// The loops walk a plan (op_broadcast.hpp) row by row; a row's operands have strides 0 or 1 in
// the common cases, which get loops the compiler vectorizes. Every output element depends only on
// its operands, so splitting rows (or one long row) across threads never changes a result.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "runtime/op.hpp"
#include "runtime/ops/op_broadcast.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime::ops {

// B's shape as numpy broadcasting should see it. Before opset 7 a binary node either has equal
// shapes or sets attribute broadcast = 1, which aligns B at attribute 'axis' of A (B with
// trailing size-1 dims appended) or, without 'axis', at A's last dims.
Shape legacy_b_shape(const graph::Graph& g, const graph::Node& node);

// The output shape of a binary node with inputs 0 and 1: numpy broadcasting, or the legacy form
// (broadcast = 0: equal shapes before opset 7; broadcast = 1: B broadcasts to A, one way). Fails
// naming both shapes when they do not broadcast, and for a 'broadcast' other than 0 or 1.
// The node's attributes must have been checked (check_attrs) by the caller.
Shape infer_binary_shape(const graph::Graph& g, const graph::Node& node);

// The numpy broadcast of every present input's shape (n-ary ops, Where); before `numpy_from`
// (the op's first opset with broadcasting) the shapes must all be equal.
Shape infer_multi_shape(const graph::Graph& g, const graph::Node& node, int64_t numpy_from);

// Fails unless inputs 0 and 1 have the same type.
void require_same_types(const graph::Graph& g, const graph::Node& node, size_t a, size_t b);

// A plan over any number of inputs: the output's dims with size-1 dims dropped and neighbours
// merged where every input stays contiguous across them (as BroadcastPlan does for two).
struct BroadcastPlanN {
  Shape dims;                  // at least one dim; dims.back() is the inner run
  std::vector<Shape> strides;  // per input, per dim, in elements (0 where broadcast)
  int64_t rows() const;        // product of all dims but the last
  int64_t inner() const { return dims.back(); }
  // Offsets of the first element of row r in each input (offsets has strides.size() entries).
  void row_offsets(int64_t r, int64_t* offsets) const;
};

BroadcastPlanN plan_broadcast_n(const Shape& out, const std::vector<Shape>& ins);

// One long row is split into chunks of this many elements across threads.
inline constexpr int64_t kBroadcastChunk = 16 * 1024;

// y[i] = f(a[.], b[.]) for every element of the plan's output (y is row-major over it). y may be
// a when a has the output's shape (the n-ary ops accumulate in place).
template <typename TA, typename TB, typename TY, typename F>
void map_broadcast(const BroadcastPlan& p, const TA* a, const TB* b, TY* y, int threads, F f) {
  const int64_t rows = p.rows(), inner = p.inner();
  const int64_t sa = p.a_strides.back(), sb = p.b_strides.back();
  auto row = [sa, sb, &f](const TA* a, const TB* b, TY* y, int64_t n) {
    if (sa == 1 && sb == 1) {
      for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
    } else if (sa == 1 && sb == 0) {
      const TB s = b[0];
      for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], s);
    } else if (sa == 0 && sb == 1) {
      const TA s = a[0];
      for (int64_t i = 0; i < n; ++i) y[i] = f(s, b[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) y[i] = f(a[i * sa], b[i * sb]);
    }
  };
  if (rows == 1) {
    const int64_t chunks = (inner + kBroadcastChunk - 1) / kBroadcastChunk;
#pragma omp parallel for num_threads(threads) if (inner > kParallelMin) schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t begin = c * kBroadcastChunk, n = std::min(kBroadcastChunk, inner - begin);
      row(a + begin * sa, b + begin * sb, y + begin, n);
    }
    return;
  }
#pragma omp parallel for num_threads(threads) if (rows * inner > kParallelMin) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t ao = 0, bo = 0;
    p.row_offsets(r, ao, bo);
    row(a + ao, b + bo, y + r * inner, inner);
  }
}

// y[i] = f(a[.], b[.], c[.]) over a three-input plan (Where).
template <typename TA, typename TB, typename TC, typename TY, typename F>
void map_broadcast3(const BroadcastPlanN& p, const TA* a, const TB* b, const TC* c, TY* y,
                    int threads, F f) {
  const int64_t rows = p.rows(), inner = p.inner();
  const int64_t sa = p.strides[0].back(), sb = p.strides[1].back(), sc = p.strides[2].back();
  auto row = [sa, sb, sc, &f](const TA* a, const TB* b, const TC* c, TY* y, int64_t n) {
    if (sa == 1 && sb == 1 && sc == 1) {
      for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i], c[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) y[i] = f(a[i * sa], b[i * sb], c[i * sc]);
    }
  };
  if (rows == 1) {
    const int64_t chunks = (inner + kBroadcastChunk - 1) / kBroadcastChunk;
#pragma omp parallel for num_threads(threads) if (inner > kParallelMin) schedule(static)
    for (int64_t k = 0; k < chunks; ++k) {
      const int64_t begin = k * kBroadcastChunk, n = std::min(kBroadcastChunk, inner - begin);
      row(a + begin * sa, b + begin * sb, c + begin * sc, y + begin, n);
    }
    return;
  }
#pragma omp parallel for num_threads(threads) if (rows * inner > kParallelMin) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t off[3];
    p.row_offsets(r, off);
    row(a + off[0], b + off[1], c + off[2], y + r * inner, inner);
  }
}

}  // namespace onexn::runtime::ops
