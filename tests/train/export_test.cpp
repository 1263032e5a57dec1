// The LibTorch models against their ONNX export run by onexn::Session, and the rearrangement
// of a torch model through onexn::rearrange_model: the function must not change.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "onexn/session.hpp"
#include "support/test_support.hpp"
#include "train/models.hpp"
#include "train/pruning.hpp"

namespace onexn::train {
namespace {

// Random BatchNorm statistics and affine parameters, so that eval-mode BN is far from the
// identity a fresh model has and any mix-up of its four vectors shows.
void randomize_batch_norm(NetImpl& net, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (const auto& p : net.named_parameters(true)) {
    const std::string& name = p.key();
    if (name.find(".bn.") == std::string::npos) continue;
    if (name.ends_with("weight"))
      p.value().uniform_(0.5, 1.5);
    else
      p.value().uniform_(-0.3, 0.3);
  }
  for (const auto& b : net.named_buffers(true)) {
    if (b.key().ends_with("running_mean")) b.value().uniform_(-0.2, 0.2);
    if (b.key().ends_with("running_var")) b.value().uniform_(0.5, 2.0);
  }
}

std::shared_ptr<NetImpl> test_model(TrainModel kind, double width) {
  torch::manual_seed(7);
  auto net = make_model(kind, width);
  randomize_batch_norm(*net, 11);
  net->eval();
  return net;
}

torch::Tensor test_input(int64_t batch) {
  torch::manual_seed(3);
  return torch::randn({batch, 1, 28, 28});
}

std::vector<float> torch_logits(NetImpl& net, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const torch::Tensor y = net.forward(x).contiguous();
  return {y.data_ptr<float>(), y.data_ptr<float>() + y.numel()};
}

std::vector<float> session_logits(const NetGraph& g, const torch::Tensor& x) {
  const std::vector<uint8_t> bytes = serialize_onnx(g);
  SessionOptions so;
  so.batch = x.size(0);
  so.tune = false;
  const Session session = Session::from_bytes(bytes, "exported", so);
  EXPECT_EQ(session.inputs().at(0).name, "input");
  EXPECT_EQ(session.outputs().at(0).name, "logits");
  FloatTensor in;
  in.name = "input";
  in.dims = {x.size(0), 1, 28, 28};
  const torch::Tensor c = x.contiguous();
  in.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return session.run({in}).at(0).data;
}

struct ModelCase {
  TrainModel kind;
  double width;
};
void PrintTo(const ModelCase& c, std::ostream* os) {
  *os << to_string(c.kind) << " width " << c.width;
}

class ExportTest : public ::testing::TestWithParam<ModelCase> {};

TEST_P(ExportTest, SessionMatchesLibTorch) {
  const auto net = test_model(GetParam().kind, GetParam().width);
  const torch::Tensor x = test_input(3);
  const std::vector<float> expected = torch_logits(*net, x);
  ASSERT_EQ(expected.size(), 30u);
  const NetGraph g = describe_model(*net);

  // Initializer names are the LibTorch parameter and buffer names.
  const auto params = net->named_parameters(true);
  const auto buffers = net->named_buffers(true);
  int64_t from_torch = 0;
  for (const NetTensor& t : g.tensors) {
    if (t.name == kClipMinName || t.name == kClipMaxName) continue;
    EXPECT_TRUE(params.find(t.name) || buffers.find(t.name)) << t.name;
    ++from_torch;
  }
  EXPECT_EQ(from_torch, int64_t(params.size()) + int64_t(buffers.size()) -
                            std::count_if(buffers.begin(), buffers.end(), [](const auto& b) {
                              return b.key().ends_with("num_batches_tracked");
                            }));

  const std::vector<float> kept = session_logits(g, x);
  EXPECT_LE(test::max_relative_error(kept, expected), 1e-4);
  const std::vector<float> folded = session_logits(fold_batch_norm(g), x);
  EXPECT_LE(test::max_relative_error(folded, expected), 1e-4);

  // The BN-kept export has BatchNormalization nodes, the folded one none.
  const auto count = [](const NetGraph& graph, const std::string& op) {
    return std::count_if(graph.nodes.begin(), graph.nodes.end(),
                         [&](const NetNode& n) { return n.op == op; });
  };
  EXPECT_GT(count(g, "BatchNormalization"), 0);
  EXPECT_EQ(count(fold_batch_norm(g), "BatchNormalization"), 0);
  EXPECT_EQ(count(g, "Conv"), count(fold_batch_norm(g), "Conv"));
}

TEST_P(ExportTest, LayerKindsAndDefaultSet) {
  const auto net = test_model(GetParam().kind, GetParam().width);
  const OnnxModel model = to_onnx_model(describe_model(*net), "exported");
  int first = 0, depthwise = 0, fc = 0;
  for (const WeightedLayer& l : model.weighted_layers()) {
    first += l.kind == LayerKind::first;
    depthwise += l.kind == LayerKind::depthwise;
    fc += l.kind == LayerKind::fc;
  }
  EXPECT_EQ(first, 1);
  EXPECT_EQ(fc, 1);
  const bool mobilenet = GetParam().kind == TrainModel::mobilenetv2;
  EXPECT_EQ(depthwise, mobilenet ? 17 : 0);
  // ResNet-20: 18 block convs + 2 shortcuts; MobileNetV2: 16 expand + 17 project + head.
  EXPECT_EQ(default_set_layers(*net).size(), mobilenet ? 34u : 20u);
}

TEST_P(ExportTest, RearrangementKeepsTheFunction) {
  for (const RearrangeMode mode : {RearrangeMode::paper, RearrangeMode::graph}) {
    const auto net = test_model(GetParam().kind, GetParam().width);
    const torch::Tensor x = test_input(4);
    const std::vector<float> before = torch_logits(*net, x);
    std::map<std::string, torch::Tensor> weights;
    for (const auto& p : net->named_parameters(true)) weights[p.key()] = p.value().detach().clone();

    // Masks at sparsity 0 keep everything: only the permutation acts.
    const PruningSetup setup = prepare_pruning(*net, Pattern::one_by_n(4), 0.5, mode, 0.0);
    EXPECT_GT(setup.permuted_sets, 0) << to_string(mode);
    int changed = 0;
    for (const auto& p : net->named_parameters(true))
      changed += !torch::equal(weights[p.key()], p.value());
    EXPECT_GT(changed, 0) << to_string(mode);
    for (const MaskedLayer& l : setup.layers) {
      EXPECT_GE(l.l1_kept_rearranged, l.l1_kept_plain - 1e-12) << l.name;
      EXPECT_EQ(l.mask.sum().item<double>(), double(l.mask.numel())) << l.name;
    }
    const std::vector<float> after = torch_logits(*net, x);
    EXPECT_LE(test::max_relative_error(after, before), 1e-4) << to_string(mode);
  }
}

TEST_P(ExportTest, MasksAreWhole1xNBlocks) {
  const auto net = test_model(GetParam().kind, GetParam().width);
  const double p = 0.5;
  const PruningSetup setup =
      prepare_pruning(*net, Pattern::one_by_n(4), p, RearrangeMode::graph, p);
  for (const MaskedLayer& l : setup.layers) {
    const torch::Tensor w = l.weight.detach().contiguous();
    const WeightShape& s = l.shape;
    const int64_t groups_of_n = (s.c_out + 3) / 4;
    int64_t zero_blocks = 0;
    for (int64_t g = 0; g < groups_of_n; ++g) {
      for (int64_t c = 0; c < s.c_in_per_group; ++c) {
        int64_t zeros = 0, total = 0;
        for (int64_t o = g * 4; o < std::min(s.c_out, g * 4 + 4); ++o)
          for (int64_t t = 0; t < s.taps(); ++t, ++total)
            zeros += w.data_ptr<float>()[s.index(o, c, 0, 0) + t] == 0.0f;
        ASSERT_TRUE(zeros == 0 || zeros == total) << l.name << " block " << g << "," << c;
        zero_blocks += zeros == total;
      }
    }
    EXPECT_EQ(zero_blocks, int64_t(std::floor(double(groups_of_n * s.c_in_per_group) * p + 1e-6)))
        << l.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ExportTest,
                         ::testing::Values(ModelCase{TrainModel::resnet20, 1.0},
                                           ModelCase{TrainModel::resnet20, 0.5},
                                           ModelCase{TrainModel::mobilenetv2, 0.5}),
                         [](const auto& info) {
                           return std::string(to_string(info.param.kind)) +
                                  (info.param.width == 1.0 ? "_w1" : "_w05");
                         });

TEST(ExportTest, FoldBatchNormNamesTheBias) {
  const auto net = test_model(TrainModel::resnet20, 0.5);
  const NetGraph folded = fold_batch_norm(describe_model(*net));
  ASSERT_NE(folded.find_tensor("stem.conv.bias"), nullptr);
  EXPECT_EQ(folded.find_tensor("stem.bn.running_mean"), nullptr);
}

}  // namespace
}  // namespace onexn::train
