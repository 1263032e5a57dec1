// Segmentation networks nobody tuned onexn for (scripts/export-segmentation.py: torchvision's FCN,
// DeepLabV3 and LR-ASPP, and a U-Net with ConvTranspose, Resize, dilated and grouped convs), run
// by onexn and judged by two independent oracles:
//   - PyTorch's own outputs (saved at export) for the models torch.onnx exports faithfully:
//     onexn's output ≤ 1e-4 relative (max |ours - ref| / max |ref| per output);
//   - ONNX Runtime on the very same file for what PyTorch cannot judge: the models pruned 1x4 at
//     0.5 by onexn's library, the opset-9 export (Upsample, whose linear mode is not PyTorch's
//     interpolate) and the fp16-stored variants (float16 initializers cast to float by nodes at the
//     end of the graph): ≤ 1e-3 relative.
// ONNX Runtime itself is checked against PyTorch first (OnnxRuntimeMatchesPyTorch), so a broken
// export, input or runner shows there and not as an onexn failure.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "models/onnxruntime_oracle.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/npy.hpp"
#include "onexn/session.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

constexpr double kPyTorchTolerance = 1e-4;
constexpr double kOnnxRuntimeTolerance = 1e-3;

fs::path models() { return ONEXN_SEGMENTATION_MODELS_DIR; }

std::string test_name() {
  std::string n = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : n)
    if (c == '/') c = '_';
  return n;
}

// The model's input as exported: MODEL.input.npy holds the graph input "input".
FloatTensor model_input(const std::string& model) {
  FloatTensor x = read_npy(models() / (model + ".input.npy"));
  x.name = "input";
  return x;
}

// PyTorch's outputs, one MODEL.output.NAME.npy per graph output, in the session's output order.
std::vector<FloatTensor> pytorch_outputs(const std::string& model, const Session& session) {
  std::vector<FloatTensor> out;
  for (const TensorInfo& info : session.outputs()) {
    FloatTensor t = read_npy(models() / (model + ".output." + info.name + ".npy"));
    t.name = info.name;
    out.push_back(std::move(t));
  }
  return out;
}

// Loading with the cost model instead of timing every candidate kernel keeps these big models'
// load time short; one thread: ctest runs the cases in parallel.
Session load_onexn(const fs::path& path) {
  SessionOptions options;
  options.threads = 1;
  options.tune = false;
  return Session::load(path, options);
}

// One scratch directory per test, made empty on the test's first call.
fs::path scratch() {
  static std::map<std::string, fs::path> dirs;
  const std::string name = test_name();
  auto it = dirs.find(name);
  if (it == dirs.end()) it = dirs.emplace(name, test::scratch_dir(name)).first;
  return it->second;
}

std::vector<FloatTensor> onnxruntime_outputs(const fs::path& model_file, const std::string& model) {
  return test::run_onnxruntime(model_file, {{"input", models() / (model + ".input.npy")}},
                               scratch() / "onnxruntime");
}

// Prunes with the library as `onexn prune --pattern 1x4 --sparsity 0.5` does (rearrangement
// across the graph first) and writes the pruned model into the test's scratch directory.
fs::path prune_1x4(const std::string& model) {
  OnnxModel m = OnnxModel::load(models() / (model + ".onnx"));
  PruneOptions options;
  options.pattern = Pattern::parse("1x4");
  options.sparsity = 0.5;
  options.rearrange = RearrangeMode::graph;
  const PruneResult result = prune_model(m, options);
  EXPECT_GT(result.pruned_layers, 0) << model;
  const fs::path path = scratch() / (model + "-1x4-p0.5.onnx");
  m.save(path);
  return path;
}

void expect_pruned_matches_onnxruntime(const std::string& model) {
  const fs::path pruned = prune_1x4(model);
  const std::vector<FloatTensor> reference = onnxruntime_outputs(pruned, model);
  const Session session = load_onexn(pruned);
  test::expect_outputs_match(session.run({model_input(model)}), reference, kOnnxRuntimeTolerance,
                             model + " pruned 1x4 at 0.5 vs ONNX Runtime");
}

// Exported at opset 13 (the U-Net also at 11) and judged by PyTorch.
class PyTorchJudged : public ::testing::TestWithParam<std::string> {};

TEST_P(PyTorchJudged, OnnxRuntimeMatchesPyTorch) {
  const std::string& model = GetParam();
  const fs::path file = models() / (model + ".onnx");
  const std::vector<FloatTensor> ort = onnxruntime_outputs(file, model);
  std::vector<FloatTensor> reference;
  for (const FloatTensor& t : ort) {
    FloatTensor ref = read_npy(models() / (model + ".output." + t.name + ".npy"));
    ref.name = t.name;
    reference.push_back(std::move(ref));
  }
  test::expect_outputs_match(ort, reference, kPyTorchTolerance, model + ": ONNX Runtime vs PyTorch");
}

TEST_P(PyTorchJudged, DenseMatchesPyTorch) {
  const std::string& model = GetParam();
  const Session session = load_onexn(models() / (model + ".onnx"));
  test::expect_outputs_match(session.run({model_input(model)}), pytorch_outputs(model, session),
                             kPyTorchTolerance, model + " vs PyTorch");
}

TEST_P(PyTorchJudged, Pruned1x4MatchesOnnxRuntime) { expect_pruned_matches_onnxruntime(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Segmentation, PyTorchJudged,
                         ::testing::Values("fcn_resnet50", "deeplabv3_mobilenet_v3_large",
                                           "lraspp_mobilenet_v3_large", "unet", "unet_opset11"),
                         [](const auto& info) { return info.param; });

// Forms PyTorch does not judge: ONNX Runtime on the same file is the reference.
class OnnxRuntimeJudged : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxRuntimeJudged, DenseMatchesOnnxRuntime) {
  const std::string& model = GetParam();
  const fs::path file = models() / (model + ".onnx");
  const std::vector<FloatTensor> reference = onnxruntime_outputs(file, model);
  const Session session = load_onexn(file);
  test::expect_outputs_match(session.run({model_input(model)}), reference, kOnnxRuntimeTolerance,
                             model + " vs ONNX Runtime");
}

TEST_P(OnnxRuntimeJudged, Pruned1x4MatchesOnnxRuntime) { expect_pruned_matches_onnxruntime(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Variants, OnnxRuntimeJudged,
                         ::testing::Values("unet_opset9", "unet_fp16", "deeplabv3_mobilenet_v3_large_fp16",
                                           "lraspp_mobilenet_v3_large_fp16"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace onexn
