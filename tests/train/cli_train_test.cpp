// `onexn train` end to end: the smoke run CI does, its files, onexn eval's runtime accuracy of the
// exported model against the LibTorch accuracy in metrics.json (the issue's +-0.05%), and the
// one-line errors with their exit codes.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

int line_count(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

double eval_accuracy(const fs::path& model) {
  const test::CommandResult r = test::run_cli("eval '" + model.string() + "' --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return -1;
  return nlohmann::json::parse(r.out).at("accuracy").get<double>();
}

TEST(CliTrain, SmokeRunWritesItsFilesAndEvalAgrees) {
  const fs::path dir = test::scratch_dir("cli-train");
  const auto start = std::chrono::steady_clock::now();
  const test::CommandResult r = test::run_cli(
      "train --model resnet20 --pattern 1x4 --sparsity 0.5 --dense-epochs 1 --epochs 1 "
      "--train-limit 256 "
      "--width 0.5 --out '" +
      dir.string() + "'");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_LT(seconds, 30.0);
  // Not a terminal: plain lines, one per epoch, no carriage returns.
  EXPECT_EQ(r.out.find('\r'), std::string::npos);
  EXPECT_NE(r.out.find("dense    epoch   1/1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("finetune epoch   1/1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("test accuracy"), std::string::npos) << r.out;
  for (const char* file :
       {"checkpoint.pt", "dense.pt", "model.onnx", "model-folded.onnx", "metrics.json"}) {
    EXPECT_TRUE(fs::exists(dir / file)) << file;
  }

  std::ifstream in(dir / "metrics.json");
  const nlohmann::json m = nlohmann::json::parse(in);
  EXPECT_EQ(m["options"]["model"], "resnet20");
  EXPECT_EQ(m["options"]["pattern"], "1x4");
  EXPECT_EQ(m["options"]["rearrange"], "graph");
  EXPECT_EQ(m["test"]["images"], 10000);
  const double torch_accuracy = m["test"]["accuracy"].get<double>();

  // The check: the runtime's accuracy on the exported model equals LibTorch's to 0.05%.
  EXPECT_NEAR(eval_accuracy(dir / "model.onnx"), torch_accuracy, 0.0005);
  EXPECT_NEAR(eval_accuracy(dir / "model-folded.onnx"), torch_accuracy, 0.0005);
}

struct BadCase {
  std::string args;
  int exit_code;
  std::string message;
};

TEST(CliTrain, BadInputIsOneLineAndTheRightExitCode) {
  const fs::path dir = test::scratch_dir("cli-train-bad");
  const std::string out = " --out '" + dir.string() + "'";
  const BadCase cases[] = {
      {"train --model vgg16" + out, 2, "unknown model 'vgg16'"},
      {"train --pattern 1x3" + out, 2, "1x3"},
      {"train --sparsity 1.5" + out, 2, "1.5"},
      {"train --schedule sometimes" + out, 2, "unknown schedule"},
      {"train --rearrange sideways" + out, 2, "sideways"},
      {"train --model resnet20", 2, "--out"},
      {"train --train-limit 64 --out /proc/onexn-no", 1, "/proc/onexn-no"},
      {"train --resume --train-limit 64" + out, 1, "checkpoint.pt"},
  };
  for (const BadCase& c : cases) {
    const test::CommandResult r = test::run_cli(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args << "\n" << r.err;
    EXPECT_EQ(line_count(r.err), 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
  // A missing data set names the package to install.
  const test::CommandResult r = test::run_command("ONEXN_FASHION_MNIST_DIR=/nonexistent '" +
                                                  test::cli_path().string() + "' train" + out);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("apt-get install dataset-fashion-mnist"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace onexn
