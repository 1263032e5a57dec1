#include "ops_harness.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>

#include "runtime/prepare.hpp"

namespace onexn::test {

Constant floats(Shape shape, std::vector<float> values) {
  if (graph::numel(shape) != static_cast<int64_t>(values.size()))
    throw std::logic_error("floats: size");
  return Constant::floats(std::move(shape), std::move(values));
}

Constant ints(Shape shape, std::vector<int64_t> values) {
  if (graph::numel(shape) != static_cast<int64_t>(values.size()))
    throw std::logic_error("ints: size");
  return Constant::ints(std::move(shape), std::move(values));
}

Constant random_floats(Shape shape, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(graph::numel(shape));
  for (float& x : v) x = dist(rng);
  return Constant::floats(std::move(shape), std::move(v));
}

OneNode::OneNode(std::string op, int64_t opset) : op_(std::move(op)), opset_(opset) {}

OneNode& OneNode::input(Constant data) {
  inputs_.push_back({std::move(data), false, false});
  return *this;
}
OneNode& OneNode::constant(Constant data) {
  inputs_.push_back({std::move(data), true, false});
  return *this;
}
OneNode& OneNode::omitted() {
  inputs_.push_back({Constant{}, false, true});
  return *this;
}
OneNode& OneNode::outputs(int n) {
  outputs_.assign(n, true);
  return *this;
}
OneNode& OneNode::omit_output(int k) {
  outputs_.at(k) = false;
  return *this;
}

OneNode& OneNode::attr(const std::string& name, int64_t v) {
  graph::Attribute a;
  a.kind = graph::Attribute::Kind::int_;
  a.i = v;
  attrs_[name] = a;
  return *this;
}
OneNode& OneNode::attr(const std::string& name, float v) {
  graph::Attribute a;
  a.kind = graph::Attribute::Kind::float_;
  a.f = v;
  attrs_[name] = a;
  return *this;
}
OneNode& OneNode::attr(const std::string& name, std::vector<int64_t> v) {
  graph::Attribute a;
  a.kind = graph::Attribute::Kind::ints;
  a.ints = std::move(v);
  attrs_[name] = a;
  return *this;
}
OneNode& OneNode::attr(const std::string& name, std::vector<float> v) {
  graph::Attribute a;
  a.kind = graph::Attribute::Kind::floats;
  a.floats = std::move(v);
  attrs_[name] = a;
  return *this;
}
OneNode& OneNode::attr_value(const std::string& name, graph::Attribute a) {
  attrs_[name] = std::move(a);
  return *this;
}
OneNode& OneNode::replace_input(size_t k, Constant data) {
  inputs_.at(k).data = std::move(data);
  return *this;
}
OneNode& OneNode::attr(const std::string& name, const std::string& v) {
  graph::Attribute a;
  a.kind = graph::Attribute::Kind::string;
  a.s = v;
  attrs_[name] = a;
  return *this;
}

graph::Graph OneNode::build(bool all_constant) const {
  graph::Graph g;
  g.name = "test";
  g.opset = opset_;
  graph::Node node;
  node.op = op_;
  node.name = "n0";
  node.attrs = attrs_;
  for (size_t k = 0; k < inputs_.size(); ++k) {
    const In& in = inputs_[k];
    if (in.omitted) {
      node.inputs.push_back(-1);
      continue;
    }
    graph::Value v;
    v.name = "in" + std::to_string(k);
    v.type = in.data.type;
    v.shape = in.data.shape;
    v.shape_known = true;
    if (in.constant || all_constant) v.constant = in.data;
    const int id = g.add_value(std::move(v));
    if (!in.constant && !all_constant) g.inputs.push_back(id);
    node.inputs.push_back(id);
  }
  for (size_t k = 0; k < outputs_.size(); ++k) {
    if (!outputs_[k]) {
      node.outputs.push_back(-1);
      continue;
    }
    graph::Value v;
    v.name = "out" + std::to_string(k);
    v.producer = 0;
    const int id = g.add_value(std::move(v));
    node.outputs.push_back(id);
    g.outputs.push_back(id);
  }
  g.nodes.push_back(std::move(node));
  return g;
}

graph::Graph OneNode::inferred() const {
  graph::Graph g = build(false);
  const runtime::OpDef* def = runtime::find_op(op_);
  if (!def) throw std::logic_error("no op " + op_);
  def->infer(g, g.nodes[0]);
  for (int id : g.nodes[0].outputs) {
    if (id >= 0 && !g.value(id).shape_known) throw std::logic_error("infer left an output unknown");
  }
  return g;
}

std::vector<Shape> OneNode::shapes() const {
  const graph::Graph g = inferred();
  std::vector<Shape> out;
  for (int id : g.nodes[0].outputs) out.push_back(id >= 0 ? g.value(id).shape : Shape{});
  return out;
}

std::string OneNode::describe() const {
  const graph::Graph g = inferred();
  return runtime::find_op(op_)->create(g, g.nodes[0])->describe();
}

std::vector<Constant> OneNode::run(int threads) const {
  graph::Graph g = inferred();
  const graph::Node& node = g.nodes[0];
  auto kernel = runtime::find_op(op_)->create(g, node);
  std::vector<runtime::TensorView> ins, outs;
  std::vector<Constant> in_data, out_data(node.outputs.size());
  in_data.reserve(node.inputs.size());
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    runtime::TensorView v;
    if (node.inputs[k] >= 0) {
      // A private copy, so that a kernel writing its input would show up as a wrong result.
      in_data.push_back(inputs_[k].data);
      Constant& c = in_data.back();
      v.type = c.type;
      v.shape = c.shape;
      v.f = c.type == DataType::f32 ? c.f.data() : nullptr;
      v.i = c.type == DataType::i64 ? c.i.data() : nullptr;
    } else {
      in_data.emplace_back();
    }
    ins.push_back(v);
  }
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    runtime::TensorView v;
    if (node.outputs[k] >= 0) {
      const graph::Value& val = g.value(node.outputs[k]);
      Constant& c = out_data[k];
      c.type = val.type;
      c.shape = val.shape;
      // Poisoned, so that an element the kernel does not write is noticed.
      if (c.type == DataType::f32) {
        c.f.assign(graph::numel(c.shape), std::numeric_limits<float>::quiet_NaN());
        v.f = c.f.data();
      } else {
        c.i.assign(graph::numel(c.shape), -777777);
        v.i = c.i.data();
      }
      v.type = c.type;
      v.shape = c.shape;
    }
    outs.push_back(v);
  }
  std::vector<float> scratch(std::max<int64_t>(kernel->scratch_floats(), 1) + 16);
  runtime::RunContext ctx;
  ctx.threads = threads;
  ctx.scratch = scratch.data();
  kernel->run(ins, outs, ctx);
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    if (node.inputs[k] < 0) continue;
    // Bitwise, so that NaN inputs compare equal to themselves.
    const auto& before = inputs_[k].data.f;
    const auto& after = in_data[k].f;
    if (after.size() != before.size() ||
        (!after.empty() && std::memcmp(after.data(), before.data(), after.size() * 4) != 0) ||
        in_data[k].i != inputs_[k].data.i) {
      throw std::logic_error("the kernel wrote its input " + std::to_string(k));
    }
  }
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    if (node.outputs[k] < 0) continue;
    const graph::Value& val = g.value(node.outputs[k]);
    if (val.constant) {
      if (val.constant->i != out_data[k].i || val.constant->f != out_data[k].f) {
        throw std::logic_error("the kernel's output differs from the constant infer set");
      }
      out_data[k] = *val.constant;
    }
  }
  return out_data;
}

