// Proof that graph-wide rearrangement keeps the function: torchvision models (BatchNorm folded
// and kept; residual adds; squeeze-and-excitation and HardSwish in MobileNetV3) permuted by
// `paper` and `graph`, unpruned, give the original model's outputs (≤ 1e-5 relative).
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"
#include "onexn/rearrange_model.hpp"
#include "onexn/session.hpp"
#include "onexn/tensor_file.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

std::vector<float> run(const OnnxModel& model, FloatTensor input) {
  const std::vector<uint8_t> bytes = model.serialize();
  const Session s = Session::from_bytes(bytes, model.name(), {.tune = false});
  input.name = s.inputs().front().name;
  return s.run({input}).at(0).data;
}

class RearrangeTorchvision : public ::testing::TestWithParam<std::string> {};

TEST_P(RearrangeTorchvision, PermutedModelComputesTheSameFunction) {
  const fs::path dir = ONEXN_RUNTIME_MODELS_DIR;
  const std::string& name = GetParam();
  const OnnxModel original = OnnxModel::load(dir / (name + ".onnx"));
  const FloatTensor input = read_tensor_pb(dir / (name + ".input.pb"));
  const std::vector<float> reference = run(original, input);
  int permuted[2] = {0, 0};
  for (RearrangeMode mode : {RearrangeMode::paper, RearrangeMode::graph}) {
    OnnxModel model = OnnxModel::load(dir / (name + ".onnx"));
    const RearrangeResult r = rearrange_model(model, mode);
    permuted[mode == RearrangeMode::graph] = r.permuted_sets;
    EXPECT_NE(model.serialize(), original.serialize()) << to_string(mode) << " changed nothing";
    const double err = test::max_relative_error(run(model, input), reference);
    EXPECT_LE(err, 1e-5) << to_string(mode);
    std::cout << name << " --rearrange " << to_string(mode) << ": " << r.permuted_sets << " of "
              << r.sets.size() << " channel sets permuted (" << r.permuted_channels
              << " channels), relative error " << err << "\n";
  }
  EXPECT_GT(permuted[1], permuted[0]) << "graph mode should also permute residual-tied sets";
}

// The L1 share each pruned layer keeps: graph >= paper >= none on every layer (rearrangement
// only applies an order that costs no pruned producer anything).
TEST_P(RearrangeTorchvision, RearrangementNeverCostsALayerKeptL1) {
  const fs::path dir = ONEXN_RUNTIME_MODELS_DIR;
  const std::string& name = GetParam();
  for (const auto& [pattern, p] : {std::pair{"1x4", 0.5}, std::pair{"1x16", 0.7}}) {
    std::map<std::string, double> kept[3];  // none, paper, graph
    for (RearrangeMode mode : {RearrangeMode::paper, RearrangeMode::graph}) {
      OnnxModel model = OnnxModel::load(dir / (name + ".onnx"));
      PruneOptions o;
      o.pattern = Pattern::parse(pattern);
      o.sparsity = p;
      o.rearrange = mode;
      for (const PrunedLayerReport& l : prune_model(model, o).pruned) {
        kept[0][l.node_name] = l.l1_kept_plain;
        kept[mode == RearrangeMode::paper ? 1 : 2][l.node_name] = l.l1_kept_rearranged;
      }
    }
    double sums[3] = {0, 0, 0};
    for (const auto& [layer, none] : kept[0]) {
      // Equal up to rounding where a layer's own filters keep their order (the summation order
      // over permuted input channels differs).
      const double eps = 1e-9;
      EXPECT_GE(kept[1][layer], none - eps) << pattern << " " << layer << ": paper < none";
      EXPECT_GE(kept[2][layer], kept[1][layer] - eps) << pattern << " " << layer << ": graph < paper";
      sums[0] += none, sums[1] += kept[1][layer], sums[2] += kept[2][layer];
    }
    EXPECT_GT(sums[2], sums[0]) << pattern;
    std::cout << name << " " << pattern << " p=" << p << ": mean L1 kept none " << sums[0] / kept[0].size()
              << ", paper " << sums[1] / kept[0].size() << ", graph " << sums[2] / kept[0].size() << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(Models, RearrangeTorchvision,
                         ::testing::Values("resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small",
                                           "resnet18_bn", "mobilenet_v3_small_bn"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace onexn
