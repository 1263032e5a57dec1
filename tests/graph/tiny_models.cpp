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

std::vector<uint8_t> serialize(const onnx::ModelProto& m) {
  std::vector<uint8_t> bytes(m.ByteSizeLong());
  m.SerializeToArray(bytes.data(), static_cast<int>(bytes.size()));
  return bytes;
}

}  // namespace onexn::test
