#include "runtime/ops/op_strided_copy.hpp"

namespace onexn::runtime::ops {

StridedCopy plan_strided_copy(const Shape& dims, const Shape& steps, int64_t base) {
  StridedCopy p;
  p.base = base;
  p.total = graph::numel(dims);
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1) continue;  // index always 0
    if (!p.dims.empty() && p.steps.back() == steps[d] * dims[d]) {
      p.dims.back() *= dims[d];
      p.steps.back() = steps[d];
      continue;
    }
    p.dims.push_back(dims[d]);
    p.steps.push_back(steps[d]);
  }
  if (p.dims.empty() || p.total == 0) {
    p.dims = {p.total};
    p.steps = {1};
  }
  return p;
}

}  // namespace onexn::runtime::ops
