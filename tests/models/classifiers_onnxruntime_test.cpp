// The torchvision classifiers main already runs (ResNet-18, MobileNetV2, exported by the
// torchvision_models fixture), against ONNX Runtime on the same file: dense, and pruned 1x4 at 0.5
// by the library (rearranged across the graph first). ≤ 1e-3 relative per output. PyTorch judges
// them dense in tests/session/; ONNX Runtime is what judges the pruned files.
#include <gtest/gtest.h>

#include <filesystem>

#include "models/onnxruntime_oracle.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/npy.hpp"
#include "onexn/session.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

constexpr double kOnnxRuntimeTolerance = 1e-3;

struct Case {
  std::string model;
  bool pruned = false;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << (c.pruned ? " pruned 1x4 at 0.5" : " dense"); }

class ClassifiersVsOnnxRuntime : public ::testing::TestWithParam<Case> {};

TEST_P(ClassifiersVsOnnxRuntime, Match) {
  const Case& c = GetParam();
  const fs::path dir = test::scratch_dir(c.model + (c.pruned ? "-pruned" : "-dense"));
  fs::path model = test::models_dir() / (c.model + ".onnx");
  if (c.pruned) {
    OnnxModel m = OnnxModel::load(model);
    PruneOptions options;
    options.pattern = Pattern::parse("1x4");
    options.sparsity = 0.5;
    options.rearrange = RearrangeMode::graph;
    ASSERT_GT(prune_model(m, options).pruned_layers, 0);
    model = dir / (c.model + "-1x4-p0.5.onnx");
    m.save(model);
  }
  SessionOptions options;
  options.tune = false;
  const Session session = Session::load(model, options);
  FloatTensor input;
  input.name = session.inputs().front().name;
  input.dims = session.inputs().front().shape;
  input.data = test::random_values(input.numel(), 1234);
  const fs::path input_file = dir / "input.npy";
  write_npy(input_file, input);
  const std::vector<FloatTensor> reference =
      test::run_onnxruntime(model, {{input.name, input_file}}, dir / "onnxruntime");
  test::expect_outputs_match(session.run({input}), reference, kOnnxRuntimeTolerance,
                             c.model + (c.pruned ? " pruned 1x4 at 0.5" : "") + " vs ONNX Runtime");
  if (c.pruned) {
    int sparse_layers = 0;
    for (const LayerReport& l : session.layers()) sparse_layers += l.block_size > 0;
    EXPECT_GT(sparse_layers, 0) << "the pruned model runs no 1xN kernel";
  }
}

INSTANTIATE_TEST_SUITE_P(Torchvision, ClassifiersVsOnnxRuntime,
                         ::testing::Values(Case{"resnet18"}, Case{"resnet18", true}, Case{"mobilenet_v2"},
                                           Case{"mobilenet_v2", true}),
                         [](const auto& info) { return info.param.model + (info.param.pruned ? "_pruned" : "_dense"); });

}  // namespace
}  // namespace onexn
