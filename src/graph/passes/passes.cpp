#include "graph/passes/passes.hpp"

#include <algorithm>
#include <cmath>

namespace onexn::graph {
namespace {

// The single live consumer of value `id`, or -1 when it has none, several, or is a graph output.
int single_consumer(const Graph& g, int id) {
  if (g.is_graph_output(id)) return -1;
  const std::vector<int> readers = g.consumers(id);
  return readers.size() == 1 ? readers.front() : -1;
}

// Makes `node` write `to` instead of its output `from` (which `killed` wrote); `killed` dies.
void take_over_output(Graph& g, int node, int killed) {
  const int to = g.nodes[killed].outputs.at(0);
  g.nodes[node].outputs.at(0) = to;
  g.value(to).producer = node;
  g.nodes[killed].dead = true;
}

bool is_constant(const Graph& g, int id) { return id >= 0 && g.value(id).constant.has_value(); }

void replace_uses(Graph& g, int from, int to) {
  for (Node& n : g.nodes) {
    if (n.dead) continue;
    for (int& in : n.inputs)
      if (in == from) in = to;
  }
  for (int& out : g.outputs)
    if (out == from) out = to;
}

}  // namespace

void remove_noops(Graph& g) {
  for (Node& n : g.nodes) {
    if (n.dead || (n.op != "Identity" && n.op != "Dropout")) continue;
    const int in = n.inputs.at(0), out = n.outputs.at(0);
    if (g.is_graph_output(out)) continue;  // keeps the output's name; a copy of one tensor
    // A Dropout whose mask is read (or is a graph output) stays: the mask has no other producer.
    if (n.outputs.size() > 1 && n.outputs[1] >= 0 &&
        (g.is_graph_output(n.outputs[1]) || !g.consumers(n.outputs[1]).empty())) {
      continue;
    }
    n.dead = true;
    replace_uses(g, out, in);
  }
}

int fold_batchnorm(Graph& g) {
  int folded = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    Node& conv = g.nodes[k];
    if (conv.dead || (conv.op != "Conv" && conv.op != "ConvTranspose") || conv.inputs.size() > 3) continue;
    const bool transposed = conv.op == "ConvTranspose";
    const int bn_index = single_consumer(g, conv.outputs.at(0));
    if (bn_index < 0) continue;
    Node& bn = g.nodes[bn_index];
    if (bn.op != "BatchNormalization" || bn.inputs.at(0) != conv.outputs.at(0) || bn.outputs.size() > 1) continue;
    bool constants = is_constant(g, conv.inputs.at(1));
    if (conv.inputs.size() > 2 && conv.inputs[2] >= 0) constants &= is_constant(g, conv.inputs[2]);
    for (int i = 1; i <= 4; ++i) constants &= is_constant(g, bn.inputs.at(i));
    if (!constants) continue;
    const auto scale = g.value(bn.inputs[1]).constant->as_floats();
    const auto shift = g.value(bn.inputs[2]).constant->as_floats();
    const auto mean = g.value(bn.inputs[3]).constant->as_floats();
    const auto var = g.value(bn.inputs[4]).constant->as_floats();
    const float eps = bn.attr_float("epsilon", 1e-5f);
    Constant w = *g.value(conv.inputs[1]).constant;
    if (w.type != DataType::f32 || w.shape.size() < 3) continue;
    // Output channel o of a Conv is weight row o; of a ConvTranspose ([c_in][c_out/group][...]),
    // column o % (c_out/group) of the rows of its group.
    const int64_t groups = transposed ? conv.attr_int("group", 1) : 1;
    const int64_t c_out = transposed ? w.shape.at(1) * groups : w.shape.at(0);
    if (static_cast<int64_t>(scale.size()) != c_out || groups <= 0 || w.shape.at(0) % groups) continue;
    std::vector<float> bias(c_out, 0.0f);
    if (conv.inputs.size() > 2 && conv.inputs[2] >= 0) bias = g.value(conv.inputs[2]).constant->as_floats();
    const int64_t taps = w.numel() / (w.shape[0] * w.shape[1]);
    for (int64_t o = 0; o < c_out; ++o) {
      const float a = scale[o] / std::sqrt(var[o] + eps);
      if (transposed) {
        const int64_t cog = w.shape[1], cig = w.shape[0] / groups, grp = o / cog;
        for (int64_t c = grp * cig; c < (grp + 1) * cig; ++c)
          for (int64_t t = 0; t < taps; ++t) w.f[(c * cog + o % cog) * taps + t] *= a;
      } else {
        const int64_t per_out = w.numel() / c_out;
        for (int64_t i = 0; i < per_out; ++i) w.f[o * per_out + i] *= a;
      }
      bias[o] = (bias[o] - mean[o]) * a + shift[o];
    }
    // New constants: the originals may be shared with other nodes.
    Value wv;
    wv.name = g.value(conv.inputs[1]).name + "/bn_folded";
    wv.shape = w.shape;
    wv.shape_known = true;
    wv.constant = std::move(w);
    Value bv;
    bv.name = bn.name + "/bias_folded";
    bv.shape = {c_out};
    bv.shape_known = true;
    bv.constant = Constant::floats({c_out}, std::move(bias));
    const int wid = g.add_value(std::move(wv));
    const int bid = g.add_value(std::move(bv));
    Node& c = g.nodes[k];  // add_value may not move nodes, but keep the reference fresh
    c.inputs.resize(3);
    c.inputs[1] = wid;
    c.inputs[2] = bid;
    take_over_output(g, static_cast<int>(k), bn_index);
    ++folded;
  }
  return folded;
}

