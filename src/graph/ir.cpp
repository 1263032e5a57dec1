#include "graph/ir.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "onexn/error.hpp"

namespace onexn::graph {

int64_t numel(std::span<const int64_t> shape) {
  // Shapes come from files and from shape inference on them: a product that does not fit in
  // int64 is an error, not undefined behaviour. A zero anywhere makes the count 0.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) {
      throw Error(
          fmt::format("shape {} has more elements than fit in 64 bits", shape_string(shape)));
    }
  }
  return n;
}

std::string shape_string(std::span<const int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

const char* to_string(DataType t) { return t == DataType::f32 ? "float32" : "int64"; }

Constant Constant::floats(Shape shape, std::vector<float> values) {
  Constant c;
  c.type = DataType::f32;
  c.shape = std::move(shape);
  c.f = std::move(values);
  return c;
}

Constant Constant::ints(Shape shape, std::vector<int64_t> values) {
  Constant c;
  c.type = DataType::i64;
  c.shape = std::move(shape);
  c.i = std::move(values);
  return c;
}

std::vector<int64_t> Constant::as_ints() const {
  if (type == DataType::i64) return i;
  return std::vector<int64_t>(f.begin(), f.end());
}

std::vector<float> Constant::as_floats() const {
  if (type == DataType::f32) return f;
  return std::vector<float>(i.begin(), i.end());
}

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? fallback : it->second.i;
}

float Node::attr_float(const std::string& key, float fallback) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? fallback : it->second.f;
}

std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? fallback : it->second.ints;
}

std::string Node::attr_string(const std::string& key, std::string fallback) const {
  auto it = attrs.find(key);
  return it == attrs.end() ? fallback : it->second.s;
}

std::string Node::where() const { return fmt::format("node '{}' ({})", name, op); }

int Graph::add_value(Value v) {
  values.push_back(std::move(v));
  return static_cast<int>(values.size()) - 1;
}

int Graph::find_value(const std::string& n) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == n) return static_cast<int>(i);
  return -1;
}

std::vector<int> Graph::consumers(int id) const {
  std::vector<int> out;
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (nodes[k].dead) continue;
    if (std::find(nodes[k].inputs.begin(), nodes[k].inputs.end(), id) != nodes[k].inputs.end()) {
      out.push_back(static_cast<int>(k));
    }
  }
  return out;
}

bool Graph::is_graph_output(int id) const {
  return std::find(outputs.begin(), outputs.end(), id) != outputs.end();
}

void Graph::compact() {
  std::vector<Node> live;
  std::vector<int> new_index(nodes.size(), -1);
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (nodes[k].dead) continue;
    new_index[k] = static_cast<int>(live.size());
    live.push_back(std::move(nodes[k]));
  }
  nodes = std::move(live);
  for (Value& v : values) {
    if (v.producer >= 0) v.producer = new_index[v.producer];
  }
}

}  // namespace onexn::graph
