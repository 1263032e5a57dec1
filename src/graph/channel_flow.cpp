#include "graph/channel_flow.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <tuple>
#include <unordered_map>

#include "onexn/error.hpp"
#include "graph/onnx_tensor.hpp"
#include "onnx_model_impl.hpp"

namespace onexn::graph {
namespace {

struct Segment {
  int set = 0;
  int64_t channels = 0;
};

// The channel axis of one activation: its segments in order, each channel spanning `inner`
// consecutive indices of axis 1.
struct ChannelMap {
  std::vector<Segment> segments;
  int64_t inner = 1;
  bool empty() const { return segments.empty(); }
};

int64_t product(const Shape& s, size_t from) {
  int64_t p = 1;
  for (size_t k = from; k < s.size(); ++k) p *= s[k];
  return p;
}

class Analyzer {
 public:
  Analyzer(const OnnxModel& model, const Graph& g, const ChannelRoleOf& role_of)
      : model_(model), g_(g), role_of_(role_of) {
    count_constant_uses();
  }

  ChannelFlow run() {
    for (int id : g_.inputs) {
      if (g_.value(id).shape.size() >= 2) map_[id] = fresh(g_.value(id), true, "graph input");
    }
    for (const Node& node : g_.nodes) {
      if (!node.dead) visit(node);
    }
    for (int id : g_.outputs) {
      if (auto it = map_.find(id); it != map_.end()) {
        fix(it->second, fmt::format("graph output '{}'", g_.value(id).name));
      }
    }
    check_single_use();
    return collect();
  }

 private:
  struct SetState {
    int parent = 0;
    ChannelSet set;
  };

  const OnnxModel& model_;
  const Graph& g_;
  const ChannelRoleOf& role_of_;
  std::vector<SetState> sets_;
  std::unordered_map<int, ChannelMap> map_;  // activation value id -> channel map
  std::unordered_map<std::string, int> uses_;  // stored constant name -> node inputs reading it
  std::vector<std::string> shared_;

  // --- union-find over sets -------------------------------------------------------------------
  int find(int s) {
    while (sets_[s].parent != s) {
      sets_[s].parent = sets_[sets_[s].parent].parent;
      s = sets_[s].parent;
    }
    return s;
  }
  ChannelSet& set_of(int s) { return sets_[find(s)].set; }

  int new_set(int64_t channels, bool fixed, std::string reason) {
    const int id = static_cast<int>(sets_.size());
    SetState st;
    st.parent = id;
    st.set.channels = channels;
    st.set.fixed = fixed;
    st.set.fixed_reason = std::move(reason);
    sets_.push_back(std::move(st));
    return id;
  }

  ChannelMap fresh(const Value& v, bool fixed, const std::string& reason) {
    const int s = new_set(v.shape.at(1), fixed, reason);
    set_of(s).tensors.push_back(v.name);
    return {{{s, v.shape[1]}}, 1};
  }

  void join(int a, int b) {
    a = find(a), b = find(b);
    if (a == b) return;
    ChannelSet& x = sets_[a].set;
    ChannelSet& y = sets_[b].set;
    if (x.channels != y.channels) {  // cannot happen for shape-checked graphs; be safe
      x.fixed = y.fixed = true;
      x.fixed_reason = y.fixed_reason = "tied to a set of another size";
      return;
    }
    if (y.fixed && !x.fixed) x.fixed_reason = y.fixed_reason;
    x.fixed = x.fixed || y.fixed;
    x.tied = true;
    x.producers.insert(x.producers.end(), y.producers.begin(), y.producers.end());
    x.edits.insert(x.edits.end(), y.edits.begin(), y.edits.end());
    x.tensors.insert(x.tensors.end(), y.tensors.begin(), y.tensors.end());
    sets_[b].parent = a;
  }

  void fix(const ChannelMap& m, const std::string& reason) {
    for (const Segment& seg : m.segments) {
      ChannelSet& s = set_of(seg.set);
      if (!s.fixed) s.fixed_reason = reason;
      s.fixed = true;
    }
  }

