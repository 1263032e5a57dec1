#include "models/onnxruntime_oracle.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "onexn/npy.hpp"
#include "support/test_support.hpp"

namespace onexn::test {
namespace {

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::vector<FloatTensor> run_onnxruntime(const std::filesystem::path& model, const std::vector<OrtInput>& inputs,
                                         const std::filesystem::path& out_dir, int threads) {
  std::string command = quoted(ONEXN_NODE_PATH) + " " + quoted(ONEXN_ORT_RUNNER) + " " + quoted(model.string());
  for (const OrtInput& in : inputs) command += " " + quoted(in.name + "=" + in.file.string());
  command += " --out " + quoted(out_dir.string()) + " --threads " + std::to_string(threads);
  const CommandResult r = run_command(command);
  if (r.exit_code != 0) {
    throw std::runtime_error("ONNX Runtime failed (exit " + std::to_string(r.exit_code) + "): " + command +
                             "\n" + r.err);
  }
  std::ifstream manifest_file(out_dir / "outputs.json");
  if (!manifest_file) throw std::runtime_error("ONNX Runtime wrote no " + (out_dir / "outputs.json").string());
  const nlohmann::json manifest = nlohmann::json::parse(manifest_file);
  std::vector<FloatTensor> out;
  for (const auto& entry : manifest) {
    FloatTensor t = read_npy(out_dir / entry.at("file").get<std::string>());
    t.name = entry.at("name").get<std::string>();
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<double> expect_outputs_match(const std::vector<FloatTensor>& ours,
                                         const std::vector<FloatTensor>& reference, double tolerance,
                                         const std::string& what) {
  std::vector<double> errors;
  EXPECT_EQ(ours.size(), reference.size()) << what << ": number of outputs";
  for (size_t k = 0; k < std::min(ours.size(), reference.size()); ++k) {
    const FloatTensor& a = ours[k];
    const FloatTensor& b = reference[k];
    EXPECT_EQ(a.name, b.name) << what << ": output " << k;
    EXPECT_EQ(a.dims, b.dims) << what << ": output '" << b.name << "'";
    const double err = max_relative_error(a.data, b.data);
    EXPECT_LE(err, tolerance) << what << ": output '" << b.name << "', max |ours - ref| / max |ref|";
    std::cout << what << ": output '" << b.name << "' relative error " << err << "\n";
    errors.push_back(err);
  }
  return errors;
}

}  // namespace onexn::test
