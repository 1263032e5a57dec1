// `onexn prune` and `onexn inspect` end to end on torchvision exports: exact 1xN structure at the
// requested sparsity, untouched layers bit-identical, output accepted by Python's onnx.checker.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <sstream>

#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"
#include "support/structure_checks.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

class CliPrune : public ::testing::TestWithParam<std::tuple<std::string, int, double>> {};

TEST_P(CliPrune, WritesExact1xNModelThatOnnxCheckerAccepts) {
  const auto& [name, n, p] = GetParam();
  const fs::path dir = test::scratch_dir("cli-prune-" + name + std::to_string(n));
  const fs::path in = test::models_dir() / (name + ".onnx");
  const fs::path out = dir / "pruned.onnx";
  std::ostringstream args;
  // Without rearrangement the mask is taken on the weights as they are (compared below).
  args << "prune '" << in.string() << "' -o '" << out.string() << "' --pattern 1x" << n
       << " --sparsity " << p << " --rearrange none";
  const auto r = test::run_cli(args.str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("pruned "), std::string::npos) << r.out;

  const OnnxModel original = OnnxModel::load(in);
  const OnnxModel pruned = OnnxModel::load(out);
  ASSERT_EQ(original.weighted_layers().size(), pruned.weighted_layers().size());
  for (const WeightedLayer& layer : pruned.weighted_layers()) {
    const auto before = original.read_weights(layer);
    const auto after = pruned.read_weights(layer);
    if (in_default_layer_set(layer.kind, false)) {
      test::expect_exact_1xn(before, after, layer.shape, n, p, layer.node_name);
    } else {
      EXPECT_EQ(std::memcmp(before.data(), after.data(), before.size() * 4), 0) << layer.node_name;
    }
  }
  const auto check = test::run_command("/usr/bin/python3 '" +
                                       (test::source_dir() / "scripts/onnx-check.py").string() +
                                       "' '" + out.string() + "'");
  EXPECT_EQ(check.exit_code, 0) << check.err;
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Torchvision, CliPrune,
                         ::testing::Values(std::make_tuple("resnet18", 4, 0.5),
                                           std::make_tuple("resnet18", 16, 0.7),
                                           std::make_tuple("mobilenet_v2", 4, 0.5),
                                           std::make_tuple("mobilenet_v2", 16, 0.7),
                                           std::make_tuple("mobilenet_v2", 2, 0.9)));

// The default, --rearrange graph: the output is the exact 1xN pruning of the permuted weights
// (written by --save-rearranged), and the report says what rearrangement kept.
class CliPruneRearranged : public ::testing::TestWithParam<std::tuple<std::string, int, double>> {};

TEST_P(CliPruneRearranged, IsExact1xNOfThePermutedWeightsAndReportsKeptL1) {
  const auto& [name, n, p] = GetParam();
  const fs::path dir = test::scratch_dir("cli-prune-rearranged-" + name);
  const fs::path in = test::models_dir() / (name + ".onnx");
  const fs::path permuted = dir / "permuted.onnx", out = dir / "pruned.onnx", report = dir / "report.json";
  const std::string pattern = " --pattern 1x" + std::to_string(n);
  std::ostringstream sp;
  sp << p;
  const auto r = test::run_cli("prune '" + in.string() + "' -o '" + out.string() + "'" + pattern + " --sparsity " +
                               sp.str() + " --report '" + report.string() + "' --save-rearranged '" +
                               permuted.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("with graph rearrangement"), std::string::npos) << r.out;

  const OnnxModel original = OnnxModel::load(in);
  const OnnxModel before = OnnxModel::load(permuted);
  const OnnxModel after = OnnxModel::load(out);
  int changed = 0;
  for (const WeightedLayer& layer : after.weighted_layers()) {
    changed += original.read_weights(layer) != before.read_weights(layer);
    if (in_default_layer_set(layer.kind, false)) {
      test::expect_exact_1xn(before.read_weights(layer), after.read_weights(layer), layer.shape, n, p,
                             layer.node_name);
    }
  }
  EXPECT_GT(changed, 0) << "rearrangement changed no weights";

  std::ifstream f(report);
  const auto j = nlohmann::json::parse(f);
  EXPECT_EQ(j.at("rearrange"), "graph");
  EXPECT_EQ(j.at("pattern"), "1x" + std::to_string(n));
  int pruned = 0;
  for (const auto& l : after.weighted_layers()) pruned += in_default_layer_set(l.kind, false);
  ASSERT_EQ(j.at("layers").size(), static_cast<size_t>(pruned));
  for (const auto& l : j.at("layers")) {
    EXPECT_GT(l.at("l1_kept").get<double>(), 0.0);
    EXPECT_LE(l.at("l1_kept").get<double>(), 1.0);
    EXPECT_GT(l.at("l1_kept_without_rearrangement").get<double>(), 0.0);
  }
  int permuted_sets = 0;
  for (const auto& s : j.at("channel_sets")) permuted_sets += s.at("permuted").get<bool>();
  EXPECT_GT(permuted_sets, 0);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Torchvision, CliPruneRearranged,
                         ::testing::Values(std::make_tuple("resnet18", 16, 0.7),
                                           std::make_tuple("mobilenet_v2", 4, 0.5)));

