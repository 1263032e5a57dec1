// A plan holds its weights once: the graph's copy of a constant goes once the kernels reading it
// have copied it (packed, reordered), and stays while any kernel reads it at run time.
#include <gtest/gtest.h>

#include <filesystem>

#include "graph/tiny_models.hpp"
#include "onexn/onnx_model.hpp"
#include "onexn/session.hpp"
#include "runtime/plan.hpp"
#include "runtime/prepare.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

runtime::Plan plan_of(const OnnxModel& model) {
  SessionOptions o;
  o.tune = false;
  return runtime::build_plan(runtime::prepare_graph(model), o);
}

TEST(PlanWeights, ConvAndPackedGemmWeightsAreHeldOnlyByTheirKernels) {
  const runtime::Plan plan = plan_of(OnnxModel::load(fs::path(ONEXN_RUNTIME_MODELS_DIR) / "mobilenet_v2.onnx"));
  const graph::Graph& g = plan.graph;
  int released = 0, convs = 0;
  int64_t held_bytes = 0;
  for (const runtime::Step& step : plan.steps) {
    const graph::Node& node = g.nodes[step.node];
    convs += node.op == "Conv";
    for (size_t k : step.kernel->copied_inputs()) {
      if (k >= node.inputs.size() || node.inputs[k] < 0) continue;
      const graph::Value& v = g.value(node.inputs[k]);
      ASSERT_TRUE(v.constant) << node.name;
      EXPECT_TRUE(v.constant->f.empty()) << node.name << " input " << k << " is held twice";
      EXPECT_GT(v.constant->numel(), 0) << "the shape stays";
      released += k == 1;
    }
  }
  for (const graph::Value& v : g.values)
    if (v.constant) held_bytes += static_cast<int64_t>(v.constant->f.size() * sizeof(float));
  EXPECT_EQ(convs, 52);
  EXPECT_EQ(released, 53) << "52 convs and the classifier's Gemm";
  EXPECT_LT(held_bytes, 64 * 1024) << "weights left in the plan's graph";
  EXPECT_GT(plan.weight_bytes_dense, 13'000'000) << "accounting still counts the weights";
}

// x [1, 8, 4, 4] -> Conv(w [8, 8, 1, 1]) -> "c";  Add(x, w) -> "s" [8, 8, 4, 4]: the Add reads w
// at run time, so the graph keeps it although the conv copied it.
TEST(PlanWeights, AConstantReadAtRunTimeStays) {
  onnx::ModelProto m = test::empty_model(8, 4, 4);
  const std::vector<float> w = test::random_values(64, 3);
  *m.mutable_graph()->add_initializer() = test::float_tensor("w", {8, 8, 1, 1}, w);
  test::add_node(m, "Conv", "conv", {"x", "w"}, {"c"});
  test::add_node(m, "Add", "add", {"x", "w"}, {"s"});
  test::add_output(m, "c");
  test::add_output(m, "s");
  const OnnxModel model = OnnxModel::parse(test::serialize(m), "shared-weight");
  const runtime::Plan plan = plan_of(model);
  EXPECT_EQ(plan.graph.value(plan.graph.find_value("w")).constant->f, w);

  SessionOptions o;
  o.tune = false;
  const Session s = Session::from_model(model, o);
  Tensor x{"x", {1, 8, 4, 4}};
  x.data = test::random_values(128, 4);
  const std::vector<Tensor> out = s.run({x});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[1].dims, (std::vector<int64_t>{8, 8, 4, 4}));
  for (int64_t n = 0; n < 8; ++n)
    for (int64_t c = 0; c < 8; ++c)
      for (int64_t p = 0; p < 16; ++p)
        ASSERT_FLOAT_EQ(out[1].data[(n * 8 + c) * 16 + p], x.data[c * 16 + p] + w[n * 8 + c]);
  // The conv: y[o] = sum_i w[o][i] x[i].
  for (int64_t o2 = 0; o2 < 8; ++o2)
    for (int64_t p = 0; p < 16; ++p) {
      double ref = 0;
      for (int64_t i = 0; i < 8; ++i) ref += double(w[o2 * 8 + i]) * x.data[i * 16 + p];
      ASSERT_NEAR(out[0].data[o2 * 16 + p], ref, 1e-5);
    }
}

}  // namespace
}  // namespace onexn
