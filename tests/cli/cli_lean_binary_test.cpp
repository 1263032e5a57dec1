// The lean onexn: no LibTorch among its libraries, and `onexn train` reaching the training
// executable beside it, or failing with one line when it is not there.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

TEST(CliLeanBinary, LinksNoLibTorch) {
  const auto r = test::run_command("ldd '" + test::cli_path().string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("libonexn-runtime.so"), std::string::npos) << r.out;
  for (const char* lib : {"libtorch", "libc10", "libonexn-train"})
    EXPECT_EQ(r.out.find(lib), std::string::npos) << lib << " in\n" << r.out;
}

TEST(CliLeanBinary, HelpListsTrain) {
  const auto r = test::run_cli("--help");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("train"), std::string::npos) << r.out;
}

TEST(CliLeanBinary, TrainRunsTheTrainingExecutableBesideIt) {
  if (!fs::exists(test::cli_path().parent_path() / "onexn-train")) GTEST_SKIP() << "built without training";
  const auto r = test::run_cli("train --help");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--dense-epochs"), std::string::npos) << r.out;
  // A usage error inside onexn-train keeps onexn's exit code and error line.
  const auto bad = test::run_cli("train --no-such-option");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_EQ(bad.err.rfind("onexn: ", 0), 0u) << bad.err;
}

TEST(CliLeanBinary, TrainWithoutTheTrainingExecutableIsOneClearLine) {
  // A copy of onexn alone in a folder (the build tree's RUNPATH still finds its libraries).
  const fs::path dir = test::scratch_dir("cli-lean-binary");
  fs::copy_file(test::cli_path(), dir / "onexn", fs::copy_options::overwrite_existing);
  const auto r = test::run_command("'" + (dir / "onexn").string() + "' train --epochs 1 --out " +
                                   (dir / "out").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err.rfind("onexn: train: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find((dir / "onexn-train").string()), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace onexn