  // --- constants --------------------------------------------------------------------------
  // How many node inputs read each stored tensor (following pass-through chains, whose nodes are
  // not counted themselves).
  void count_constant_uses() {
    const onnx::GraphProto& gp = model_.proto().graph();
    for (const onnx::NodeProto& n : gp.node()) {
      if (detail::is_pass_through(n)) continue;
      for (const std::string& in : n.input()) {
        if (in.empty()) continue;
        if (const onnx::TensorProto* t = detail::find_constant(gp, in)) ++uses_[t->name()];
      }
    }
  }

  // The stored tensor behind constant input `k` of `node`, or "" when it is absent or computed.
  std::string stored_constant(const Node& node, size_t k) {
    if (k >= node.inputs.size() || node.inputs[k] < 0) return {};
    const Value& v = g_.value(node.inputs[k]);
    if (!v.constant) return {};
    const onnx::TensorProto* t = detail::find_constant(model_.proto().graph(), v.name);
    if (!t || !detail::is_floating(*t)) return {};
    return t->name();
  }

  void add_edits(const ChannelMap& m, const std::string& tensor, int axis, const Node& node,
                 const char* role) {
    int64_t offset = 0;
    for (const Segment& seg : m.segments) {
      set_of(seg.set).edits.push_back({tensor, axis, offset, m.inner, node.name, role});
      offset += seg.channels;
    }
  }

  // --- nodes -----------------------------------------------------------------------------
  const ChannelMap* map_of(int id) {
    if (id < 0) return nullptr;
    auto it = map_.find(id);
    return it == map_.end() ? nullptr : &it->second;
  }

  void set_output(const Node& node, size_t k, ChannelMap m) {
    if (k >= node.outputs.size()) return;
    const Value& v = g_.value(node.outputs[k]);
    for (const Segment& seg : m.segments) set_of(seg.set).tensors.push_back(v.name);
    map_[node.outputs[k]] = std::move(m);
  }

  // A node we do not see through: the sets it reads and writes are fixed.
  void barrier(const Node& node, const std::string& why) {
    const std::string reason = fmt::format("{}: {}", node.where(), why);
    for (int id : node.inputs)
      if (const ChannelMap* m = map_of(id)) fix(*m, reason);
    for (int id : node.outputs) {
      const Value& v = g_.value(id);
      if (!v.constant && v.shape.size() >= 2) map_[id] = fresh(v, true, reason);
    }
  }

  void visit(const Node& node) {
    switch (role_of_(node.op)) {
      case ChannelRole::conv: return visit_conv(node, /*transposed=*/false);
      case ChannelRole::conv_transpose: return visit_conv(node, /*transposed=*/true);
      case ChannelRole::fc: return visit_fc(node);
      case ChannelRole::normalization: return visit_norm(node);
      case ChannelRole::layer_normalization: return visit_layer_norm(node);
      case ChannelRole::unary: return visit_unary(node);
      case ChannelRole::elementwise: return visit_binary(node);
      case ChannelRole::spatial: return visit_spatial(node);
      case ChannelRole::reshape: return visit_reshape(node);
      case ChannelRole::pad: return visit_pad(node);
      case ChannelRole::concat: return visit_concat(node);
      case ChannelRole::reduce: return visit_reduce(node);
      case ChannelRole::transpose: return visit_transpose(node);
      case ChannelRole::barrier: break;
    }
    barrier(node, "op not modelled by the channel analysis");
  }

  // The main input's map, or null after making the node a barrier (input without a channel axis).
  const ChannelMap* input_map(const Node& node) {
    const ChannelMap* m = node.inputs.empty() ? nullptr : map_of(node.inputs[0]);
    if (!m) barrier(node, "input without a channel axis");
    return m;
  }

  // Same rank, batch and channel count (a rank change, as Expand may make, would move axis 1).
  bool same_channels(const Node& node) {
    const Shape& in = g_.value(node.inputs[0]).shape;
    const Shape& out = g_.value(node.outputs[0]).shape;
    return in.size() >= 2 && out.size() == in.size() && in[0] == out[0] && in[1] == out[1];
  }

