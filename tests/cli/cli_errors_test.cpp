// The CLI's answer to bad input: one line on stderr naming the problem, exit code 1 (failure) or
// 2 (usage), nothing on stdout, and no output file written or changed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "onexn/file_io.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string args;      // after "onexn"
  int exit_code;         // expected
  std::string mentions;  // the error line must contain this
};

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir("cli-errors");
    model_ = (test::models_dir() / "resnet18.onnx").string();
    write_file_atomically(dir_ / "text.onnx", std::string_view("hello, not a model\n"));
    const auto bytes = read_file(model_);
    write_file_atomically(dir_ / "truncated.onnx",
                          std::span<const uint8_t>(bytes.data(), bytes.size() / 3));
    write_file_atomically(dir_ / "out.onnx", std::string_view("previous content"));
    fs::create_directories(dir_ / "a-directory.onnx");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void expect_failure(const Case& c) {
    const auto r = test::run_cli(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args << "\nstderr: " << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args << "\nstdout: " << r.out;
    ASSERT_FALSE(r.err.empty()) << c.args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.args << "\nstderr: " << r.err;
    EXPECT_EQ(r.err.rfind("onexn: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.mentions), std::string::npos) << c.args << "\nstderr: " << r.err;
    // The pre-existing output is untouched and no temporary file is left behind.
    EXPECT_EQ(read_file(dir_ / "out.onnx").size(), std::string("previous content").size());
    int entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++entries;
    EXPECT_EQ(entries, 4) << "a file appeared in " << dir_ << " after: " << c.args;
  }

  std::string in(const std::string& name) const { return "'" + (dir_ / name).string() + "'"; }
  std::string out() const { return " -o '" + (dir_ / "out.onnx").string() + "'"; }

  fs::path dir_;
  std::string model_;
};

TEST_F(CliErrors, UsageErrorsExitWith2) {
  const std::string m = "'" + model_ + "'";
  const Case cases[] = {
      {"", 2, "no command"},
      {"frobnicate", 2, "frobnicate"},
      {"prune", 2, "model"},
      {"prune " + m + out() + " --pattern 1x3", 2, "N=3"},
      {"prune " + m + out() + " --pattern 1x64", 2, "N=64"},
      {"prune " + m + out() + " --pattern blocky", 2, "unknown pattern 'blocky'"},
      {"prune " + m + out() + " --sparsity 1", 2, "outside [0, 1)"},
      {"prune " + m + out() + " --sparsity -0.1", 2, "outside [0, 1)"},
      {"prune " + m + out() + " --sparsity nan", 2, "outside [0, 1)"},
      {"prune " + m + out() + " --sparsity half", 2, "--sparsity"},
      {"prune " + m + out() + " --pattern 2:4 --sparsity 0.3", 2, "fixes the sparsity at 0.5"},
      {"prune " + m + out() + " --layers '('", 2, "not a valid regular expression"},
      {"prune " + m + out() + " --layers no-such-layer", 2, "no layer to prune"},
      {"prune " + m + out() + " --global --pattern balanced-1x4", 2, "per layer"},
      {"prune " + m + out() + " --no-such-flag", 2, "--no-such-flag"},
  };
  for (const Case& c : cases) expect_failure(c);
}

TEST_F(CliErrors, BadFilesExitWith1) {
  const Case cases[] = {
      {"inspect " + in("missing.onnx"), 1, "missing.onnx"},
      {"inspect " + in("text.onnx"), 1, "text.onnx' is not a valid ONNX model"},
      {"inspect " + in("truncated.onnx"), 1, "truncated.onnx"},
      {"inspect " + in("a-directory.onnx"), 1, "is a directory"},
      {"prune " + in("missing.onnx") + out(), 1, "missing.onnx"},
      {"prune " + in("truncated.onnx") + out(), 1, "truncated.onnx"},
      {"prune '" + model_ + "' -o " + in("no-such-dir/x.onnx"), 1, "does not exist"},
      {"prune '" + model_ + "' -o " + in("a-directory.onnx"), 1, "is a directory"},
      {"prune '" + model_ + "' -o " + in("text.onnx/x.onnx"), 1, "does not exist"},
  };
  for (const Case& c : cases) expect_failure(c);
}

TEST(Cli, HelpAndVersionSucceed) {
  EXPECT_EQ(test::run_cli("--help").exit_code, 0);
  EXPECT_EQ(test::run_cli("prune --help").exit_code, 0);
  const auto v = test::run_cli("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("onexn"), std::string::npos);
}

}  // namespace
}  // namespace onexn