int fuse_residual_add(Graph& g) {
  int fused = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    Node& conv = g.nodes[k];
    if (conv.dead || conv.op != "Conv" || conv.has_attr("onexn_activation")) continue;
    if (conv.inputs.size() > 3 && conv.inputs[3] >= 0) continue;
    const int out = conv.outputs.at(0);
    const int add_index = single_consumer(g, out);
    if (add_index < 0 || g.nodes[add_index].op != "Add") continue;
    const Node& add = g.nodes[add_index];
    const int other = add.inputs.at(0) == out ? add.inputs.at(1) : add.inputs.at(0);
    if (other == out || other < 0) continue;
    const Value& ov = g.value(other);
    // The residual must exist before the conv runs, and have the output's shape exactly (no
    // broadcasting).
    if (ov.constant || ov.shape != g.value(out).shape) continue;
    if (ov.producer >= static_cast<int>(k)) continue;
    conv.inputs.resize(4, -1);
    conv.inputs[3] = other;
    take_over_output(g, static_cast<int>(k), add_index);
    ++fused;
  }
  return fused;
}

int form_hardswish(Graph& g) {
  int formed = 0;
  for (Node& mul : g.nodes) {
    if (mul.dead || mul.op != "Mul" || mul.inputs.size() != 2 || !mul.attrs.empty()) continue;
    for (int side = 0; side < 2; ++side) {
      const int gate = mul.inputs[side], x = mul.inputs[1 - side];
      if (gate < 0 || x < 0 || g.value(gate).producer < 0 || g.value(gate).shape != g.value(x).shape) continue;
      Node& hs = g.nodes[g.value(gate).producer];
      if (hs.dead || hs.op != "HardSigmoid" || hs.inputs.at(0) != x || single_consumer(g, gate) < 0) continue;
      // torch.onnx writes nn.Hardswish as x * HardSigmoid(x, alpha = 1/6) before opset 14.
      if (std::abs(hs.attr_float("alpha", 0.2f) - 1.0f / 6.0f) > 1e-6f || hs.attr_float("beta", 0.5f) != 0.5f) continue;
      mul.op = "HardSwish";
      mul.inputs = {x};
      hs.dead = true;
      ++formed;
      break;
    }
  }
  return formed;
}

int fuse_activation(Graph& g) {
  int fused = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    Node& conv = g.nodes[k];
    if (conv.dead || (conv.op != "Conv" && conv.op != "ConvTranspose") || conv.has_attr("onexn_activation")) continue;
    const int act_index = single_consumer(g, conv.outputs.at(0));
    if (act_index < 0) continue;
    const Node& act = g.nodes[act_index];
    Attribute kind;
    kind.kind = Attribute::Kind::string;
    Attribute bounds;
    bounds.kind = Attribute::Kind::floats;
    if (act.op == "Relu") {
      kind.s = "relu";
    } else if (act.op == "Clip") {
      float lo = act.attr_float("min", -INFINITY), hi = act.attr_float("max", INFINITY);
      if (act.inputs.size() > 1 && act.inputs[1] >= 0) {
        if (!is_constant(g, act.inputs[1])) continue;
        lo = g.value(act.inputs[1]).constant->as_floats().at(0);
      }
      if (act.inputs.size() > 2 && act.inputs[2] >= 0) {
        if (!is_constant(g, act.inputs[2])) continue;
        hi = g.value(act.inputs[2]).constant->as_floats().at(0);
      }
      kind.s = lo == 0.0f && hi == 6.0f ? "relu6" : "clip";
      bounds.floats = {lo, hi};
    } else if (act.op == "HardSwish") {
      kind.s = "hardswish";
    } else {
      continue;
    }
    conv.attrs["onexn_activation"] = kind;
    if (kind.s == "clip") conv.attrs["onexn_clip"] = bounds;
    take_over_output(g, static_cast<int>(k), act_index);
    ++fused;
  }
  return fused;
}

void run_passes(Graph& g) {
  remove_noops(g);
  fold_batchnorm(g);
  fuse_residual_add(g);
  form_hardswish(g);
  fuse_activation(g);
  g.compact();
}

}  // namespace onexn::graph