  // Conv weights are OIHW: filters along axis 0, input channels along axis 1. ConvTranspose
  // weights are [C_in][C_out/g][kH][kW], the other way round. Depthwise, both are [C][1][kH][kW].
  void visit_conv(const Node& node, bool transposed) {
    const ChannelMap* x = input_map(node);
    if (!x) return;
    const std::string w = stored_constant(node, 1);
    const Shape& xs = g_.value(node.inputs[0]).shape;
    const Value& y = g_.value(node.outputs[0]);
    if (w.empty()) return barrier(node, "weights are not a stored float tensor");
    const bool has_bias = node.inputs.size() > 2 && node.inputs[2] >= 0;
    const std::string b = has_bias ? stored_constant(node, 2) : std::string();
    if (has_bias && b.empty()) return barrier(node, "bias is not a stored float tensor");
    const int64_t groups = node.attr_int("group", 1);
    const int filter_axis = transposed ? 1 : 0, input_axis = transposed ? 0 : 1;
    if (groups == 1) {
      add_edits(*x, w, input_axis, node, "input channels");
      ChannelMap out = fresh(y, false, {});
      const int s = out.segments[0].set;
      set_of(s).producers.push_back({node.name, w, filter_axis});
      add_edits(out, w, filter_axis, node, "filters");
      if (has_bias) add_edits(out, b, 0, node, "bias");
      return set_output(node, 0, std::move(out));
    }
    if (groups == xs[1] && y.shape[1] == xs[1]) {  // depthwise: channel i -> i
      add_edits(*x, w, 0, node, "depthwise filters");
      if (has_bias) add_edits(*x, b, 0, node, "bias");
      return set_output(node, 0, *x);
    }
    barrier(node, fmt::format("grouped conv ({} groups) ties channels to groups", groups));
  }

  // Every input after the first is a per-channel vector: BatchNormalization's scale, bias, mean
  // and variance, InstanceNormalization's scale and bias.
  void visit_norm(const Node& node) {
    const ChannelMap* x = input_map(node);
    if (!x) return;
    static constexpr const char* kRoles[] = {"", "BN scale", "BN bias", "BN mean", "BN variance"};
    const size_t n = std::min<size_t>(node.inputs.size(), std::size(kRoles));
    if (node.inputs.size() > n) return barrier(node, "more parameters than a BatchNormalization's");
    std::vector<std::string> params;
    for (size_t k = 1; k < n; ++k) {
      params.push_back(stored_constant(node, k));
      if (params.back().empty()) return barrier(node, "parameters are not stored float tensors");
    }
    for (size_t k = 1; k < n; ++k) add_edits(*x, params[k - 1], 0, node, kRoles[k]);
    set_output(node, 0, *x);
  }

  // LayerNormalization normalizes over axes [axis, rank). From axis 2 on each channel is
  // normalized on its own and the scale and bias (shaped like those axes) do not vary along the
  // channels; with axis 1 the statistics cover all channels, which a permutation leaves
  // unchanged, and the scale and bias, shaped [C, ...], are permuted along their axis 0.
  void visit_layer_norm(const Node& node) {
    const ChannelMap* x = input_map(node);
    if (!x) return;
    const int64_t rank = static_cast<int64_t>(g_.value(node.inputs[0]).shape.size());
    int64_t axis = node.attr_int("axis", -1);
    if (axis < 0) axis += rank;
    if (axis < 1 || axis >= rank) return barrier(node, "normalizes over the batch axis");
    const int64_t channels = g_.value(node.inputs[0]).shape[1];
    std::vector<std::pair<std::string, const char*>> params;
    for (size_t k = 1; k < node.inputs.size(); ++k) {
      if (node.inputs[k] < 0) continue;
      const Shape& p = g_.value(node.inputs[k]).shape;
      const int64_t p_rank = static_cast<int64_t>(p.size());
      if (axis >= 2 ? p_rank > rank - axis : p_rank != rank - 1 || p[0] != channels) {
        return barrier(node, "scale or bias not shaped like the normalized axes");
      }
      if (axis >= 2) continue;
      params.emplace_back(stored_constant(node, k), k == 1 ? "LN scale" : "LN bias");
      if (params.back().first.empty()) {
        return barrier(node, "parameters are not stored float tensors");
      }
    }
    for (const auto& [tensor, role] : params) add_edits(*x, tensor, 0, node, role);
    set_output(node, 0, *x);
  }

