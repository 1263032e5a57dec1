// `onexn eval` end to end on a tiny model built here: 7x7 average pooling to 16 features, then a
// nearest-centroid linear layer (Gemm). The test computes the same classifier in double straight
// from the gzipped IDX bytes and checks that the CLI prints exactly its accuracy.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "data/idx_files.hpp"
#include "graph/tiny_models.hpp"
#include "onexn/fashion_mnist.hpp"
#include "onexn/file_io.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

constexpr int kFeatures = 16;  // 28x28 averaged over 7x7 windows

void set_ints(onnx::NodeProto& n, const std::string& attr, const std::vector<int64_t>& values) {
  auto* a = n.add_attribute();
  a->set_name(attr);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

// x [1, channels, size, size] -> AveragePool 7x7 stride 7 -> Flatten -> Gemm(w [classes, features],
// transB = 1, b) -> y [1, classes]
onnx::ModelProto pooled_linear_model(const std::vector<float>& w, const std::vector<float>& b, int64_t channels,
                                     int64_t size) {
  const int64_t classes = static_cast<int64_t>(b.size());
  onnx::ModelProto m = test::empty_model(channels, size, size);
  auto& pool = test::add_node(m, "AveragePool", "pool", {"x"}, {"p"});
  set_ints(pool, "kernel_shape", {7, 7});
  set_ints(pool, "strides", {7, 7});
  test::add_node(m, "Flatten", "flatten", {"p"}, {"f"});
  *m.mutable_graph()->add_initializer() =
      test::float_tensor("w", {classes, static_cast<int64_t>(w.size()) / classes}, w);
  *m.mutable_graph()->add_initializer() = test::float_tensor("b", {classes}, b);
  auto& gemm = test::add_node(m, "Gemm", "fc", {"f", "w", "b"}, {"y"});
  test::set_int(gemm, "transB", 1);
  test::add_output(m, "y");
  return m;
}

// A split's images as 16 pooled, normalized features each, and its labels, from the raw files.
struct Features {
  std::vector<std::array<double, kFeatures>> x;
  std::vector<int> labels;
};

Features read_features(const char* prefix, size_t limit) {
  const fs::path dir = fashion_mnist_dir();
  const std::vector<uint8_t> images = test::gunzip(dir / (std::string(prefix) + "-images-idx3-ubyte.gz"));
  const std::vector<uint8_t> labels = test::gunzip(dir / (std::string(prefix) + "-labels-idx1-ubyte.gz"));
  Features f;
  const size_t count = std::min(limit, labels.size() - 8);
  if (images.size() != 16 + (labels.size() - 8) * 784) {
    ADD_FAILURE() << "unexpected sizes of the " << prefix << " files in " << dir;
    return f;
  }
  for (size_t i = 0; i < count; ++i) {
    std::array<double, kFeatures> v{};
    for (int r = 0; r < 28; ++r) {
      for (int c = 0; c < 28; ++c) {
        const double pixel = images[16 + i * 784 + r * 28 + c] / 255.0;
        v[(r / 7) * 4 + c / 7] += (pixel - double(kFashionMean)) / double(kFashionStd) / 49.0;
      }
    }
    f.x.push_back(v);
    f.labels.push_back(labels[8 + i]);
  }
  return f;
}

// What `onexn eval` must report for the classifier, computed in double; `ambiguous` counts images
// whose two best scores are so close (1e-5 relative) that float rounding in the runtime might swap
// them. With these centroids there are none on the test set (at 1e-4 there would be five), so the
// CLI's counts must match exactly.
struct Expected {
  int64_t correct = 0, ambiguous = 0;
  std::array<int64_t, 10> class_count{}, class_correct{};
};

class CliEval : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir("cli-eval");
    // Centroids of the first 10,000 training images: score_c(x) = mu_c . x - |mu_c|^2 / 2.
    const Features train = read_features("train", 10000);
    ASSERT_EQ(train.x.size(), 10000u);
    std::array<std::array<double, kFeatures>, 10> mu{};
    std::array<int, 10> n{};
    for (size_t i = 0; i < train.x.size(); ++i) {
      ++n[train.labels[i]];
      for (int k = 0; k < kFeatures; ++k) mu[train.labels[i]][k] += train.x[i][k];
    }
    for (int c = 0; c < 10; ++c) {
      ASSERT_GT(n[c], 0);
      double norm = 0;
      for (int k = 0; k < kFeatures; ++k) {
        mu[c][k] /= n[c];
        w_.push_back(static_cast<float>(mu[c][k]));
        norm += double(w_.back()) * w_.back();
      }
      b_.push_back(static_cast<float>(-norm / 2));
    }
    model_ = (dir_ / "pooled-linear.onnx").string();
    write_file_atomically(model_, test::serialize(pooled_linear_model(w_, b_, 1, 28)));
    test_ = read_features("t10k", 10000);
    ASSERT_EQ(test_.x.size(), 10000u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Expected expected(size_t count) const {
    Expected e;
    for (size_t i = 0; i < count; ++i) {
      std::array<double, 10> score{};
      for (int c = 0; c < 10; ++c) {
        score[c] = b_[c];
        for (int k = 0; k < kFeatures; ++k) score[c] += double(w_[c * kFeatures + k]) * test_.x[i][k];
      }
      int best = 0;
      for (int c = 1; c < 10; ++c)
        if (score[c] > score[best]) best = c;
      for (int c = 0; c < 10; ++c)
        if (c != best && score[best] - score[c] < 1e-5 * (1 + std::abs(score[best]))) ++e.ambiguous;
      const int label = test_.labels[i];
      ++e.class_count[label];
      if (best == label) {
        ++e.correct;
        ++e.class_correct[label];
      }
    }
    return e;
  }

  std::string quoted(const std::string& path) const { return "'" + path + "'"; }

  fs::path dir_;
  std::string model_;
  std::vector<float> w_, b_;
  Features test_;
};

TEST_F(CliEval, PrintsTheIndependentlyComputedAccuracyAndPerClassTable) {
  const Expected e = expected(10000);
  // A classifier clearly better than chance, so that a label or pixel mix-up would show.
  ASSERT_GT(e.correct, 3000);
  ASSERT_EQ(e.ambiguous, 0) << "the exact comparison needs a classifier without near-ties";
  const auto r = test::run_cli("eval " + quoted(model_) + " --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  bool saw_accuracy = false, saw_speed = false;
  int class_rows = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("accuracy: ", 0) == 0) {
      EXPECT_EQ(line, fmt::format("accuracy: {:.4f}", e.correct / 10000.0));
      saw_accuracy = true;
    } else if (line.find("images/s") != std::string::npos) {
      saw_speed = true;
    } else if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) {
      // "k  name  count  accuracy": the name may contain a space, count and accuracy are last.
      const int c = std::stoi(line);
      ASSERT_TRUE(c >= 0 && c < 10) << line;
      EXPECT_NE(line.find(kFashionClassNames[c]), std::string::npos) << line;
      const std::string tail = fmt::format("{:>6}  {:>8}", 1000, fmt::format("{:.4f}", e.class_correct[c] / 1000.0));
      EXPECT_EQ(line.substr(line.size() - tail.size()), tail) << line;
      ++class_rows;
    }
  }
  EXPECT_TRUE(saw_accuracy) << r.out;
  EXPECT_TRUE(saw_speed) << r.out;
  EXPECT_EQ(class_rows, 10) << r.out;
}

