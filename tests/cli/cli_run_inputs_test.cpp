// `onexn run` / `onexn bench` with named inputs and shapes, models with symbolic dimensions and
// several inputs and outputs (scripts/export-dynamic-shape-models.py): --shape, --input NAME=FILE,
// --output DIR/ (one .npy per output, int64 / bool in their own dtype), the summary line of
// outputs that are not class scores, and the usage errors (exit 2, one line on stderr).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "onexn/file_io.hpp"
#include "onexn/npy.hpp"
#include "onexn/tensor_file.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

fs::path dir() { return ONEXN_DYNAMIC_MODELS_DIR; }
std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }
std::string dynconv() { return quoted(dir() / "dynconv.onnx"); }
std::string int_io() { return quoted(dir() / "int-io.onnx"); }
std::string int_io_inputs() {
  return " --input x=" + quoted(dir() / "int-io.x.npy") +
         " --input ids=" + quoted(dir() / "int-io.ids.npy") +
         " --input mask=" + quoted(dir() / "int-io.mask.npy");
}

TEST(CliRunInputs, ShapeSetsSymbolicDimensionsAndOtherOutputsAreSummarized) {
  auto r = test::run_cli("run " + dynconv() + " --shape images=1,3,40,40 --no-tune");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // features [1, 24, 40/4, 40/4] is no class vector: one summary line; logits get the top-5.
  EXPECT_NE(r.out.find("output 'features' [1, 24, 10, 10] float32: min 0, max "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(", mean "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("output 'logits' [1, 10]\ntop-5: "), std::string::npos) << r.out;
  // Without NAME= on a single-input model; its batch of 2 prints a top-5 per image.
  r = test::run_cli("run " + dynconv() + " --shape 2,3,24,32 --no-tune");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("output 'features' [2, 24, 6, 8] float32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("image 1: "), std::string::npos) << r.out;
}

TEST(CliRunInputs, NamedInputFileAndOutputDirectoryMatchPyTorch) {
  const fs::path out =
      test::scratch_dir("cli-run-out") / "results";  // created by run: trailing '/'
  const auto r =
      test::run_cli("run " + dynconv() + " --input images=" + quoted(dir() / "dynconv.in1.pb") +
                    " --output '" + out.string() + "/' --no-tune --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote '" + (out / "features.npy").string() + "'"), std::string::npos)
      << r.out;
  for (const char* name : {"features", "logits"}) {
    const Tensor ours = read_npy(out / (std::string(name) + ".npy"));
    const Tensor ref = read_tensor_pb(dir() / ("dynconv.out1." + std::string(name) + ".pb"));
    EXPECT_EQ(ours.dims, ref.dims) << name;
    EXPECT_LE(test::max_relative_error(ours.data, ref.data), 1e-4) << name;
  }
  // --output FILE.npy keeps writing the first output only.
  const auto one =
      test::run_cli("run " + dynconv() + " --input " + quoted(dir() / "dynconv.in0.pb") +
                    " --output " + quoted(out / "first.npy") + " --no-tune");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const Tensor first = read_npy(out / "first.npy");
  EXPECT_EQ(first.dims, (std::vector<int64_t>{1, 24, 8, 12}));
  EXPECT_LE(
      test::max_relative_error(first.data, read_tensor_pb(dir() / "dynconv.out0.features.pb").data),
      1e-4);
  fs::remove_all(out.parent_path());
}

TEST(CliRunInputs, Int64AndBoolOutputsAreWrittenInTheirOwnDtype) {
  const fs::path out = test::scratch_dir("cli-run-int");  // exists: a directory without '/' too
  const auto r = test::run_cli("run " + int_io() + int_io_inputs() + " --output '" + out.string() +
                               "' --no-tune");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("output 'ids_cat' [13, 4] int64: min "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("output 'out/mask:0' [2, 3] bool: min 0, max 1, mean 0.5"),
            std::string::npos)
      << r.out;
  // numpy's own outputs: ids_cat as '<i8', the mask as '|b1'; the output name made file-safe.
  const auto ids = read_file(out / "ids_cat.npy");
  EXPECT_NE(std::string(ids.begin(), ids.begin() + 64).find("'descr': '<i8'"), std::string::npos);
  EXPECT_EQ(ids, read_file(dir() / "int-io.ids_cat.npy"));
  EXPECT_EQ(read_file(out / "out_mask_0.npy"), read_file(dir() / "int-io.mask_out.npy"));
  EXPECT_EQ(read_npy(out / "scaled.npy").data, read_npy(dir() / "int-io.scaled.npy").data);
  fs::remove_all(out);
}

TEST(CliRunInputs, InputsNotGivenGetRandomValuesOfTheirShape) {
  // Only x from a file; ids and mask get zeros of their shape.
  const auto r = test::run_cli("run " + int_io() + " --input x=" + quoted(dir() / "int-io.x.npy") +
                               " --no-tune");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("output 'ids_cat' [13, 4] int64: min 0, max 10"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("output 'out/mask:0' [2, 3] bool: min 0, max 0, mean 0"), std::string::npos)
      << r.out;
}

TEST(CliRunInputs, UsageErrorsExitWith2OnOneLine) {
  const std::string pb = quoted(dir() / "dynconv.in0.pb");
  const std::pair<std::string, std::string> cases[] = {
      {"run " + dynconv() + " --no-tune",
       "input 'images' has shape [-1, 3, -1, -1] with dimension 2 symbolic; "
       "give its size with --shape images=D,D,..."},
      {"run " + dynconv() + " --shape images=1,3,x,4",
       "--shape 'images=1,3,x,4': expected [NAME=]D,D,..."},
      {"run " + dynconv() + " --shape 1,3,0,4", "every size an integer >= 1"},
      {"run " + dynconv() + " --shape =1,3,8,8", "the name before '=' is empty"},
      {"run " + dynconv() + " --shape pictures=1,3,8,8",
       "the model has no input 'pictures' (its inputs: 'images')"},
      {"run " + dynconv() + " --shape images=1,4,32,32 --no-tune",
       // the batch comes from the shape given, as --batch would set it
       "input 'images' has shape [1, 4, 32, 32], expected [1, 3, -1, -1]: dimension 1 is 4, not 3"},
      {"run " + dynconv() + " --shape 1,3,8,8 --shape images=1,3,8,8",
       "input 'images' given twice"},
      {"run " + dynconv() + " --input pictures=" + pb, "--input 'pictures="},
      {"run " + dynconv() + " --input " + pb + " --shape images=1,3,8,8",
       "input 'images': --shape says [1, 3, 8, 8], the --input file holds [1, 3, 32, 48]"},
      {"run " + dynconv() + " --input images=" + quoted(dir() / "dynconv.onnx"),
       "expected a .npy or .pb file"},
      {"run " + int_io() + " --input " + quoted(dir() / "int-io.ids_cat.npy"),
       "the model has 3 inputs ('x', 'ids', 'mask'); say which: --input NAME="},
      {"run " + int_io() + " --input ids=" + quoted(dir() / "int-io.x.npy"),
       "input 'ids' has element type float32, the model takes int64"},
      {"bench " + dynconv() + " --runs 20", "dimension 2 symbolic"},
      {"bench " + dynconv() + " --shape 1,3",
       "input 'images' has shape [1, 3], expected [1, 3, -1, -1] (rank 4"},
  };
  for (const auto& [args, mentions] : cases) {
    const auto r = test::run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(mentions), std::string::npos) << args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << args << "\n" << r.out;
  }
  // A file that is not there is a failure, not a usage error.
  const auto missing =
      test::run_cli("run " + dynconv() + " --input images=" + quoted(dir() / "missing.npy"));
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
}

TEST(CliBenchInputs, ShapeGivesTheSizeToBenchmark) {
  const auto r = test::run_cli("bench " + dynconv() + " --shape images=2,3,16,16 --runs 20 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line, last;
  int layers = 0;
  while (std::getline(lines, line)) {
    layers += nlohmann::json::parse(line).contains("layer");
    last = line;
  }
  EXPECT_GE(layers, 6);  // 5 convs (activations fused), pools, the classifier
  const auto s = nlohmann::json::parse(last);
  EXPECT_EQ(s.at("batch").get<int>(), 2);
  EXPECT_GT(s.at("peak_activation_bytes").get<int64_t>(), 0);
}

}  // namespace
}  // namespace onexn
