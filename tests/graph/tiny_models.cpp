#include "tiny_models.hpp"

#include <cstring>

#include "support/test_support.hpp"

namespace onexn::test {

onnx::TensorProto float_tensor(const std::string& name, const std::vector<int64_t>& dims,
                               const std::vector<float>& values, bool raw) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t.add_dims(d);
  if (raw) {
    t.set_raw_data(values.data(), values.size() * sizeof(float));
  } else {
    for (float v : values) t.add_float_data(v);
  }
  return t;
}

onnx::ModelProto empty_model(int64_t c, int64_t h, int64_t w) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("onexn-tests");
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("tiny");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  std::vector<int64_t> dims = h ? std::vector<int64_t>{1, c, h, w} : std::vector<int64_t>{1, c};
  for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  return m;
}

onnx::NodeProto& add_node(onnx::ModelProto& m, const std::string& op, const std::string& name,
                          const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  auto* n = m.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return *n;
}

void set_int(onnx::NodeProto& n, const std::string& attr, int64_t value) {
  auto* a = n.add_attribute();
  a->set_name(attr);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void set_ints(onnx::NodeProto& n, const std::string& attr, const std::vector<int64_t>& values) {
  auto* a = n.add_attribute();
  a->set_name(attr);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void add_output(onnx::ModelProto& m, const std::string& name) {
  auto* out = m.mutable_graph()->add_output();
  out->set_name(name);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
}

onnx::ModelProto mixed_weights_model() {
  onnx::ModelProto m = empty_model(8, 6, 6);
  auto* g = m.mutable_graph();
  *g->add_initializer() = float_tensor("w0", {16, 8, 3, 3}, random_values(16 * 8 * 9, 1));
  add_node(m, "Identity", "w0_identity", {"w0"}, {"w0_alias"});
  auto& c0 = add_node(m, "Conv", "conv0", {"x", "w0_alias"}, {"a"});
  set_int(c0, "group", 1);
  add_node(m, "Relu", "relu0", {"a"}, {"b"});
  auto& k = add_node(m, "Constant", "w1_const", {}, {"w1"});
  auto* value = k.add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  *value->mutable_t() = float_tensor("w1", {12, 16, 1, 1}, random_values(12 * 16, 2));
  add_node(m, "Conv", "conv1", {"b", "w1"}, {"c"});
  add_node(m, "GlobalAveragePool", "gap", {"c"}, {"d"});
  add_node(m, "Flatten", "flatten", {"d"}, {"e"});
  // Gemm with transB = 0 stores B as [in = 12][out = 10]; float_data storage.
  *g->add_initializer() = float_tensor("fc_w", {12, 10}, random_values(12 * 10, 3), /*raw=*/false);
  auto& gemm = add_node(m, "Gemm", "fc", {"e", "fc_w"}, {"f"});
  set_int(gemm, "transB", 0);
  *g->add_initializer() = float_tensor("proj_w", {10, 4}, random_values(10 * 4, 4));
  add_node(m, "MatMul", "proj", {"f", "proj_w"}, {"y"});
  add_output(m, "y");
  return m;
}

onnx::ModelProto conv_transpose_model() {
  onnx::ModelProto m = empty_model(4, 5, 5);
  auto* g = m.mutable_graph();
  auto weights = [&](const std::string& name, const std::vector<int64_t>& dims, uint32_t seed) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    *g->add_initializer() = float_tensor(name, dims, random_values(n, seed));
  };
  weights("stem.w", {8, 4, 3, 3}, 101);
  auto& stem = add_node(m, "Conv", "stem", {"x", "stem.w"}, {"a"});
  set_ints(stem, "pads", {1, 1, 1, 1});
  add_node(m, "Relu", "stem_relu", {"a"}, {"b"});
  weights("up.w", {8, 6, 2, 2}, 102);
  weights("up.b", {6}, 103);
  auto& up = add_node(m, "ConvTranspose", "up", {"b", "up.w", "up.b"}, {"c"});
  set_ints(up, "strides", {2, 2});
  set_ints(up, "kernel_shape", {2, 2});
  add_node(m, "Relu", "up_relu", {"c"}, {"d"});
  weights("up_g.w", {6, 5, 3, 3}, 104);
  weights("up_g.b", {10}, 105);
  auto& up_g = add_node(m, "ConvTranspose", "up_g", {"d", "up_g.w", "up_g.b"}, {"e"});
  set_int(up_g, "group", 2);
  set_ints(up_g, "pads", {1, 1, 1, 1});
  weights("dw_up.w", {10, 1, 3, 3}, 106);
  auto& dw = add_node(m, "ConvTranspose", "dw_up", {"e", "dw_up.w"}, {"f"});
  set_int(dw, "group", 10);
  set_ints(dw, "pads", {1, 1, 1, 1});
  weights("dil.w", {8, 10, 3, 3}, 107);
  auto& dil = add_node(m, "Conv", "dil", {"f", "dil.w"}, {"h"});
  set_ints(dil, "dilations", {2, 2});
  set_ints(dil, "pads", {2, 2, 2, 2});
  weights("head.w", {3, 8, 1, 1}, 108);
  add_node(m, "Conv", "head", {"h", "head.w"}, {"y"});
  add_output(m, "y");
  auto* shape = g->mutable_output(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  for (int64_t d : {1, 3, 10, 10}) shape->add_dim()->set_dim_value(d);  // onnx.checker wants it
  return m;
}

std::vector<uint8_t> serialize(const onnx::ModelProto& m) {
  std::vector<uint8_t> bytes(m.ByteSizeLong());
  m.SerializeToArray(bytes.data(), static_cast<int>(bytes.size()));
  return bytes;
}

}  // namespace onexn::test
