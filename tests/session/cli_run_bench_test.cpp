// `onexn run`, `onexn bench` and the README's example program, end to end.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

std::string model(const std::string& name) {
  return "'" + (fs::path(ONEXN_RUNTIME_MODELS_DIR) / (name + ".onnx")).string() + "'";
}

TEST(CliRun, PrintsTopFiveForAGivenInput) {
  const std::string in = (fs::path(ONEXN_RUNTIME_MODELS_DIR) / "resnet18-pruned.input.pb").string();
  const auto r = test::run_cli("run " + model("resnet18-pruned") + " --input '" + in + "' --no-tune");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("top-5: "), std::string::npos) << r.out;
}

TEST(CliRun, RandomInputBatchAndDense) {
  const auto r = test::run_cli("run " + model("mobilenet_v2-pruned") + " --batch 2 --dense --threads 2 --no-tune");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("image 0: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("image 1: "), std::string::npos) << r.out;
}

TEST(CliRun, BadInputsAreOneLineErrors) {
  const auto dir = test::scratch_dir("cli-run");
  const std::pair<std::string, int> cases[] = {
      {"run '" + (dir / "missing.onnx").string() + "'", 1},
      {"run " + model("resnet18") + " --input '" + (dir / "x.txt").string() + "'", 2},
      {"run " + model("resnet18") + " --input '" + (dir / "missing.pb").string() + "'", 1},
      {"run " + model("resnet18") + " --threads 0", 2},
      {"run " + model("resnet18") + " --input " + "'" +
           (fs::path(ONEXN_RUNTIME_MODELS_DIR) / "mobilenet_v3_small.output.pb").string() + "' --no-tune", 2},
  };
  for (const auto& [args, code] : cases) {
    const auto r = test::run_cli(args);
    EXPECT_EQ(r.exit_code, code) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  }
  fs::remove_all(dir);
}

TEST(CliBench, JsonSummaryHasTheRequiredFields) {
  const auto r = test::run_cli("bench " + model("mobilenet_v3_small-pruned") + " --runs 20 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line, last;
  int layers = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("layer")) {
      ++layers;
      EXPECT_TRUE(j.contains("kernel") && j.contains("sparse_ms") && j.contains("dense_ms")) << line;
    }
    last = line;
  }
  EXPECT_GT(layers, 50);
  const auto s = nlohmann::json::parse(last);
  for (const char* key : {"model", "threads", "batch", "dense_ms", "sparse_ms", "speedup"}) {
    EXPECT_TRUE(s.contains(key)) << key << " missing: " << last;
  }
  EXPECT_GT(s.at("speedup").get<double>(), 0.0);
}

TEST(Example, ClassifyRunsOnResNet18) {
  const auto r = test::run_command("'" + std::string(ONEXN_EXAMPLE_PATH) + "' " + model("resnet18"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("class "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace onexn