TEST(CliPrune, RecipeAndBadRecipe) {
  const fs::path dir = test::scratch_dir("cli-prune-recipe");
  const fs::path in = test::models_dir() / "resnet18.onnx";
  const fs::path recipe = dir / "recipe.json", out = dir / "out.onnx";
  std::ofstream(recipe) << R"({"pattern": "1x16", "sparsity": 0.7, "rearrange": "paper",
      "rules": [{"match": "^/layer1/", "pattern": "1x8", "sparsity": 0.5}, {"match": "layer4", "skip": true}]})";
  auto r = test::run_cli("prune '" + in.string() + "' -o '" + out.string() + "' --recipe '" + recipe.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("with paper rearrangement"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(2 recipe rules)"), std::string::npos) << r.out;
  const OnnxModel pruned = OnnxModel::load(out);
  for (const WeightedLayer& layer : pruned.weighted_layers()) {
    if (!in_default_layer_set(layer.kind, false)) continue;
    const auto w = pruned.read_weights(layer);
    const double zeros = static_cast<double>(std::count(w.begin(), w.end(), 0.0f)) / w.size();
    if (layer.node_name.find("/layer1/") == 0) {
      EXPECT_NEAR(zeros, 0.5, 0.02) << layer.node_name;
    } else if (layer.node_name.find("layer4") != std::string::npos) {
      EXPECT_EQ(zeros, 0.0) << layer.node_name;
    } else {
      EXPECT_NEAR(zeros, 0.7, 0.02) << layer.node_name;
    }
  }
  std::ofstream(recipe) << R"({"sparsity": 0.7, "rules": [{"match": "layer1", "sparsity": 1.2}]})";
  r = test::run_cli("prune '" + in.string() + "' -o '" + out.string() + "' --recipe '" + recipe.string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("rules[0]"), std::string::npos) << r.err;
  r = test::run_cli("prune '" + in.string() + "' -o '" + out.string() + "' --rearrange sideways");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("sideways"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(CliInspect, JsonLinesDescribeEveryLayer) {
  const auto r = test::run_cli("inspect --json '" + (test::models_dir() / "mobilenet_v2.onnx").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int rows = 0, depthwise = 0, default_pruned = 0;
  bool runtime_line = false;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("unsupported_nodes")) {  // the last line: what onexn run could not run
      runtime_line = true;
      EXPECT_TRUE(j.at("unsupported_nodes").empty()) << line;
      continue;
    }
    ++rows;
    depthwise += j.at("kind") == "depthwise";
    default_pruned += j.at("default_prunes").get<bool>();
    EXPECT_EQ(j.at("sparsity").get<double>(), 0.0);
    EXPECT_EQ(j.at("block_fill").at("16").get<double>(), 1.0);
    EXPECT_EQ(j.at("shape").size(), 4u);
  }
  EXPECT_TRUE(runtime_line);
  EXPECT_EQ(rows, 53);  // 52 convs and the classifier
  EXPECT_EQ(depthwise, 17);
  EXPECT_EQ(default_pruned, 34);
}

TEST(CliInspect, TableShowsKindsAndTheDefaultSet) {
  const auto r = test::run_cli("inspect '" + (test::models_dir() / "resnet18.onnx").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("/conv1/Conv"), std::string::npos);
  EXPECT_NE(r.out.find("first"), std::string::npos);
  EXPECT_NE(r.out.find("fill16"), std::string::npos);
  EXPECT_NE(r.out.find("19 layers marked 'default'"), std::string::npos) << r.out;
}

TEST(CliInspect, ListsEveryNodeTheRuntimeCannotRun) {
  // A model with two nodes of ops onexn does not have: both are named, at once.
  const fs::path dir = test::scratch_dir("cli-inspect-unsupported");
  const std::string script =
      "import onnx\nfrom onnx import helper, TensorProto\n"
      "x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 4])\n"
      "y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 4])\n"
      "nodes = [helper.make_node('Cos', ['x'], ['a'], name='cos_1'), helper.make_node('Relu', ['a'], ['b'], name='relu'),"
      " helper.make_node('Sin', ['b'], ['y'], name='sin_2')]\n"
      "m = helper.make_model(helper.make_graph(nodes, 'g', [x], [y]), opset_imports=[helper.make_opsetid('', 13)])\n"
      "onnx.save(m, '" + (dir / "unsupported.onnx").string() + "')\n";
  {
    std::ofstream(dir / "make.py") << script;
  }
  const auto made = test::run_command("/usr/bin/python3 '" + (dir / "make.py").string() + "'");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto r = test::run_cli("inspect '" + (dir / "unsupported.onnx").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 node(s) onexn run does not support"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("node 'cos_1' (Cos)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("node 'sin_2' (Sin)"), std::string::npos) << r.out;
  const auto run = test::run_cli("run '" + (dir / "unsupported.onnx").string() + "'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("2 nodes with an op onexn does not support; the first: node 'cos_1' (Cos)"),
            std::string::npos) << run.err;
  fs::remove_all(dir);
}

TEST(CliPruneOptions, NofMWithoutSparsityAndFullWithExclude) {
  const fs::path dir = test::scratch_dir("cli-prune-options");
  const std::string in = "'" + (test::models_dir() / "resnet18.onnx").string() + "'";
  const std::string out = "'" + (dir / "out.onnx").string() + "'";
  auto r = test::run_cli("prune " + in + " -o " + out + " --pattern 2:4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.at("pruned").get<bool>()) {
      EXPECT_NEAR(j.at("sparsity").get<double>(), 0.5, 1e-9) << line;
    }
  }
  r = test::run_cli("prune " + in + " -o " + out + " --full --exclude layer --pattern filter --sparsity 0.25");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pruned 1 layers"), std::string::npos) << r.out;  // only the classifier
  fs::remove_all(dir);
}

}  // namespace
}  // namespace onexn
