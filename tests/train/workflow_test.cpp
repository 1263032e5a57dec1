// The training workflow through its torch-free API (onexn/train.hpp) on a few hundred images:
// the exported model is exactly 1xN-pruned after the fine-tune, a resumed run ends with the
// same weights as an uninterrupted one, and bad input fails with a clear error.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "onexn/error.hpp"
#include "onexn/file_io.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"
#include "onexn/train.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

class SilentProgress : public ProgressSink {
 public:
  void progress(const TrainProgress& p) override { epochs_done += p.epoch_done; }
  void message(const std::string&) override {}
  int epochs_done = 0;
};

TrainOptions tiny_options(const fs::path& dir) {
  TrainOptions o;
  o.model = TrainModel::resnet20;
  o.width = 0.5;
  o.pattern = "1x4";
  o.sparsity = 0.5;
  o.dense_epochs = 1;
  o.epochs = 1;
  o.train_limit = 256;
  o.test_limit = 500;
  o.batch = 64;
  o.threads = 1;  // ctest runs two tests at once on our two cores
  o.out_dir = dir;
  return o;
}

// Every layer of the default set is exactly 1xN at sparsity p: each block of N output channels
// at one input channel is all zero or has a non-zero weight, and floor(blocks * p) are zero.
void expect_exact_1xn(const fs::path& model_path, int n, double p) {
  const OnnxModel model = OnnxModel::load(model_path);
  int pruned = 0;
  for (const WeightedLayer& layer : model.weighted_layers()) {
    const std::vector<float> w = model.read_weights(layer);
    const WeightShape& s = layer.shape;
    if (!in_default_layer_set(layer.kind, false)) {
      int64_t zeros = 0;
      for (float v : w) zeros += v == 0.0f;
      EXPECT_LT(double(zeros) / double(w.size()), 0.01)
          << layer.node_name << " should not be pruned";
      continue;
    }
    ++pruned;
    const int64_t groups = (s.c_out + n - 1) / n;
    int64_t zero_blocks = 0;
    for (int64_t g = 0; g < groups; ++g) {
      for (int64_t c = 0; c < s.c_in_per_group; ++c) {
        int64_t zeros = 0, total = 0;
        for (int64_t o = g * n; o < std::min(s.c_out, (g + 1) * n); ++o) {
          for (int64_t t = 0; t < s.taps(); ++t, ++total)
            zeros += w[s.index(o, c, 0, 0) + t] == 0.0f;
        }
        ASSERT_TRUE(zeros == 0 || zeros == total)
            << layer.node_name << ": block (" << g << ", " << c << ") is partly zero: " << zeros
            << " of " << total;
        zero_blocks += zeros == total;
      }
    }
    // As onexn's masks count: floor(blocks * p + 1e-6), since e.g. 2880 * 0.7 is 2015.99... in
    // double.
    EXPECT_EQ(zero_blocks, int64_t(std::floor(double(groups * s.c_in_per_group) * p + 1e-6)))
        << layer.node_name;
  }
  EXPECT_GT(pruned, 0);
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(TrainWorkflow, FineTunedModelIsExactly1xN) {
  const fs::path dir = test::scratch_dir("train-1x4");
  SilentProgress sink;
  const TrainResult r = train_model(tiny_options(dir), sink);
  EXPECT_EQ(sink.epochs_done, 2);
  for (const char* file :
       {"checkpoint.pt", "dense.pt", "model.onnx", "model-folded.onnx", "metrics.json"}) {
    EXPECT_TRUE(fs::exists(dir / file)) << file;
  }
  expect_exact_1xn(dir / "model.onnx", 4, 0.5);
  expect_exact_1xn(dir / "model-folded.onnx", 4, 0.5);

  const nlohmann::json m = read_json(dir / "metrics.json");
  EXPECT_EQ(m["test"]["images"], 500);
  EXPECT_DOUBLE_EQ(m["test"]["accuracy"].get<double>(), r.test_accuracy);
  EXPECT_EQ(m["test"]["class_accuracy"].size(), 10u);
  EXPECT_EQ(m["epochs"].size(), 2u);
  int pruned = 0;
  for (const auto& layer : m["layers"]) {
    if (!layer["pruned"].get<bool>()) continue;
    ++pruned;
    EXPECT_NEAR(layer["sparsity"].get<double>(), 0.5, 0.05) << layer["name"];
    EXPECT_GE(layer["l1_kept_rearranged"].get<double>(),
              layer["l1_kept_plain"].get<double>() - 1e-12);
  }
  EXPECT_EQ(pruned, 20);
  for (const char* phase : {"dense", "rearrange_masks", "finetune", "evaluate", "export"}) {
    EXPECT_TRUE(m["seconds"].contains(phase)) << phase;
  }
}

TEST(TrainWorkflow, GradualScheduleEndsAtTheTargetSparsity) {
  const fs::path dir = test::scratch_dir("train-gradual");
  TrainOptions o = tiny_options(dir);
  o.model = TrainModel::mobilenetv2;
  o.train_limit = 128;
  o.pattern = "1x8";
  o.sparsity = 0.7;
  o.schedule = PruneSchedule::gradual;
  o.epochs = 3;  // 6 steps: the ramp covers the first 4, masks updated every 2
  o.mask_every = 2;
  o.rearrange = "paper";
  SilentProgress sink;
  const TrainResult r = train_model(o, sink);
  ASSERT_EQ(r.epochs.size(), 4u);
  // Masks at step 0 (p 0), step 2 (p 0.7 (1 - (1 - 2/4)^3) = 0.6125), step 4 (p 0.7).
  EXPECT_EQ(r.epochs[1].sparsity, 0.0);
  EXPECT_NEAR(r.epochs[2].sparsity, 0.6125, 1e-12);
  EXPECT_DOUBLE_EQ(r.epochs[3].sparsity, 0.7);
  expect_exact_1xn(dir / "model.onnx", 8, 0.7);
}

TEST(TrainWorkflow, ResumedRunEqualsUninterruptedRun) {
  const fs::path straight = test::scratch_dir("train-straight");
  const fs::path pieces = test::scratch_dir("train-pieces");
  TrainOptions o = tiny_options(straight);
  o.dense_epochs = 2;
  o.epochs = 2;
  SilentProgress sink;
  const TrainResult full = train_model(o, sink);

  // Stopped inside the dense phase, at the phase boundary, inside the fine-tune.
  o.out_dir = pieces;
  o.stop_after = 1;
  EXPECT_TRUE(train_model(o, sink).stopped);
  o.resume = true;
  for (int k = 0; k < 2; ++k) EXPECT_TRUE(train_model(o, sink).stopped);
  const TrainResult resumed = train_model(o, sink);
  EXPECT_FALSE(resumed.stopped);

  ASSERT_EQ(resumed.epochs.size(), full.epochs.size());
  for (size_t k = 0; k < full.epochs.size(); ++k)
    EXPECT_EQ(resumed.epochs[k].loss, full.epochs[k].loss) << k;
  EXPECT_EQ(resumed.test_accuracy, full.test_accuracy);
  EXPECT_TRUE(read_file(straight / "model.onnx") == read_file(pieces / "model.onnx"))
      << "the resumed run's weights differ from the uninterrupted run's";

  // A resumed run must be given the options of the first.
  o.seed = 2;
  EXPECT_THROW(train_model(o, sink), InvalidArgument);
}

TEST(TrainWorkflow, FromDenseCheckpointSkipsTheDensePhase) {
  const fs::path first = test::scratch_dir("train-first");
  const fs::path second = test::scratch_dir("train-second");
  TrainOptions o = tiny_options(first);
  SilentProgress sink;
  const TrainResult a = train_model(o, sink);
  o.out_dir = second;
  o.from = first / "dense.pt";
  o.rearrange = "none";
  const TrainResult b = train_model(o, sink);
  ASSERT_EQ(b.epochs.size(), 2u);
  EXPECT_EQ(b.epochs[0].phase, "dense");  // copied from the checkpoint
  EXPECT_EQ(b.epochs[0].loss, a.epochs[0].loss);
  EXPECT_EQ(b.dense_from, (first / "dense.pt").string());
  EXPECT_FALSE(fs::exists(second / "dense.pt"));
  o.model = TrainModel::mobilenetv2;
  EXPECT_THROW(train_model(o, sink), InvalidArgument);
  o.model = TrainModel::resnet20;
  o.from = first / "checkpoint.pt";  // the final state, not a dense checkpoint
  EXPECT_THROW(train_model(o, sink), InvalidArgument);
}

TEST(TrainWorkflow, BadInputFailsClearly) {
  const fs::path dir = test::scratch_dir("train-bad");
  SilentProgress sink;
  TrainOptions o = tiny_options(dir);
  o.pattern = "1x3";
  EXPECT_THROW(train_model(o, sink), InvalidArgument);
  o = tiny_options(dir);
  o.sparsity = 1.0;
  EXPECT_THROW(train_model(o, sink), InvalidArgument);
  o = tiny_options(dir);
  o.rearrange = "sideways";
  EXPECT_THROW(train_model(o, sink), InvalidArgument);
  EXPECT_THROW(parse_train_model("vgg16"), InvalidArgument);

  o = tiny_options(dir);
  o.data_dir = dir / "no-such-dir";
  try {
    train_model(o, sink);
    ADD_FAILURE() << "a missing data set must fail";
  } catch (const InvalidArgument&) {
    ADD_FAILURE() << "a missing data set is not a usage error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("apt-get install dataset-fashion-mnist"),
              std::string::npos)
        << e.what();
  }
  o = tiny_options("/proc/onexn-cannot-write-here");
  EXPECT_THROW(train_model(o, sink), Error);
  o = tiny_options(test::scratch_dir("train-no-checkpoint"));
  o.resume = true;
  EXPECT_THROW(train_model(o, sink), Error);
}

}  // namespace
}  // namespace onexn