std::vector<Constant> OneNode::fold() const {
  graph::Graph g = build(true);
  // infer_and_fold needs a non-empty graph; outputs become constants.
  const std::vector<int> outs = g.nodes[0].outputs;
  runtime::infer_and_fold(g);
  std::vector<Constant> out;
  for (int id : outs) {
    if (id < 0) {
      out.emplace_back();
      continue;
    }
    if (!g.value(id).constant) throw std::logic_error("fold left an output non-constant");
    out.push_back(*g.value(id).constant);
  }
  return out;
}

std::vector<int64_t> unravel(int64_t index, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = index % shape[d];
    index /= shape[d];
  }
  return idx;
}

int64_t ravel(const std::vector<int64_t>& index, const Shape& shape) {
  int64_t r = 0;
  for (size_t d = 0; d < shape.size(); ++d) r = r * shape[d] + index[d];
  return r;
}

double rel_error(const Constant& a, const Constant& b) {
  if (a.shape != b.shape || a.type != DataType::f32 || b.type != DataType::f32) return INFINITY;
  double scale = 1e-30, diff = 0.0;
  for (float x : b.f) scale = std::max(scale, double(std::abs(x)));
  for (size_t k = 0; k < a.f.size(); ++k) {
    if (a.f[k] == b.f[k] || (std::isnan(a.f[k]) && std::isnan(b.f[k]))) continue;  // incl. +-inf
    const double d = std::abs(double(a.f[k]) - double(b.f[k]));
    if (!std::isfinite(d)) return INFINITY;
    diff = std::max(diff, d);
  }
  return diff / scale;
}

}  // namespace onexn::test
