#include "runtime/ops/op_broadcast.hpp"

#include <algorithm>

namespace onexn::runtime::ops {

std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t k = 0; k < rank; ++k) {
    // Aligned from the right; a missing dim acts as 1.
    const int64_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
    const int64_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
    if (da == db || db == 1) {
      out[k] = da;
    } else if (da == 1) {
      out[k] = db;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

Shape broadcast_strides(const Shape& in, const Shape& out) {
  Shape s(out.size(), 0);
  int64_t stride = 1;
  for (size_t k = in.size(); k-- > 0;) {
    const size_t o = k + (out.size() - in.size());
    s[o] = in[k] == 1 ? 0 : stride;
    stride *= in[k];
  }
  return s;
}

int64_t BroadcastPlan::rows() const {
  int64_t r = 1;
  for (size_t d = 0; d + 1 < dims.size(); ++d) r *= dims[d];
  return r;
}

void BroadcastPlan::row_offsets(int64_t r, int64_t& a_off, int64_t& b_off) const {
  a_off = 0;
  b_off = 0;
  for (size_t d = dims.size() - 1; d-- > 0;) {
    const int64_t i = r % dims[d];
    r /= dims[d];
    a_off += i * a_strides[d];
    b_off += i * b_strides[d];
  }
}

BroadcastPlan plan_broadcast(const Shape& out, const Shape& a, const Shape& b) {
  const Shape sa = broadcast_strides(a, out), sb = broadcast_strides(b, out);
  BroadcastPlan p;
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k] == 1) continue;  // contributes nothing to any offset
    if (!p.dims.empty()) {
      // Merge into the previous dim when both inputs continue across the boundary.
      const size_t last = p.dims.size() - 1;
      if (p.a_strides[last] == sa[k] * out[k] && p.b_strides[last] == sb[k] * out[k]) {
        p.dims[last] *= out[k];
        p.a_strides[last] = sa[k];
        p.b_strides[last] = sb[k];
        continue;
      }
    }
    p.dims.push_back(out[k]);
    p.a_strides.push_back(sa[k]);
    p.b_strides.push_back(sb[k]);
  }
  if (p.dims.empty()) {  // a scalar or all-ones output
    p.dims = {1};
    p.a_strides = {0};
    p.b_strides = {0};
  }
  return p;
}

}  // namespace onexn::runtime::ops