  void visit_fc(const Node& node) {
    const ChannelMap* a = input_map(node);
    if (!a) return;
    const Shape& as = g_.value(node.inputs[0]).shape;
    const std::string w = stored_constant(node, 1);
    const bool gemm = node.op == "Gemm";
    const bool trans_b = gemm && node.attr_int("transB", 0) != 0;
    if (as.size() != 2 || (gemm && node.attr_int("transA", 0) != 0) || w.empty()) {
      return barrier(node, "not a 2-D input times a stored weight matrix");
    }
    const Value& wv = g_.value(node.inputs[1]);
    if (wv.shape.size() != 2) return barrier(node, "weight is not a matrix");
    std::string bias;
    int bias_axis = 0;
    if (gemm && node.inputs.size() > 2 && node.inputs[2] >= 0) {
      const Value& c = g_.value(node.inputs[2]);
      const int64_t m = g_.value(node.outputs[0]).shape[1];
      if (c.constant && graph::numel(c.shape) == m && m > 1 && !c.shape.empty() && c.shape.back() == m) {
        bias = stored_constant(node, 2);
        bias_axis = static_cast<int>(c.shape.size()) - 1;
        if (bias.empty()) return barrier(node, "bias is not a stored float tensor");
      } else if (!(c.constant && graph::numel(c.shape) == 1)) {
        return barrier(node, "bias is not a per-output vector");
      }
    }
    add_edits(*a, w, trans_b ? 1 : 0, node, "input columns");
    ChannelMap out = fresh(g_.value(node.outputs[0]), false, {});
    set_of(out.segments[0].set).producers.push_back({node.name, w, trans_b ? 0 : 1});
    add_edits(out, w, trans_b ? 0 : 1, node, "output rows");
    if (!bias.empty()) add_edits(out, bias, bias_axis, node, "bias");
    set_output(node, 0, std::move(out));
  }

  void visit_unary(const Node& node) {
    const ChannelMap* x = input_map(node);
    if (!x) return;
    const ChannelMap m = *x;
    for (size_t k = 0; k < node.outputs.size(); ++k) set_output(node, k, m);
  }

  void visit_binary(const Node& node) {
    const Value& y = g_.value(node.outputs[0]);
    const size_t rank = y.shape.size();
    if (rank < 2) return barrier(node, "output without a channel axis");
    const int64_t c = y.shape[1];
    std::vector<const ChannelMap*> tied;
    std::vector<std::pair<std::string, int>> params;  // per-channel constants: tensor, axis
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int id = node.inputs[k];
      if (id < 0) continue;
      const Value& v = g_.value(id);
      const int axis = 1 - static_cast<int>(rank - v.shape.size());
      const bool broadcast = axis < 0 || v.shape[axis] == 1;
      if (broadcast && !(c == 1 && axis >= 0)) continue;  // does not vary along the channels
      if (v.constant) {
        const std::string t = stored_constant(node, k);
        if (t.empty()) return barrier(node, "per-channel constant is not a stored float tensor");
        params.emplace_back(t, axis);
      } else if (const ChannelMap* m = map_of(id); m && axis == 1) {
        tied.push_back(m);
      } else {
        return barrier(node, "input channels do not line up with the output's");
      }
    }
    if (tied.empty()) return barrier(node, "no input carries the channels");
    ChannelMap out = *tied[0];
    for (size_t k = 1; k < tied.size(); ++k) {
      const ChannelMap& m = *tied[k];
      if (m.inner != out.inner || m.segments.size() != out.segments.size()) {
        return barrier(node, "inputs' channels are laid out differently");
      }
      for (size_t s = 0; s < m.segments.size(); ++s) {
        if (m.segments[s].channels != out.segments[s].channels) {
          return barrier(node, "inputs' channels are laid out differently");
        }
      }
    }
    for (size_t k = 1; k < tied.size(); ++k) {
      for (size_t s = 0; s < out.segments.size(); ++s) join(out.segments[s].set, tied[k]->segments[s].set);
    }
    for (const auto& [t, axis] : params) add_edits(out, t, axis, node, "per-channel constant");
    set_output(node, 0, std::move(out));
  }

