// `onexn bench-layers`: runs a shape file through every implementation and reports rows and
// geometric-mean summaries; the timings themselves are not asserted (benchmarks are not tests).
// oneDNN is its dense baseline: a build without oneDNN lists the command and refuses it in one line.
// XNNPACK's rows are there only in builds with XNNPACK (ONEXN_HAVE_XNNPACK).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

class CliBenchLayers : public ::testing::Test {
 protected:
  void SetUp() override {
#if !ONEXN_HAVE_ONEDNN
    GTEST_SKIP() << "built without oneDNN (CliBenchLayersWithoutOneDnn checks the refusal)";
#endif
    dir_ = test::scratch_dir("cli-bench-layers");
    std::ofstream f(dir_ / "shapes.txt");
    f << "# two small layers\n"
         "mb1ic32ih12oc40oh12kh1sh1ph0n\"pw\"\n"
         "mb1ic16ih9oc24oh5kh3sh2ph1n\"kxk_s2\"\n";
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string shapes() const { return "--shapes '" + (dir_ / "shapes.txt").string() + "'"; }
  fs::path dir_;
};

TEST_F(CliBenchLayers, JsonRowsAndSummariesCarryTheRequiredFields) {
  const auto r = test::run_cli("bench-layers " + shapes() +
                               " --pattern 1x4,1x16 --sparsity 0.5,0.9 --threads 1,2 --runs 10 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int rows = 0, summaries = 0, xnnpack_rows = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("summary")) {
      ++summaries;
      EXPECT_GT(j.at("geomean_speedup_vs_dense").get<double>(), 0.0);
      continue;
    }
    ++rows;
    for (const char* key : {"shape", "n", "sparsity", "threads", "dense_ms", "sparse_ms", "csr_ms",
                            "speedup_vs_dense", "fraction_of_ideal"}) {
      EXPECT_TRUE(j.contains(key)) << key << " missing in " << line;
    }
    const double p = j.at("sparsity").get<double>();
    EXPECT_NEAR(j.at("fraction_of_ideal").get<double>(),
                j.at("speedup_vs_dense").get<double>() * (1.0 - p), 1e-9);
    EXPECT_LT(j.at("max_error").get<double>(), 1e-4) << line;
    xnnpack_rows += !j.at("xnnpack_ms").is_null();
  }
  EXPECT_EQ(rows, 2 * 2 * 2 * 2);      // shapes x N x p x threads
  EXPECT_EQ(summaries, 2 * 2 * 2);     // N x p x threads
#if ONEXN_HAVE_XNNPACK
  EXPECT_EQ(xnnpack_rows, 2 * 2 * 2);  // the 1x1 shape only
#else
  EXPECT_EQ(xnnpack_rows, 0);
#endif
}

TEST_F(CliBenchLayers, TableEndsWithGeometricMeans) {
  const auto r = test::run_cli("bench-layers " + shapes() + " --pattern 1x8 --sparsity 0.7 --runs 10");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("kxk_s2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("summary 1x8 p=0.7 threads=1: speedup vs oneDNN"), std::string::npos) << r.out;
}

#if defined(__x86_64__)
// ONEXN_MAX_ISA=avx2 runs the AVX2 code of both our kernels and oneDNN's on a CPU with more.
TEST_F(CliBenchLayers, MaxIsaCapsOurKernelsAndOneDnn) {
  const auto r = test::run_cli_env("ONEXN_MAX_ISA=avx2", "bench-layers " + shapes() +
                                   " --pattern 1x16 --sparsity 0.5 --runs 10 --no-xnnpack --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("summary")) continue;
    ++rows;
    EXPECT_NE(j.at("sparse_kernel").get<std::string>().find(" AVX2 "), std::string::npos) << line;
    EXPECT_NE(j.at("csr_kernel").get<std::string>().find(" AVX2 "), std::string::npos) << line;
    const std::string dense = j.at("dense_impl").get<std::string>();
    EXPECT_EQ(dense.find("avx512"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 2);
}

TEST_F(CliBenchLayers, UnknownMaxIsaIsAUsageError) {
  const auto r = test::run_cli_env("ONEXN_MAX_ISA=avx9", "bench-layers " + shapes() + " --runs 10");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ONEXN_MAX_ISA: unknown vector ISA 'avx9'"), std::string::npos) << r.err;
}
#endif

TEST_F(CliBenchLayers, BadArgumentsAreOneLineErrors) {
  const std::pair<std::string, int> cases[] = {
      {"bench-layers", 2},
      {"bench-layers --shapes '" + (dir_ / "missing.txt").string() + "'", 1},
      {"bench-layers " + shapes() + " --pattern unstructured", 2},
      {"bench-layers " + shapes() + " --pattern 1x3", 2},
      {"bench-layers " + shapes() + " --sparsity 1", 2},
      {"bench-layers " + shapes() + " --sparsity 0.5,x", 2},
      {"bench-layers " + shapes() + " --threads 0", 2},
      {"bench-layers " + shapes() + " --runs 3", 2},
  };
  for (const auto& [args, code] : cases) {
    const auto r = test::run_cli(args);
    EXPECT_EQ(r.exit_code, code) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  }
}

#if !ONEXN_HAVE_ONEDNN
TEST(CliBenchLayersWithoutOneDnn, IsListedAndRefusedInOneLine) {
  EXPECT_NE(test::run_cli("--help").out.find("bench-layers"), std::string::npos);
  const auto r = test::run_cli("bench-layers --runs 10");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("without oneDNN"), std::string::npos) << r.err;
}
#endif

}  // namespace
}  // namespace onexn