TEST_F(CliEval, JsonHasTheExactCountsAndAllFields) {
  const Expected e = expected(10000);
  ASSERT_EQ(e.ambiguous, 0);
  const auto r = test::run_cli("eval " + quoted(model_) + " --json --batch 1000");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("model"), model_);
  EXPECT_EQ(j.at("images"), 10000);
  EXPECT_EQ(j.at("correct"), e.correct);
  EXPECT_DOUBLE_EQ(j.at("accuracy").get<double>(), e.correct / 10000.0);
  EXPECT_EQ(j.at("threads"), 1);
  EXPECT_GT(j.at("ms").get<double>(), 0.0);
  ASSERT_EQ(j.at("per_class").size(), 10u);
  for (int c = 0; c < 10; ++c) {
    const auto& row = j.at("per_class")[c];
    EXPECT_EQ(row.at("class"), c);
    EXPECT_EQ(row.at("name"), kFashionClassNames[c]);
    EXPECT_EQ(row.at("count"), 1000);
    EXPECT_DOUBLE_EQ(row.at("accuracy").get<double>(), e.class_correct[c] / 1000.0) << c;
  }
}

TEST_F(CliEval, LimitWithABatchThatDoesNotDivideIt) {
  const Expected e = expected(250);
  ASSERT_EQ(e.ambiguous, 0);
  const auto r = test::run_cli("eval " + quoted(model_) + " --limit 250 --batch 64 --dense --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("images"), 250);
  EXPECT_EQ(j.at("batch"), 64);
  EXPECT_EQ(j.at("correct"), e.correct);
  int64_t images = 0;
  for (int c = 0; c < 10; ++c) {
    const auto& row = j.at("per_class")[c];
    EXPECT_EQ(row.at("count"), e.class_count[c]) << c;
    EXPECT_EQ(row.at("correct"), e.class_correct[c]) << c;
    images += row.at("count").get<int64_t>();
  }
  EXPECT_EQ(images, 250);
  // Fewer images than one batch: the batch shrinks to them.
  const auto small = test::run_cli("eval " + quoted(model_) + " --limit 7 --json");
  ASSERT_EQ(small.exit_code, 0) << small.err;
  const auto js = nlohmann::json::parse(small.out);
  EXPECT_EQ(js.at("batch"), 7);
  EXPECT_EQ(js.at("correct"), expected(7).correct);
}

TEST_F(CliEval, WrongModelShapesAreOneLineErrors) {
  struct Case {
    std::string file;
    onnx::ModelProto model;
    std::vector<std::string> mentions;
  };
  const std::vector<float> w3(10 * 3 * kFeatures, 0.5f), w7(7 * kFeatures, 0.5f);
  const std::vector<Case> cases = {
      {"rgb.onnx", pooled_linear_model(w3, b_, 3, 28), {"[100, 3, 28, 28]", "[N, 1, 28, 28]"}},
      {"larger.onnx", pooled_linear_model(w_, b_, 1, 32), {"[100, 1, 32, 32]", "[N, 1, 28, 28]"}},
      {"seven.onnx", pooled_linear_model(w7, std::vector<float>(7, 0.0f), 1, 28), {"output", "[100, 7]", "[N, 10]"}},
  };
  for (const Case& c : cases) {
    const std::string path = (dir_ / c.file).string();
    write_file_atomically(path, test::serialize(c.model));
    const auto r = test::run_cli("eval " + quoted(path) + " --no-tune");
    EXPECT_EQ(r.exit_code, 1) << c.file << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
    for (const auto& m : c.mentions) EXPECT_NE(r.err.find(m), std::string::npos) << m << " not in: " << r.err;
  }
}

TEST_F(CliEval, MissingDatasetNamesTheInstallCommand) {
  const auto r = test::run_command("ONEXN_FASHION_MNIST_DIR='" + (dir_ / "missing").string() + "' '" +
                                   test::cli_path().string() + "' eval " + quoted(model_));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find((dir_ / "missing" / "t10k-images-idx3-ubyte.gz").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("apt-get install dataset-fashion-mnist"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace onexn