  void visit_spatial(const Node& node) {
    const ChannelMap* x = input_map(node);
    if (!x) return;
    if (!same_channels(node)) return barrier(node, "changes the channel axis");
    set_output(node, 0, *x);
  }

  void visit_reshape(const Node& node) {
    const ChannelMap* x = input_map(node);
    if (!x) return;
    const Shape& in = g_.value(node.inputs[0]).shape;
    const Shape& out = g_.value(node.outputs[0]).shape;
    if (out.size() < 2 || in[0] != out[0]) return barrier(node, "moves the batch axis");
    if (in[1] == out[1] && product(in, 2) == product(out, 2)) return set_output(node, 0, *x);
    if (out.size() == 2 && in.size() >= 3 && out[1] == in[1] * product(in, 2)) {
      ChannelMap m = *x;
      m.inner *= product(in, 2);  // Flatten: channel c spans columns [c * inner, (c + 1) * inner)
      return set_output(node, 0, std::move(m));
    }
    barrier(node, "reshapes the channel axis");
  }

  void visit_pad(const Node& node) {
    const ChannelMap* x = input_map(node);
    if (!x) return;
    std::vector<int64_t> pads = node.attr_ints("pads");
    if (node.inputs.size() > 1 && node.inputs[1] >= 0) {
      const Value& p = g_.value(node.inputs[1]);
      if (!p.constant) return barrier(node, "pads computed at run time");
      pads = p.constant->as_ints();
    }
    const size_t rank = g_.value(node.inputs[0]).shape.size();
    const bool has_axes = node.inputs.size() > 3 && node.inputs[3] >= 0;
    if (has_axes || pads.size() != 2 * rank || pads[1] != 0 || pads[1 + rank] != 0 || pads[0] != 0 ||
        pads[rank] != 0) {
      return barrier(node, "pads the batch or channel axis");
    }
    set_output(node, 0, *x);
  }

