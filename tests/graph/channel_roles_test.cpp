// Channel roles: the runtime's registry says what each op does to channels, and the channel
// analysis asks it (or any lookup given to it) instead of keeping its own op lists.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "graph/channel_flow.hpp"
#include "graph/onnx_import.hpp"
#include "runtime/op.hpp"
#include "runtime/prepare.hpp"
#include "support/test_support.hpp"
#include "tiny_models.hpp"

namespace onexn {
namespace {

using graph::ChannelRole;
using test::add_node;
using test::float_tensor;
using test::random_values;

// The roles the analysis gave these ops when it kept its own lists (ops missing from the lists
// were barriers), written out again here.
TEST(ChannelRoles, RegistryKeepsWhatTheAnalysisDidBefore) {
  const std::map<std::string, ChannelRole> expected = {
      {"Conv", ChannelRole::conv},
      {"ConvTranspose", ChannelRole::conv_transpose},
      {"Gemm", ChannelRole::fc},
      {"MatMul", ChannelRole::fc},
      {"BatchNormalization", ChannelRole::normalization},
      {"Relu", ChannelRole::unary},
      {"Clip", ChannelRole::unary},
      {"Sigmoid", ChannelRole::unary},
      {"HardSigmoid", ChannelRole::unary},
      {"HardSwish", ChannelRole::unary},
      {"Identity", ChannelRole::unary},
      {"Dropout", ChannelRole::unary},
      {"LeakyRelu", ChannelRole::unary},
      {"Tanh", ChannelRole::unary},
      {"Elu", ChannelRole::unary},
      {"Selu", ChannelRole::unary},
      {"Softplus", ChannelRole::unary},
      {"Neg", ChannelRole::unary},
      {"Abs", ChannelRole::unary},
      {"Exp", ChannelRole::unary},
      {"Log", ChannelRole::unary},
      {"Sqrt", ChannelRole::unary},
      {"Erf", ChannelRole::unary},
      {"Floor", ChannelRole::unary},
      {"Ceil", ChannelRole::unary},
      {"Reciprocal", ChannelRole::unary},
      {"Add", ChannelRole::elementwise},
      {"Sub", ChannelRole::elementwise},
      {"Mul", ChannelRole::elementwise},
      {"Div", ChannelRole::elementwise},
      {"Max", ChannelRole::elementwise},
      {"Min", ChannelRole::elementwise},
      {"Sum", ChannelRole::elementwise},
      {"Mean", ChannelRole::elementwise},
      {"Pow", ChannelRole::elementwise},
      {"PRelu", ChannelRole::elementwise},
      {"MaxPool", ChannelRole::spatial},
      {"AveragePool", ChannelRole::spatial},
      {"GlobalAveragePool", ChannelRole::spatial},
      {"Reshape", ChannelRole::reshape},
      {"Flatten", ChannelRole::reshape},
      {"Squeeze", ChannelRole::reshape},
      {"Unsqueeze", ChannelRole::reshape},
      {"Pad", ChannelRole::pad},
      {"Concat", ChannelRole::concat},
      {"ReduceMean", ChannelRole::reduce},
      {"Transpose", ChannelRole::transpose},
      {"Cast", ChannelRole::barrier},
      {"Shape", ChannelRole::barrier},
      {"Gather", ChannelRole::barrier},
      {"Split", ChannelRole::barrier},
      {"Slice", ChannelRole::barrier},
      {"Softmax", ChannelRole::barrier},
  };
  for (const auto& [op, role] : expected) {
    ASSERT_NE(runtime::find_op(op), nullptr) << op << " is not registered";
    EXPECT_EQ(runtime::channel_role(op), role) << op;
  }
  EXPECT_EQ(runtime::channel_role("NoSuchOp"), ChannelRole::barrier);
}

OnnxModel parse(const onnx::ModelProto& m) { return OnnxModel::parse(test::serialize(m), "roles"); }

// The set whose producers include `node`, or null.
const graph::ChannelSet* produced_by(const graph::ChannelFlow& flow, const std::string& node) {
  for (const auto& s : flow.sets)
    for (const auto& p : s.producers)
      if (p.node == node) return &s;
  return nullptr;
}

bool edits_tensor(const graph::ChannelSet& s, const std::string& tensor, int axis) {
  return std::any_of(s.edits.begin(), s.edits.end(), [&](const graph::ChannelEdit& e) {
    return e.tensor == tensor && e.axis == axis;
  });
}

void add_conv(onnx::ModelProto& m, const std::string& name, const std::string& in,
              const std::string& out, int64_t c_in, int64_t c_out, uint32_t seed) {
  *m.mutable_graph()->add_initializer() =
      float_tensor(name + ".w", {c_out, c_in, 1, 1}, random_values(c_out * c_in, seed));
  add_node(m, "Conv", name, {in, name + ".w"}, {out});
}

TEST(ChannelRoles, AnOpWithoutARoleIsABarrier) {
  // x -> a (conv) -> Relu -> b (conv) -> y; Relu's role taken away.
  onnx::ModelProto m = test::empty_model(4, 3, 3);
  add_conv(m, "a", "x", "a_out", 4, 6, 1);
  add_node(m, "Relu", "relu", {"a_out"}, {"r"});
  add_conv(m, "b", "r", "y", 6, 5, 2);
  test::add_output(m, "y");
  const OnnxModel model = parse(m);
  graph::Graph g = graph::import_onnx(model);
  runtime::infer_and_fold(g);
  const auto with_registry = graph::analyze_channel_flow(model, g, runtime::channel_role);
  ASSERT_NE(produced_by(with_registry, "a"), nullptr);
  EXPECT_FALSE(produced_by(with_registry, "a")->fixed)
      << produced_by(with_registry, "a")->fixed_reason;
  const auto without_relu = graph::analyze_channel_flow(model, g, [](std::string_view op) {
    return op == "Relu" ? ChannelRole::barrier : runtime::channel_role(op);
  });
  const graph::ChannelSet* a = produced_by(without_relu, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->fixed);
  EXPECT_NE(a->fixed_reason.find("node 'relu' (Relu): op not modelled"), std::string::npos)
      << a->fixed_reason;
}

// Analyses a graph with ops the runtime need not have: value shapes given by hand, roles from
// `roles` first, then the registry.
graph::ChannelFlow analyze_by_hand(const OnnxModel& model,
                                   const std::map<std::string, graph::Shape>& shapes,
                                   const std::map<std::string, ChannelRole>& roles) {
  graph::Graph g = graph::import_onnx(model);
  for (graph::Value& v : g.values) {
    if (v.shape_known) continue;
    v.shape = shapes.at(v.name);
    v.shape_known = true;
  }
  return graph::analyze_channel_flow(model, g, [&](std::string_view op) {
    const auto it = roles.find(std::string(op));
    return it != roles.end() ? it->second : runtime::channel_role(op);
  });
}

// x [1, 4, 3, 3] -> a (conv 4 -> 6) -> LayerNormalization(axis) -> b (conv 6 -> 5) -> y.
onnx::ModelProto layer_norm_model(int64_t axis, const std::vector<int64_t>& scale_dims) {
  onnx::ModelProto m = test::empty_model(4, 3, 3);
  add_conv(m, "a", "x", "a_out", 4, 6, 3);
  int64_t n = 1;
  for (int64_t d : scale_dims) n *= d;
  *m.mutable_graph()->add_initializer() = float_tensor("ln.scale", scale_dims, random_values(n, 4));
  *m.mutable_graph()->add_initializer() = float_tensor("ln.bias", scale_dims, random_values(n, 5));
  auto& ln = add_node(m, "LayerNormalization", "ln", {"a_out", "ln.scale", "ln.bias"}, {"ln_out"});
  test::set_int(ln, "axis", axis);
  add_conv(m, "b", "ln_out", "y", 6, 5, 6);
  test::add_output(m, "y");
  return m;
}

TEST(ChannelRoles, LayerNormalizationOverChannelsPermutesItsScaleAndBias) {
  const std::map<std::string, graph::Shape> shapes = {
      {"x", {1, 4, 3, 3}}, {"a_out", {1, 6, 3, 3}}, {"ln_out", {1, 6, 3, 3}}, {"y", {1, 5, 3, 3}}};
  const std::map<std::string, ChannelRole> roles = {
      {"LayerNormalization", ChannelRole::layer_normalization}};
  {
    const OnnxModel model = parse(layer_norm_model(1, {6, 3, 3}));
    const graph::ChannelSet* a = produced_by(analyze_by_hand(model, shapes, roles), "a");
    ASSERT_NE(a, nullptr);
    EXPECT_FALSE(a->fixed) << a->fixed_reason;
    EXPECT_TRUE(edits_tensor(*a, "ln.scale", 0));
    EXPECT_TRUE(edits_tensor(*a, "ln.bias", 0));
    EXPECT_TRUE(edits_tensor(*a, "b.w", 1));
  }
  {
    // Normalizing each channel over H, W: nothing of the LayerNormalization is permuted.
    const OnnxModel model = parse(layer_norm_model(2, {3, 3}));
    const graph::ChannelSet* a = produced_by(analyze_by_hand(model, shapes, roles), "a");
    ASSERT_NE(a, nullptr);
    EXPECT_FALSE(a->fixed) << a->fixed_reason;
    EXPECT_FALSE(edits_tensor(*a, "ln.scale", 0));
    EXPECT_TRUE(edits_tensor(*a, "b.w", 1));
  }
  {
    const OnnxModel model = parse(layer_norm_model(0, {1, 6, 3, 3}));
    const graph::ChannelSet* a = produced_by(analyze_by_hand(model, shapes, roles), "a");
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(a->fixed);
    EXPECT_NE(a->fixed_reason.find("batch axis"), std::string::npos) << a->fixed_reason;
  }
}

TEST(ChannelRoles, SpatialOpThatChangesTheRankIsABarrier) {
  // x [1, 4] -> fc (Gemm 4 -> 6) -> [1, 6] -> Expand to [1, 6, 2, 6]: broadcasting aligns the
  // trailing axes, so the output's axis 1 is not the fc's channels although both are 6 long.
  onnx::ModelProto m = test::empty_model(4, 0, 0);
  *m.mutable_graph()->add_initializer() = float_tensor("fc.w", {6, 4}, random_values(24, 7));
  auto& fc = add_node(m, "Gemm", "fc", {"x", "fc.w"}, {"f"});
  test::set_int(fc, "transB", 1);
  onnx::TensorProto shape;
  shape.set_name("shape");
  shape.set_data_type(onnx::TensorProto::INT64);
  shape.add_dims(4);
  for (int64_t d : {1, 6, 2, 6}) shape.add_int64_data(d);
  *m.mutable_graph()->add_initializer() = shape;
  add_node(m, "Expand", "expand", {"f", "shape"}, {"e"});
  add_conv(m, "c", "e", "y", 6, 5, 8);
  test::add_output(m, "y");
  const OnnxModel model = parse(m);
  const auto flow = analyze_by_hand(
      model, {{"x", {1, 4}}, {"f", {1, 6}}, {"e", {1, 6, 2, 6}}, {"y", {1, 5, 2, 6}}},
      {{"Expand", ChannelRole::spatial}});
  const graph::ChannelSet* f = produced_by(flow, "fc");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->fixed);
  EXPECT_NE(f->fixed_reason.find("node 'expand' (Expand): changes the channel axis"),
            std::string::npos)
      << f->fixed_reason;
}

TEST(ChannelRoles, ArgMaxOverChannelsFixesThem) {
  onnx::ModelProto m = test::empty_model(4, 3, 3);
  add_conv(m, "a", "x", "a_out", 4, 6, 9);
  auto& am = add_node(m, "ArgMax", "argmax", {"a_out"}, {"y"});
  test::set_int(am, "axis", 1);
  test::add_output(m, "y");
  const OnnxModel model = parse(m);
  const auto flow =
      analyze_by_hand(model, {{"x", {1, 4, 3, 3}}, {"a_out", {1, 6, 3, 3}}, {"y", {1, 1, 3, 3}}},
                      {{"ArgMax", ChannelRole::reduce}});
  const graph::ChannelSet* a = produced_by(flow, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->fixed);
  EXPECT_NE(a->fixed_reason.find("reduces the batch or channel axis"), std::string::npos)
      << a->fixed_reason;
}

}  // namespace
}  // namespace onexn
