// NetGraph -> ONNX (opset 13) through protobuf directly, and BatchNorm folding on the NetGraph.
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <map>

#include "graph/onnx_tensor.hpp"
#include "onexn/error.hpp"
#include "train/net_graph.hpp"

namespace onexn::train {

const NetTensor* NetGraph::find_tensor(const std::string& name) const {
  for (const NetTensor& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::string NetBuilder::node(const std::string& op, const std::string& name,
                             std::vector<std::string> inputs, const std::string& output) {
  NetNode n;
  n.op = op;
  n.name = name;
  n.inputs = std::move(inputs);
  n.outputs = {output.empty() ? name : output};
  g_.nodes.push_back(std::move(n));
  return g_.nodes.back().outputs[0];
}

std::string NetBuilder::conv(const std::string& name, const std::string& x, NetTensor weight,
                             int64_t stride, int64_t pad, int64_t groups) {
  const std::vector<int64_t> kernel = {weight.dims.at(2), weight.dims.at(3)};
  const std::string w = weight.name;
  g_.tensors.push_back(std::move(weight));
  const std::string out = node("Conv", name, {x, w});
  NetNode& n = g_.nodes.back();
  n.ints = {{"kernel_shape", kernel},
            {"strides", {stride, stride}},
            {"pads", {pad, pad, pad, pad}},
            {"dilations", {1, 1}},
            {"group", {groups}}};
  return out;
}

std::string NetBuilder::batch_norm(const std::string& name, const std::string& x, NetTensor scale,
                                   NetTensor bias, NetTensor mean, NetTensor var, float epsilon) {
  std::vector<std::string> inputs = {x};
  for (NetTensor* t : {&scale, &bias, &mean, &var}) {
    inputs.push_back(t->name);
    g_.tensors.push_back(std::move(*t));
  }
  const std::string out = node("BatchNormalization", name, std::move(inputs));
  g_.nodes.back().floats = {{"epsilon", epsilon}};
  return out;
}

std::string NetBuilder::relu(const std::string& name, const std::string& x) {
  return node("Relu", name, {x});
}

std::string NetBuilder::relu6(const std::string& name, const std::string& x) {
  if (!clip_bounds_) {
    g_.tensors.push_back({kClipMinName, {}, {0.0f}});
    g_.tensors.push_back({kClipMaxName, {}, {6.0f}});
    clip_bounds_ = true;
  }
  return node("Clip", name, {x, kClipMinName, kClipMaxName});
}

std::string NetBuilder::add(const std::string& name, const std::string& a, const std::string& b) {
  return node("Add", name, {a, b});
}

std::string NetBuilder::global_average_pool(const std::string& name, const std::string& x) {
  return node("GlobalAveragePool", name, {x});
}

std::string NetBuilder::flatten(const std::string& name, const std::string& x) {
  const std::string out = node("Flatten", name, {x});
  g_.nodes.back().ints = {{"axis", {1}}};
  return out;
}

void NetBuilder::gemm_output(const std::string& name, const std::string& x, NetTensor weight,
                             NetTensor bias) {
  const std::string w = weight.name, b = bias.name;
  g_.classes = weight.dims.at(0);
  g_.tensors.push_back(std::move(weight));
  g_.tensors.push_back(std::move(bias));
  node("Gemm", name, {x, w, b}, "logits");
  g_.nodes.back().ints = {{"transB", {1}}};
}

NetGraph fold_batch_norm(const NetGraph& g) {
  std::map<std::string, int> readers;
  for (const NetNode& n : g.nodes)
    for (const std::string& i : n.inputs) ++readers[i];
  std::map<std::string, NetTensor> tensors;
  for (const NetTensor& t : g.tensors) tensors[t.name] = t;
  auto take = [&](const std::string& name) -> const NetTensor& {
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw Error(fmt::format("fold_batch_norm: no tensor '{}'", name));
    return it->second;
  };

  NetGraph out;
  out.channels = g.channels, out.height = g.height, out.width = g.width, out.classes = g.classes;
  std::map<std::string, NetTensor> folded;  // replaced or added conv weights and biases
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const NetNode& n = g.nodes[k];
    const bool foldable = n.op == "Conv" && k + 1 < g.nodes.size() &&
                          g.nodes[k + 1].op == "BatchNormalization" &&
                          g.nodes[k + 1].inputs[0] == n.outputs[0] && readers[n.outputs[0]] == 1;
    if (!foldable) {
      if (n.op == "BatchNormalization") {
        throw Error(
            fmt::format("fold_batch_norm: '{}' does not follow a conv it alone reads", n.name));
      }
      out.nodes.push_back(n);
      continue;
    }
    const NetNode& bn = g.nodes[k + 1];
    float eps = 1e-5f;
    for (const auto& [key, value] : bn.floats)
      if (key == "epsilon") eps = value;
    NetTensor w = take(n.inputs[1]);
    const NetTensor& gamma = take(bn.inputs[1]);
    const NetTensor& beta = take(bn.inputs[2]);
    const NetTensor& mean = take(bn.inputs[3]);
    const NetTensor& var = take(bn.inputs[4]);
    const int64_t c_out = w.dims[0];
    const int64_t per_channel = static_cast<int64_t>(w.values.size()) / c_out;
    std::vector<float> old_bias(c_out, 0.0f);
    if (n.inputs.size() > 2) old_bias = take(n.inputs[2]).values;
    NetTensor b;
    b.name = w.name.size() > 7 && w.name.ends_with(".weight")
                 ? w.name.substr(0, w.name.size() - 7) + ".bias"
                 : w.name + ".bias";
    b.dims = {c_out};
    b.values.resize(c_out);
    for (int64_t o = 0; o < c_out; ++o) {
      // In double, so the folded model matches the unfolded one to float rounding.
      const double s = double(gamma.values[o]) / std::sqrt(double(var.values[o]) + double(eps));
      for (int64_t i = 0; i < per_channel; ++i) {
        float& v = w.values[o * per_channel + i];
        v = static_cast<float>(double(v) * s);
      }
      b.values[o] = static_cast<float>((double(old_bias[o]) - mean.values[o]) * s + beta.values[o]);
    }
    NetNode conv = n;
    conv.outputs = bn.outputs;
    if (conv.inputs.size() < 3)
      conv.inputs.push_back(b.name);
    else
      conv.inputs[2] = b.name;
    out.nodes.push_back(std::move(conv));
    folded[w.name] = std::move(w);
    folded[b.name] = std::move(b);
    ++k;
  }
  // Keep the tensors some node still reads, in first-use order.
  std::map<std::string, bool> emitted;
  for (const NetNode& n : out.nodes) {
    for (const std::string& i : n.inputs) {
      if (emitted[i]) continue;
      if (const auto f = folded.find(i); f != folded.end()) {
        out.tensors.push_back(f->second);
        emitted[i] = true;
      } else if (const auto t = tensors.find(i); t != tensors.end()) {
        out.tensors.push_back(t->second);
        emitted[i] = true;
      }
    }
  }
  return out;
}

namespace {

void set_shape(onnx::ValueInfoProto& v, const std::string& name, const std::vector<int64_t>& dims) {
  v.set_name(name);
  auto* tt = v.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) {
    auto* dim = tt->mutable_shape()->add_dim();
    if (d < 0)
      dim->set_dim_param("batch");
    else
      dim->set_dim_value(d);
  }
}

}  // namespace

std::vector<uint8_t> serialize_onnx(const NetGraph& g) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("onexn-train");
  m.set_producer_version("0.1.0");
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  auto* graph = m.mutable_graph();
  graph->set_name("onexn-train");
  set_shape(*graph->add_input(), "input", {-1, g.channels, g.height, g.width});
  set_shape(*graph->add_output(), "logits", {-1, g.classes});
  for (const NetTensor& t : g.tensors) {
    int64_t numel = 1;
    for (int64_t d : t.dims) numel *= d;
    if (numel != static_cast<int64_t>(t.values.size())) {
      throw Error(fmt::format("export: tensor '{}' has {} values for {} elements", t.name,
                              t.values.size(), numel));
    }
    auto* init = graph->add_initializer();
    init->set_name(t.name);
    init->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : t.dims) init->add_dims(d);
    init->set_raw_data(t.values.data(), t.values.size() * sizeof(float));
  }
  for (const NetNode& n : g.nodes) {
    auto* node = graph->add_node();
    node->set_op_type(n.op);
    node->set_name(n.name);
    for (const std::string& i : n.inputs) node->add_input(i);
    for (const std::string& o : n.outputs) node->add_output(o);
    for (const auto& [key, values] : n.ints) {
      auto* a = node->add_attribute();
      a->set_name(key);
      if (key == "group" || key == "axis" || key == "transB") {
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(values.at(0));
      } else {
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t v : values) a->add_ints(v);
      }
    }
    for (const auto& [key, value] : n.floats) {
      auto* a = node->add_attribute();
      a->set_name(key);
      a->set_type(onnx::AttributeProto::FLOAT);
      a->set_f(value);
    }
  }
  std::vector<uint8_t> bytes(m.ByteSizeLong());
  if (!m.SerializeToArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error("export: the ONNX model could not be serialized");
  }
  return bytes;
}

OnnxModel to_onnx_model(const NetGraph& g, const std::string& what) {
  return OnnxModel::parse(serialize_onnx(g), what);
}

std::vector<NetTensor> read_initializers(const OnnxModel& model) {
  std::vector<NetTensor> out;
  for (const onnx::TensorProto& t : model.proto().graph().initializer()) {
    NetTensor n;
    n.name = t.name();
    n.dims.assign(t.dims().begin(), t.dims().end());
    n.values = detail::tensor_floats(t, model.name());
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace onexn::train