  void visit_concat(const Node& node) {
    const Shape& out = g_.value(node.outputs[0]).shape;
    int64_t axis = node.attr_int("axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(out.size());
    std::vector<const ChannelMap*> maps;
    for (int id : node.inputs) {
      const ChannelMap* m = map_of(id);
      if (!m) return barrier(node, "an input carries no channels (a constant?)");
      maps.push_back(m);
    }
    if (maps.empty()) return barrier(node, "no inputs");
    if (axis == 1) {
      ChannelMap cat;
      cat.inner = maps[0]->inner;
      for (const ChannelMap* m : maps) {
        if (m->inner != cat.inner) return barrier(node, "inputs flattened differently");
        cat.segments.insert(cat.segments.end(), m->segments.begin(), m->segments.end());
      }
      return set_output(node, 0, std::move(cat));
    }
    // Along another axis all inputs must be permuted alike: tie them segment by segment.
    for (const ChannelMap* m : maps) {
      if (m->inner != maps[0]->inner || m->segments.size() != maps[0]->segments.size()) {
        return barrier(node, "inputs' channels are laid out differently");
      }
    }
    for (const ChannelMap* m : maps)
      for (size_t s = 0; s < m->segments.size(); ++s) join(maps[0]->segments[s].set, m->segments[s].set);
    set_output(node, 0, *maps[0]);
  }

  void visit_reduce(const Node& node) {
    const ChannelMap* x = input_map(node);
    if (!x) return;
    const int64_t rank = static_cast<int64_t>(g_.value(node.inputs[0]).shape.size());
    std::vector<int64_t> axes = node.attr_ints("axes");
    if (node.has_attr("axis")) axes = {node.attr_int("axis", 0)};  // ArgMax / ArgMin
    if (node.inputs.size() > 1 && node.inputs[1] >= 0) {
      const Value& a = g_.value(node.inputs[1]);
      if (!a.constant) return barrier(node, "axes computed at run time");
      axes = a.constant->as_ints();
    }
    if (axes.empty()) return barrier(node, "reduces every axis");
    for (int64_t& a : axes) {
      if (a < 0) a += rank;
      if (a < 2) return barrier(node, "reduces the batch or channel axis");
    }
    set_output(node, 0, *x);
  }

  void visit_transpose(const Node& node) {
    const ChannelMap* x = input_map(node);
    if (!x) return;
    const std::vector<int64_t> perm = node.attr_ints("perm");
    if (perm.size() >= 2 && perm[0] == 0 && perm[1] == 1) return set_output(node, 0, *x);
    barrier(node, "moves the channel axis");
  }

  // --- final checks ------------------------------------------------------------------------
  // A constant read by two node inputs cannot be permuted for one of them alone.
  void check_single_use() {
    for (size_t s = 0; s < sets_.size(); ++s) {
      if (find(static_cast<int>(s)) != static_cast<int>(s)) continue;
      ChannelSet& set = sets_[s].set;
      if (set.fixed) continue;
      for (const ChannelEdit& e : set.edits) {
        const int n = uses_[e.tensor];
        if (n == 1) continue;
        if (!set.fixed) {
          set.fixed = true;
          set.fixed_reason = fmt::format("'{}' ({} of node '{}') is read by {} node inputs", e.tensor,
                                         e.role, e.node, n);
        }
        if (!set.producers.empty()) shared_.push_back(e.tensor);
      }
    }
  }

  ChannelFlow collect() {
    ChannelFlow flow;
    std::sort(shared_.begin(), shared_.end());
    shared_.erase(std::unique(shared_.begin(), shared_.end()), shared_.end());
    flow.shared = shared_;
    for (size_t s = 0; s < sets_.size(); ++s) {
      if (find(static_cast<int>(s)) == static_cast<int>(s)) flow.sets.push_back(std::move(sets_[s].set));
    }
    return flow;
  }
};

}  // namespace

ChannelFlow analyze_channel_flow(const OnnxModel& model, const Graph& shaped,
                                 const ChannelRoleOf& role_of) {
  return Analyzer(model, shaped, role_of).run();
}

void unshare_constants(OnnxModel& model, const std::vector<std::string>& names) {
  onnx::GraphProto& g = *model.proto().mutable_graph();
  const std::set<std::string> wanted(names.begin(), names.end());
  std::map<std::string, int> seen;
  // Resolve every node input first: adding initializers below may move the tensors in memory.
  std::vector<std::tuple<int, int, std::string>> reads;  // node, input index, tensor name
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    if (detail::is_pass_through(n)) continue;
    for (int k = 0; k < n.input_size(); ++k) {
      if (n.input(k).empty()) continue;
      const onnx::TensorProto* t = detail::find_constant(g, n.input(k));
      if (t && wanted.count(t->name())) reads.emplace_back(i, k, t->name());
    }
  }
  for (const auto& [node, input, name] : reads) {
    const int copy = seen[name]++;
    if (copy == 0) continue;  // the first reader keeps the original
    const onnx::TensorProto* t = detail::find_constant(g, name);
    onnx::TensorProto clone = *t;
    if (clone.data_type() != onnx::TensorProto::FLOAT) {
      // The reader takes float32 (through a Cast, for float16 weights): the copy is float32.
      const std::vector<float> values = detail::tensor_floats(*t, model.name());
      clone.clear_raw_data();
      clone.clear_int32_data();
      clone.clear_double_data();
      clone.set_data_type(onnx::TensorProto::FLOAT);
      clone.set_raw_data(values.data(), values.size() * sizeof(float));
    }
    clone.set_name(fmt::format("{}.onexn_copy{}", name, copy));
    g.mutable_node(node)->set_input(input, clone.name());
    *g.add_initializer() = std::move(clone);
  }
  model.reindex_layers();
}

}  // namespace onexn::graph
