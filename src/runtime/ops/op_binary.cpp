#include "runtime/ops/op_binary.hpp"

#include <fmt/format.h>

#include <optional>

namespace onexn::runtime::ops {

Shape legacy_b_shape(const graph::Graph& g, const graph::Node& node) {
  const Shape& a = input_value(g, node, 0).shape;
  Shape b = input_value(g, node, 1).shape;
  if (node.attr_int("broadcast", 0) == 0) {
    if (node.has_attr("axis")) fail(g, node, "attribute 'axis' is set without broadcast = 1");
    return b;
  }
  if (node.has_attr("axis")) {
    const int64_t rank = static_cast<int64_t>(a.size());
    const int64_t axis =
        normalize_axis(g, node, node.attr_int("axis", 0), rank, "attribute 'axis'");
    if (axis + static_cast<int64_t>(b.size()) > rank) {
      fail(g, node,
           fmt::format("attribute 'axis' = {} leaves no room for B of shape {} in A of shape {}",
                       axis, graph::shape_string(b), graph::shape_string(a)));
    }
    b.resize(rank - axis, 1);
  }
  return b;
}

Shape infer_binary_shape(const graph::Graph& g, const graph::Node& node) {
  const graph::Value& a = input_value(g, node, 0);
  const graph::Value& b = input_value(g, node, 1);
  const int64_t legacy = node.attr_int("broadcast", 0);
  if (legacy != 0 && legacy != 1)
    fail(g, node, fmt::format("attribute 'broadcast' = {} is not 0 or 1", legacy));
  std::optional<Shape> out = broadcast_shapes(a.shape, legacy_b_shape(g, node));
  if (g.opset < 7 && legacy == 0 && a.shape != b.shape) out.reset();  // no implicit broadcasting
  if (legacy == 1 && out && *out != a.shape) out.reset();  // legacy: B broadcasts to A only
  if (!out) {
    fail(g, node,
         fmt::format("input shapes {} and {} are not broadcastable", graph::shape_string(a.shape),
                     graph::shape_string(b.shape)));
  }
  return *out;
}

Shape infer_multi_shape(const graph::Graph& g, const graph::Node& node, int64_t numpy_from) {
  std::string shapes;  // for messages: "[2, 3] [4]"
  for (size_t k = 0; k < node.inputs.size(); ++k)
    shapes += (k ? " " : "") + graph::shape_string(input_value(g, node, k).shape);
  std::optional<Shape> out;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    const Shape& s = input_value(g, node, k).shape;
    if (!out) {
      out = s;
    } else if (g.opset < numpy_from) {
      if (*out != s) {
        fail(g, node,
             fmt::format("input shapes {} differ (opset {} has no broadcasting; it came in {})",
                         shapes, g.opset, numpy_from));
      }
    } else {
      out = broadcast_shapes(*out, s);
      if (!out) fail(g, node, fmt::format("input shapes {} are not broadcastable", shapes));
    }
  }
  if (!out) fail(g, node, "has no inputs");
  return *out;
}

void require_same_types(const graph::Graph& g, const graph::Node& node, size_t a, size_t b) {
  const graph::Value& va = input_value(g, node, a);
  const graph::Value& vb = input_value(g, node, b);
  if (va.type != vb.type) {
    fail(g, node,
         fmt::format("inputs '{}' ({}) and '{}' ({}) have different types", va.name,
                     graph::to_string(va.type), vb.name, graph::to_string(vb.type)));
  }
}

int64_t BroadcastPlanN::rows() const {
  int64_t r = 1;
  for (size_t d = 0; d + 1 < dims.size(); ++d) r *= dims[d];
  return r;
}

void BroadcastPlanN::row_offsets(int64_t r, int64_t* offsets) const {
  for (size_t k = 0; k < strides.size(); ++k) offsets[k] = 0;
  for (size_t d = dims.size() - 1; d-- > 0;) {
    const int64_t i = r % dims[d];
    r /= dims[d];
    for (size_t k = 0; k < strides.size(); ++k) offsets[k] += i * strides[k][d];
  }
}

BroadcastPlanN plan_broadcast_n(const Shape& out, const std::vector<Shape>& ins) {
  std::vector<Shape> s;
  for (const Shape& in : ins) s.push_back(broadcast_strides(in, out));
  BroadcastPlanN p;
  p.strides.resize(ins.size());
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k] == 1) continue;  // contributes nothing to any offset
    if (!p.dims.empty()) {
      // Merge into the previous dim when every input continues across the boundary.
      const size_t last = p.dims.size() - 1;
      bool merge = true;
      for (size_t j = 0; j < ins.size(); ++j) merge &= p.strides[j][last] == s[j][k] * out[k];
      if (merge) {
        p.dims[last] *= out[k];
        for (size_t j = 0; j < ins.size(); ++j) p.strides[j][last] = s[j][k];
        continue;
      }
    }
    p.dims.push_back(out[k]);
    for (size_t j = 0; j < ins.size(); ++j) p.strides[j].push_back(s[j][k]);
  }
  if (p.dims.empty()) {  // a scalar or all-ones output
    p.dims = {1};
    for (Shape& st : p.strides) st = {0};
  }
  return p;
}

}  // namespace onexn::runtime::ops
