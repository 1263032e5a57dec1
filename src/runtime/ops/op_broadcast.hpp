// Numpy-style multidirectional broadcasting, planned once at create time.
//
// A plan describes out[i] = f(a[offset_a(i)], b[offset_b(i)]) as rows: the output's dims with
// size-1 dims dropped and neighbouring dims merged where both inputs stay contiguous across them,
// so that the last dim is the longest run the kernels can walk with fixed strides (0 or 1 after
// merging in the common cases: same shapes, per-channel [1,C,1,1] or [N,C,1,1] operands, scalars).
#pragma once

#include <cstdint>
#include <optional>

#include "runtime/op.hpp"

namespace onexn::runtime::ops {

// The broadcast shape of a and b, or nullopt when they are not broadcastable.
std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b);

// Strides of `in` (which broadcasts to `out`) expressed over out's dims: 0 where broadcast.
Shape broadcast_strides(const Shape& in, const Shape& out);

struct BroadcastPlan {
  Shape dims;       // at least one dim; dims.back() is the inner run
  Shape a_strides;  // per dim, in elements
  Shape b_strides;
  int64_t rows() const;  // product of all dims but the last
  int64_t inner() const { return dims.back(); }
  // Offsets of the first element of row r in a and b.
  void row_offsets(int64_t r, int64_t& a_off, int64_t& b_off) const;
};

BroadcastPlan plan_broadcast(const Shape& out, const Shape& a, const Shape& b);

}  // namespace onexn::runtime::ops
