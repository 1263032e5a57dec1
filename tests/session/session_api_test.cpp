// The Session API: input checks, concurrency, determinism, batches, memory reuse, bad models.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <thread>

#include "onexn/error.hpp"
#include "onexn/file_io.hpp"
#include "onexn/session.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

fs::path model(const std::string& name) { return fs::path(ONEXN_RUNTIME_MODELS_DIR) / (name + ".onnx"); }

FloatTensor random_input(const Session& s, uint32_t seed) {
  FloatTensor t;
  t.name = s.inputs().front().name;
  t.dims = s.inputs().front().shape;
  t.data = test::random_values(t.numel(), seed);
  return t;
}

class SessionApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SessionOptions o;
    o.tune = false;
    session_ = new Session(Session::load(model("resnet18-pruned"), o));
  }
  static void TearDownTestSuite() {
    delete session_;
    session_ = nullptr;
  }
  static Session* session_;
};
Session* SessionApi::session_ = nullptr;

TEST_F(SessionApi, DescribesInputsOutputsAndLayers) {
  ASSERT_EQ(session_->inputs().size(), 1u);
  EXPECT_EQ(session_->inputs()[0].shape, (std::vector<int64_t>{1, 3, 224, 224}));
  ASSERT_EQ(session_->outputs().size(), 1u);
  EXPECT_EQ(session_->outputs()[0].shape, (std::vector<int64_t>{1, 1000}));
  int convs = 0;
  for (const auto& l : session_->layers()) convs += l.op == "Conv";
  EXPECT_EQ(convs, 20);
  EXPECT_LT(session_->weight_bytes_stored(), session_->weight_bytes_dense());
}

TEST_F(SessionApi, RejectsBadInputsWithClearErrors) {
  FloatTensor good = random_input(*session_, 1);
  auto expect_rejected = [&](std::vector<FloatTensor> in, const std::string& mentions) {
    try {
      session_->run(in);
      ADD_FAILURE() << "accepted: " << mentions;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
    }
  };
  FloatTensor t = good;
  t.name = "images";
  expect_rejected({t}, "no input named 'images'");
  expect_rejected({}, "input 'input' is missing");
  expect_rejected({good, good}, "given twice");
  t = good;
  t.dims = {1, 3, 112, 112};
  t.data.resize(3 * 112 * 112);
  expect_rejected({t}, "expected [1, 3, 224, 224]");
  t = good;
  t.data.pop_back();
  expect_rejected({t}, "holds");
  t = good;
  t.data[12345] = NAN;
  expect_rejected({t}, "non-finite value");
  t = good;
  t.data[7] = -INFINITY;
  expect_rejected({t}, "index 7");
}

TEST_F(SessionApi, RunsAreDeterministicAndSafeFromManyThreads) {
  const FloatTensor in = random_input(*session_, 2);
  const std::vector<float> first = session_->run({in})[0].data;
  EXPECT_EQ(session_->run({in})[0].data, first);
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back([&] { r = session_->run({in})[0].data; });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r, first);
}

TEST_F(SessionApi, ReusesActivationMemory) {
  // ResNet-18's activations would take far more than this if none shared memory.
  int64_t all = 0;
  for (const auto& l : session_->layers()) all += l.macs > 0 ? 1 : 0;
  EXPECT_GT(all, 0);
  EXPECT_LT(session_->peak_activation_bytes(), 16 << 20);
}

TEST(SessionBatch, BatchOfThreeEqualsThreeRuns) {
  SessionOptions o;
  o.tune = false;
  o.batch = 3;
  const Session batched = Session::load(model("mobilenet_v3_small-pruned"), o);
  o.batch = 1;
  const Session single = Session::load(model("mobilenet_v3_small-pruned"), o);
  ASSERT_EQ(batched.inputs()[0].shape[0], 3);
  FloatTensor in = random_input(batched, 3);
  const FloatTensor out = batched.run({in})[0];
  const int64_t per_image = in.numel() / 3, per_out = static_cast<int64_t>(out.data.size()) / 3;
  for (int64_t b = 0; b < 3; ++b) {
    FloatTensor one = random_input(single, 0);
    std::copy_n(in.data.begin() + b * per_image, per_image, one.data.begin());
    const FloatTensor y = single.run({one})[0];
    const std::vector<float> slice(out.data.begin() + b * per_out, out.data.begin() + (b + 1) * per_out);
    EXPECT_LE(test::max_relative_error(slice, y.data), 1e-5) << "image " << b;
  }
}

TEST(SessionBadModels, TruncatedCorruptAndIncompleteModelsAreErrors) {
  const auto dir = test::scratch_dir("session-bad-models");
  const auto bytes = read_file(model("mobilenet_v2"));
  SessionOptions o;
  o.tune = false;
  for (size_t cut : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 3}) {
    EXPECT_THROW(Session::from_bytes(std::span(bytes.data(), cut), "truncated", o), Error) << cut;
  }
  std::vector<uint8_t> corrupt = bytes;
  for (size_t i = 100; i < corrupt.size(); i += corrupt.size() / 7) corrupt[i] ^= 0x5a;
  try {
    Session::from_bytes(corrupt, "corrupt", o);
  } catch (const Error&) {
  }  // accepted or rejected with Error: both fine, a crash or another exception is not
  EXPECT_THROW(Session::load(dir / "missing.onnx", o), Error);
  fs::remove_all(dir);
}

TEST(SessionOptionsCheck, RejectsBadOptions) {
  SessionOptions o;
  o.threads = 0;
  EXPECT_THROW(Session::load(model("resnet18"), o), InvalidArgument);
  o.threads = 1;
  o.batch = -2;
  EXPECT_THROW(Session::load(model("resnet18"), o), InvalidArgument);
}

}  // namespace
}  // namespace onexn
