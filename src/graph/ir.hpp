// The graph the runtime executes: values (tensors) and nodes (ops), imported from ONNX, then
// shape-inferred, constant-folded and rewritten by the passes in src/graph/passes/.
//
// A value is either a constant (initializers, Constant nodes, anything computed from constants
// at load time) or an activation computed at run time. Both are float32 or int64 (a bool tensor
// is an int64 tensor of 0 / 1). The importer leaves symbolic input dimensions at -1; the Session
// sets every input shape before inference, after which all shapes are known (a graph is prepared
// per set of input shapes).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace onexn::graph {

using Shape = std::vector<int64_t>;

int64_t numel(std::span<const int64_t> shape);
std::string shape_string(std::span<const int64_t> shape);  // "[1, 64, 56, 56]"

enum class DataType { f32, i64 };
const char* to_string(DataType t);

// Constant data: f32 or i64, row-major.
struct Constant {
  DataType type = DataType::f32;
  Shape shape;
  std::vector<float> f;
  std::vector<int64_t> i;

  int64_t numel() const { return graph::numel(shape); }
  static Constant floats(Shape shape, std::vector<float> values);
  static Constant ints(Shape shape, std::vector<int64_t> values);
  // Values as int64 (i64 as is, f32 truncated): for attribute-like inputs (axes, shapes, pads).
  std::vector<int64_t> as_ints() const;
  std::vector<float> as_floats() const;
};

struct Value {
  std::string name;
  DataType type = DataType::f32;
  Shape shape;
  bool shape_known = false;
  std::optional<Constant> constant;  // set for constants
  int producer = -1;                 // index of the producing node, -1 for graph inputs / constants
};

struct Attribute {
  enum class Kind { int_, float_, ints, floats, string, tensor };
  Kind kind = Kind::int_;
  int64_t i = 0;
  float f = 0;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::string s;
  std::optional<Constant> t;
};

struct Node {
  std::string op;    // ONNX op type, or an onexn op after rewriting (see passes)
  std::string name;  // the ONNX node name, or "<op>_<index>"
  std::vector<int> inputs;   // value ids; -1 for an omitted optional input
  std::vector<int> outputs;  // value ids
  std::map<std::string, Attribute> attrs;
  bool dead = false;  // removed by a pass; skipped everywhere

  bool has_attr(const std::string& key) const { return attrs.count(key) > 0; }
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::string attr_string(const std::string& key, std::string fallback = {}) const;
  // "node 'NAME' (OP)": the prefix of every error about this node.
  std::string where() const;
};

struct Graph {
  std::string name;  // model file or label, for messages
  int64_t opset = 13;
  std::vector<Value> values;
  std::vector<Node> nodes;  // topologically ordered (the importer sorts them)
  std::vector<int> inputs;  // runtime inputs (not constants)
  std::vector<int> outputs;

  int add_value(Value v);
  int find_value(const std::string& name) const;  // -1 when absent
  Value& value(int id) { return values.at(id); }
  const Value& value(int id) const { return values.at(id); }
  // Nodes reading value `id` (live nodes only).
  std::vector<int> consumers(int id) const;
  bool is_graph_output(int id) const;
  // Drops dead nodes from `nodes` (value ids stay as they are).
  void compact();
};

}  // namespace onexn::graph
