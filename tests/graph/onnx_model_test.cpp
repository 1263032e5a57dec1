// Loading ONNX models, finding their weighted layers, reading and writing weights, saving.
#include <gtest/gtest.h>
#include <onnx/checker.h>

#include <filesystem>
#include <fstream>

#include "graph/onnx_tensor.hpp"
#include "onexn/error.hpp"
#include "onexn/file_io.hpp"
#include "onexn/onnx_model.hpp"
#include "support/test_support.hpp"
#include "tiny_models.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

OnnxModel parse(const onnx::ModelProto& m) {
  const auto bytes = test::serialize(m);
  return OnnxModel::parse(bytes, "tiny");
}

const WeightedLayer& layer_named(const OnnxModel& model, const std::string& name) {
  for (const auto& l : model.weighted_layers())
    if (l.node_name == name) return l;
  throw std::runtime_error("no layer " + name);
}

TEST(OnnxModel, FindsWeightsBehindIdentityConstantAndTransposedStorage) {
  const OnnxModel model = parse(test::mixed_weights_model());
  ASSERT_EQ(model.weighted_layers().size(), 4u);

  const WeightedLayer& conv0 = layer_named(model, "conv0");
  EXPECT_EQ(conv0.weight_tensor, "w0");  // reached through the Identity node
  EXPECT_EQ(conv0.shape, WeightShape::conv(16, 8, 3, 3));
  EXPECT_EQ(conv0.kind, LayerKind::first);

  const WeightedLayer& conv1 = layer_named(model, "conv1");
  EXPECT_EQ(conv1.weight_tensor, "w1");  // the Constant node's value
  EXPECT_EQ(conv1.kind, LayerKind::pointwise);

  const WeightedLayer& fc = layer_named(model, "fc");
  EXPECT_EQ(fc.kind, LayerKind::fc);
  EXPECT_TRUE(fc.stored_transposed);
  EXPECT_EQ(fc.shape, WeightShape::linear(10, 12));

  const WeightedLayer& proj = layer_named(model, "proj");
  EXPECT_TRUE(proj.stored_transposed);
  EXPECT_EQ(proj.shape, WeightShape::linear(4, 10));
}

TEST(OnnxModel, ReadsTransposedWeightsInOutputMajorOrder) {
  const OnnxModel model = parse(test::mixed_weights_model());
  const WeightedLayer& fc = layer_named(model, "fc");
  const std::vector<float> stored = test::random_values(12 * 10, 3);  // as built: [in][out]
  const std::vector<float> oi = model.read_weights(fc);
  for (int o = 0; o < 10; ++o)
    for (int i = 0; i < 12; ++i) EXPECT_EQ(oi[o * 12 + i], stored[i * 10 + o]);
}

TEST(OnnxModel, WriteWeightsKeepsNameDimsAndStorageForm) {
  OnnxModel model = parse(test::mixed_weights_model());
  for (const WeightedLayer& layer : model.weighted_layers()) {
    std::vector<float> w = model.read_weights(layer);
    for (size_t i = 0; i < w.size(); i += 3) w[i] = 0.0f;
    model.write_weights(layer, w);
    EXPECT_EQ(model.read_weights(layer), w) << layer.node_name;
  }
  const OnnxModel reloaded = OnnxModel::parse(model.serialize(), "reloaded");
  const auto& g = reloaded.proto().graph();
  for (const auto& init : g.initializer()) {
    if (init.name() == "fc_w") {
      EXPECT_FALSE(init.has_raw_data());
      EXPECT_EQ(init.float_data_size(), 120);
    } else {
      EXPECT_TRUE(init.has_raw_data()) << init.name();
    }
  }
  EXPECT_EQ(g.initializer(0).dims_size(), 4);
  EXPECT_EQ(g.node_size(), test::mixed_weights_model().graph().node_size());
}

TEST(OnnxModel, EverythingButTheWrittenTensorIsPreserved) {
  onnx::ModelProto original = test::mixed_weights_model();
  original.set_doc_string("keep me");
  auto* meta = original.add_metadata_props();
  meta->set_key("k");
  meta->set_value("v");
  OnnxModel model = parse(original);
  const WeightedLayer& conv1 = layer_named(model, "conv1");
  std::vector<float> w = model.read_weights(conv1);
  w[0] = 42.0f;
  model.write_weights(conv1, w);

  onnx::ModelProto expected = original;
  for (auto& node : *expected.mutable_graph()->mutable_node()) {
    if (node.name() != "w1_const") continue;
    auto* t = node.mutable_attribute(0)->mutable_t();
    std::string raw = t->raw_data();
    std::memcpy(raw.data(), &w[0], sizeof(float));
    t->set_raw_data(raw);
  }
  EXPECT_EQ(test::serialize(model.proto()), test::serialize(expected));
}

TEST(OnnxModel, SharedWeightIsOneTensor) {
  onnx::ModelProto m = test::empty_model(4, 5, 5);
  *m.mutable_graph()->add_initializer() = test::float_tensor("w", {4, 4, 3, 3}, test::random_values(144, 9));
  test::add_node(m, "Conv", "a", {"x", "w"}, {"y0"});
  test::add_node(m, "Conv", "b", {"y0", "w"}, {"y1"});
  test::add_output(m, "y1");
  const OnnxModel model = parse(m);
  ASSERT_EQ(model.weighted_layers().size(), 2u);
  EXPECT_EQ(model.weighted_layers()[0].kind, LayerKind::first);
  EXPECT_EQ(model.weighted_layers()[1].kind, LayerKind::kxk);
  EXPECT_EQ(model.weighted_layers()[1].weight_tensor, "w");
}

