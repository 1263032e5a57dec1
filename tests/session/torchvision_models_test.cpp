// torchvision models exported by scripts/export-torchvision.py, pruned and unpruned, with and
// without BatchNormalization nodes: onexn's outputs against PyTorch's (≤ 1e-4 relative).
#include <gtest/gtest.h>

#include <filesystem>

#include "onexn/session.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

fs::path models() { return ONEXN_RUNTIME_MODELS_DIR; }

// max |ours - ref| / max |ref|
double relative_error(const FloatTensor& ours, const FloatTensor& ref) {
  EXPECT_EQ(ours.dims, ref.dims);
  if (ours.data.size() != ref.data.size()) return INFINITY;
  return test::max_relative_error(ours.data, ref.data);
}

struct Case {
  std::string model;
  bool dense = false;
  bool tune = false;
  int threads = 1;
  std::string force;  // SessionOptions::conv_implementation
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.model << (c.dense ? " dense" : "") << (c.tune ? " tuned" : "") << " threads=" << c.threads
      << (c.force.empty() ? "" : " on " + c.force);
}

class TorchvisionModels : public ::testing::TestWithParam<Case> {};

TEST_P(TorchvisionModels, MatchPyTorch) {
  const Case& c = GetParam();
  SessionOptions options;
  options.dense = c.dense;
  options.tune = c.tune;
  options.threads = c.threads;
  options.conv_implementation = c.force;
  const Session session = Session::load(models() / (c.model + ".onnx"), options);
  FloatTensor input = read_tensor_pb(models() / (c.model + ".input.pb"));
  input.name = session.inputs().front().name;
  const FloatTensor expected = read_tensor_pb(models() / (c.model + ".output.pb"));
  const std::vector<FloatTensor> out = session.run({input});
  ASSERT_EQ(out.size(), 1u);
  const double err = relative_error(out[0], expected);
  EXPECT_LE(err, 1e-4) << c.model << (c.dense ? " dense" : "") << (c.tune ? " tuned" : "");
  std::cout << c.model << (c.dense ? " (dense)" : "") << (c.tune ? " (tuned)" : "")
            << ": relative error " << err << "\n";
  if (!c.force.empty()) {
    // Every conv runs on the forced implementation where it applies; CSR has nothing for
    // 1xN-structured layers.
    int forced = 0;
    for (const auto& l : session.layers()) forced += l.implementation == c.force;
    if (c.force == "csr") {
      EXPECT_EQ(forced, 0);
    } else {
      EXPECT_GT(forced, 0) << c.force;
    }
    return;
  }
  // Pruned models run 1xN kernels in their pruned layers unless forced dense.
  if (c.model.find("pruned") != std::string::npos) {
    int sparse_layers = 0;
    for (const auto& l : session.layers()) sparse_layers += l.block_size > 0 && l.kernel.find("sparse") != std::string::npos;
    if (c.dense) {
      EXPECT_EQ(sparse_layers, 0);
    } else {
      EXPECT_GT(sparse_layers, 0);
    }
  }
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const char* m : {"resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "resnet18_bn",
                        "mobilenet_v3_small_bn"}) {
    out.push_back({m});
    out.push_back({std::string(m) + "-pruned"});
  }
  out.push_back({"resnet18-pruned", true});
  out.push_back({"mobilenet_v3_small-pruned", false, true, 2});
  out.push_back({"resnet50-pruned", false, true, 2});
  // The whole network through each conv implementation (the reference on the smallest one).
  // (oneDNN's entries only where it is built: without it they decline every layer.)
  std::vector<const char*> implementations = {"sparse", "csr", "ours-dense", "reference"};
#if ONEXN_HAVE_ONEDNN
  implementations.insert(implementations.end(), {"onednn", "onednn-nchw"});
  out.push_back({"resnet18-pruned", false, false, 2, "onednn-nchw"});
#endif
  for (const char* impl : implementations) {
    out.push_back({"mobilenet_v3_small-pruned", false, false, 2, impl});
  }
  out.push_back({"resnet18-pruned", false, false, 2, "ours-dense"});
  return out;
}

INSTANTIATE_TEST_SUITE_P(All, TorchvisionModels, ::testing::ValuesIn(cases()),
                         [](const auto& info) {
                           std::string n = info.param.model + (info.param.dense ? "_dense" : "") +
                                           (info.param.tune ? "_tuned" : "") +
                                           (info.param.force.empty() ? "" : "_on_" + info.param.force);
                           for (char& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace onexn
