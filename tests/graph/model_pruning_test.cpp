// Pruning whole models: layer selection, exact 1xN structure, untouched layers bit-identical.
#include <gtest/gtest.h>
#include <onnx/checker.h>

#include <cmath>
#include <map>

#include "onexn/error.hpp"
#include "onexn/model_pruning.hpp"
#include "support/structure_checks.hpp"
#include "support/test_support.hpp"
#include "tiny_models.hpp"

namespace onexn {
namespace {

std::map<std::string, std::string> initializer_bytes(const OnnxModel& m) {
  std::map<std::string, std::string> out;
  for (const auto& t : m.proto().graph().initializer()) out[t.name()] = t.SerializeAsString();
  return out;
}

class TorchvisionPruning : public ::testing::TestWithParam<std::tuple<std::string, int, double>> {};

TEST_P(TorchvisionPruning, DefaultLayerSetGetsExact1xNAndTheRestIsUntouched) {
  const auto& [model_name, n, p] = GetParam();
  const OnnxModel original = OnnxModel::load(test::models_dir() / (model_name + ".onnx"));
  OnnxModel model = OnnxModel::load(test::models_dir() / (model_name + ".onnx"));
  PruneOptions options;
  options.pattern = Pattern::one_by_n(n);
  options.sparsity = p;
  const PruneResult result = prune_model(model, options);

  std::map<std::string, bool> pruned_tensor;
  int selected = 0;
  for (const WeightedLayer& layer : model.weighted_layers()) {
    const bool in_set = in_default_layer_set(layer.kind, false);
    selected += in_set;
    pruned_tensor[layer.weight_tensor] = in_set;
    const auto before = original.read_weights(layer);
    const auto after = model.read_weights(layer);
    if (in_set) {
      test::expect_exact_1xn(before, after, layer.shape, n, p, layer.node_name);
    } else {
      EXPECT_EQ(std::memcmp(before.data(), after.data(), before.size() * 4), 0) << layer.node_name;
    }
  }
  EXPECT_EQ(result.pruned_layers, selected);
  // Every initializer that is not a pruned weight is bit-identical, and so is the graph.
  const auto a = initializer_bytes(original), b = initializer_bytes(model);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : a) {
    if (!pruned_tensor[name]) {
      EXPECT_EQ(bytes, b.at(name)) << name;
    }
  }
  EXPECT_EQ(original.proto().graph().node_size(), model.proto().graph().node_size());
  const OnnxModel reloaded = OnnxModel::parse(model.serialize(), "pruned");
  EXPECT_NO_THROW(onnx::checker::check_model(reloaded.proto()));
}

INSTANTIATE_TEST_SUITE_P(Models, TorchvisionPruning,
                         ::testing::Values(std::make_tuple("resnet18", 4, 0.5),
                                           std::make_tuple("resnet18", 16, 0.7),
                                           std::make_tuple("mobilenet_v2", 4, 0.5),
                                           std::make_tuple("mobilenet_v2", 32, 0.9),
                                           std::make_tuple("mobilenet_v2", 8, 0.0)));

TEST(ModelPruning, FullAlsoPrunesTheClassifier) {
  OnnxModel model = OnnxModel::load(test::models_dir() / "resnet18.onnx");
  PruneOptions options;
  options.pattern = Pattern::unstructured();
  options.sparsity = 0.3;
  options.layers.full = true;
  const PruneResult r = prune_model(model, options);
  EXPECT_EQ(r.pruned_layers, 20);
  const auto& fc = r.layers.back();
  EXPECT_EQ(fc.layer.kind, LayerKind::fc);
  EXPECT_TRUE(fc.selected);
  EXPECT_NEAR(fc.stats.sparsity(), 0.3, 1e-6);
}

TEST(ModelPruning, IncludeAndExcludeRegexes) {
  const OnnxModel model = OnnxModel::load(test::models_dir() / "resnet18.onnx");
  LayerSelection sel;
  sel.include = "layer4";
  sel.exclude = "downsample";
  const auto chosen = select_layers(model, sel);
  ASSERT_EQ(chosen.size(), 4u);
  for (const WeightedLayer* l : chosen) {
    EXPECT_NE(l->node_name.find("layer4"), std::string::npos);
    EXPECT_EQ(l->node_name.find("downsample"), std::string::npos);
  }
  // An explicit choice may select what the default set leaves out.
  sel = {};
  sel.include = "^/conv1/";
  ASSERT_EQ(select_layers(model, sel).size(), 1u);
  EXPECT_EQ(select_layers(model, sel)[0]->kind, LayerKind::first);
}

TEST(ModelPruning, BadSelectionsAreInvalidArguments) {
  OnnxModel model = OnnxModel::load(test::models_dir() / "resnet18.onnx");
  LayerSelection sel;
  sel.include = "(";
  EXPECT_THROW(select_layers(model, sel), InvalidArgument);
  sel.include = "no-layer-has-this-name";
  EXPECT_THROW(select_layers(model, sel), InvalidArgument);
  PruneOptions options;
  options.sparsity = 1.0;
  EXPECT_THROW(prune_model(model, options), InvalidArgument);
}

TEST(ModelPruning, SharedWeightIsPrunedOnce) {
  onnx::ModelProto m = test::empty_model(8, 5, 5);
  *m.mutable_graph()->add_initializer() = test::float_tensor("w0", {8, 8, 3, 3}, test::random_values(576, 5));
  *m.mutable_graph()->add_initializer() = test::float_tensor("w", {8, 8, 3, 3}, test::random_values(576, 6));
  test::add_node(m, "Conv", "stem", {"x", "w0"}, {"y0"});
  test::add_node(m, "Conv", "a", {"y0", "w"}, {"y1"});
  test::add_node(m, "Conv", "b", {"y1", "w"}, {"y2"});
  test::add_output(m, "y2");
  OnnxModel model = OnnxModel::parse(test::serialize(m), "shared");
  PruneOptions options;
  options.pattern = Pattern::one_by_n(4);
  options.sparsity = 0.5;
  const PruneResult r = prune_model(model, options);
  EXPECT_EQ(r.pruned_layers, 1);
  EXPECT_NEAR(r.layers[1].stats.sparsity(), 0.5, 1e-9);  // not 0.75 from pruning twice
}

TEST(ModelPruning, GlobalRankingReachesTheOverallSparsity) {
  OnnxModel model = OnnxModel::load(test::models_dir() / "resnet18.onnx");
  PruneOptions options;
  options.pattern = Pattern::one_by_n(4);
  options.sparsity = 0.6;
  options.global_ranking = true;
  const PruneResult r = prune_model(model, options);
  int64_t blocks = 0, zero_blocks = 0;
  double min_p = 1, max_p = 0;
  for (const auto& l : r.layers) {
    if (!l.selected) continue;
    ASSERT_EQ(l.layer.shape.c_out % 4, 0);
    const int64_t block_numel = 4 * l.layer.shape.taps();
    blocks += l.stats.numel / block_numel;
    zero_blocks += (l.stats.numel - l.stats.nonzeros) / block_numel;
    min_p = std::min(min_p, l.stats.sparsity());
    max_p = std::max(max_p, l.stats.sparsity());
    EXPECT_EQ(l.stats.fill_for(4), 1.0) << l.layer.node_name;
  }
  // One threshold over all blocks of all selected layers: the block count is exact.
  EXPECT_EQ(zero_blocks, static_cast<int64_t>(std::floor(blocks * 0.6)));
  EXPECT_GT(max_p - min_p, 0.01);  // layers end up with different sparsities
}

}  // namespace
}  // namespace onexn