TEST(OnnxModel, RejectsMissingFileGarbageAndEmptyInput) {
  const fs::path dir = test::scratch_dir("onnx-model-errors");
  EXPECT_THROW(OnnxModel::load(dir / "missing.onnx"), Error);
  EXPECT_THROW(OnnxModel::load(dir), Error);  // a directory
  write_file_atomically(dir / "text.onnx", std::string_view("this is not a model\n"));
  EXPECT_THROW(OnnxModel::load(dir / "text.onnx"), Error);
  write_file_atomically(dir / "empty.onnx", std::string_view(""));
  try {
    OnnxModel::load(dir / "empty.onnx");
    FAIL() << "empty file accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty.onnx"), std::string::npos) << e.what();
  }
}

TEST(OnnxModel, EveryTruncationIsRejectedWithoutCrashing) {
  const std::vector<uint8_t> bytes = test::serialize(test::mixed_weights_model());
  for (size_t len = 0; len < bytes.size(); ++len) {
    const std::span<const uint8_t> head(bytes.data(), len);
    EXPECT_THROW(OnnxModel::parse(head, "truncated"), Error) << "length " << len;
  }
}

TEST(OnnxModel, RejectsAReferenceToAMissingTensor) {
  onnx::ModelProto m = test::mixed_weights_model();
  m.mutable_graph()->mutable_initializer()->DeleteSubrange(0, 1);  // drop w0
  try {
    parse(m);
    FAIL() << "accepted a model without its initializer";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'w0'"), std::string::npos) << e.what();
  }
}

TEST(OnnxModel, RejectsWeightsWhoseDataDoesNotMatchTheirDims) {
  onnx::ModelProto m = test::mixed_weights_model();
  m.mutable_graph()->mutable_initializer(0)->set_raw_data(std::string(12, '\0'));
  const OnnxModel model = parse(m);
  EXPECT_THROW(model.read_weights(layer_named(model, "conv0")), Error);
}

TEST(OnnxModel, LoadsModelsLargerThan100MB) {
  onnx::ModelProto m = test::empty_model(1024, 4, 4);
  const int64_t c_out = 1024, c_in = 1024, k = 5;  // 26.2 M floats = 105 MB
  std::vector<float> w(c_out * c_in * k * k, 0.25f);
  *m.mutable_graph()->add_initializer() = test::float_tensor("big", {c_out, c_in, k, k}, w);
  test::add_node(m, "Conv", "big_conv", {"x", "big"}, {"y"});
  test::add_output(m, "y");
  const std::vector<uint8_t> bytes = test::serialize(m);
  ASSERT_GT(bytes.size(), 100u << 20);
  const OnnxModel model = OnnxModel::parse(bytes, "big");
  ASSERT_EQ(model.weighted_layers().size(), 1u);
  EXPECT_EQ(model.read_weights(model.weighted_layers()[0]).back(), 0.25f);
}

TEST(OnnxModel, SaveIsAtomicAndLeavesNoTemporaryFiles) {
  const fs::path dir = test::scratch_dir("onnx-model-save");
  const OnnxModel model = parse(test::mixed_weights_model());
  EXPECT_THROW(model.save(dir / "no-such-dir" / "out.onnx"), Error);
  write_file_atomically(dir / "out.onnx", std::string_view("old"));
  model.save(dir / "out.onnx");
  EXPECT_EQ(read_file(dir / "out.onnx"), model.serialize());
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1);
  fs::remove_all(dir);
}

TEST(OnnxModel, TorchvisionResnet18Layers) {
  const OnnxModel model = OnnxModel::load(test::models_dir() / "resnet18.onnx");
  const auto& layers = model.weighted_layers();
  ASSERT_EQ(layers.size(), 21u);  // 20 convs and the classifier
  int first = 0, pointwise = 0, kxk = 0, fc = 0;
  for (const auto& l : layers) {
    first += l.kind == LayerKind::first;
    pointwise += l.kind == LayerKind::pointwise;
    kxk += l.kind == LayerKind::kxk;
    fc += l.kind == LayerKind::fc;
  }
  EXPECT_EQ(first, 1);
  EXPECT_EQ(pointwise, 3);  // the downsample convs
  EXPECT_EQ(kxk, 16);
  EXPECT_EQ(fc, 1);
  EXPECT_EQ(layers.front().shape, WeightShape::conv(64, 3, 7, 7));
  EXPECT_EQ(layers.back().shape, WeightShape::linear(1000, 512));
  EXPECT_NO_THROW(onnx::checker::check_model(model.proto()));
}

TEST(OnnxModel, TorchvisionMobilenetV2Layers) {
  const OnnxModel model = OnnxModel::load(test::models_dir() / "mobilenet_v2.onnx");
  int first = 0, depthwise = 0, pointwise = 0, fc = 0;
  for (const auto& l : model.weighted_layers()) {
    first += l.kind == LayerKind::first;
    depthwise += l.kind == LayerKind::depthwise;
    pointwise += l.kind == LayerKind::pointwise;
    fc += l.kind == LayerKind::fc;
  }
  EXPECT_EQ(first, 1);
  EXPECT_EQ(depthwise, 17);
  EXPECT_EQ(pointwise, 34);  // 16 expansions (the first block has none), 17 projections, 320->1280
  EXPECT_EQ(fc, 1);
}

}  // namespace
}  // namespace onexn
