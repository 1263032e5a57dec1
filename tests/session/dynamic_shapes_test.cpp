// Models with symbolic input dimensions (scripts/export-dynamic-shape-models.py): a conv net
// exported by torch.onnx with dynamic batch, height and width runs at several sizes, each
// matching PyTorch's outputs to 1e-4 relative (max |ours - ref| / max |ref|), through a bounded
// cache of plans; sizes the model fixes are errors that name the dimension; the same net with
// its nodes shuffled, and stored with fp16 weights read through Casts appended at the end, load
// and match too.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>

#include "onexn/error.hpp"
#include "onexn/session.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

fs::path dir() { return ONEXN_DYNAMIC_MODELS_DIR; }

// Input K of the export script: shapes [1, 3, 32, 48], [2, 3, 40, 24], [1, 3, 56, 56].
Tensor input(int k) { return read_tensor_pb(dir() / ("dynconv.in" + std::to_string(k) + ".pb")); }
Tensor reference(const std::string& stem, const std::string& output) {
  return read_tensor_pb(dir() / (stem + "." + output + ".pb"));
}

SessionOptions untuned() {
  SessionOptions o;
  o.tune = false;
  return o;
}

// Both outputs of `out` against PyTorch's for `stem` ("dynconv.out1"), to `tolerance`.
void expect_matches(const std::vector<Tensor>& out, const std::string& stem, double tolerance) {
  ASSERT_EQ(out.size(), 2u);
  const char* names[] = {"features", "logits"};
  for (size_t k = 0; k < 2; ++k) {
    const Tensor ref = reference(stem, names[k]);
    EXPECT_EQ(out[k].name, names[k]);
    EXPECT_EQ(out[k].dims, ref.dims) << stem << " " << names[k];
    const double err = test::max_relative_error(out[k].data, ref.data);
    EXPECT_LE(err, tolerance) << stem << " " << names[k];
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not an InvalidArgument: ") + e.what();
  }
  return "no error";
}

TEST(DynamicShapes, SymbolicDimensionsAreReportedAsMinusOne) {
  const Session s = Session::load(dir() / "dynconv.onnx", untuned());
  ASSERT_EQ(s.inputs().size(), 1u);
  EXPECT_EQ(s.inputs()[0].name, "images");
  EXPECT_EQ(s.inputs()[0].shape, (std::vector<int64_t>{-1, 3, -1, -1}));
  ASSERT_EQ(s.outputs().size(), 2u);
  EXPECT_EQ(s.outputs()[0].shape, (std::vector<int64_t>{-1, 24, -1, -1}));
  EXPECT_EQ(s.outputs()[1].shape, (std::vector<int64_t>{-1, 10}));
  // Nothing is planned before a run gives the sizes.
  EXPECT_EQ(s.plans(), 0);
  EXPECT_TRUE(s.layers().empty());
  EXPECT_EQ(s.peak_activation_bytes(), 0);
}

TEST(DynamicShapes, EachSizeMatchesPyTorchThroughABoundedPlanCache) {
  SessionOptions o = untuned();
  o.plan_cache = 2;
  const Session s = Session::load(dir() / "dynconv.onnx", o);
  expect_matches(s.run({input(0)}), "dynconv.out0", 1e-4);
  EXPECT_EQ(s.plans(), 1);
  const int64_t small_arena = s.peak_activation_bytes();
  expect_matches(s.run({input(1)}), "dynconv.out1", 1e-4);
  EXPECT_EQ(s.plans(), 2);
  expect_matches(s.run({input(0)}), "dynconv.out0", 1e-4);  // a cached plan
  EXPECT_EQ(s.plans(), 2);
  // A third size evicts the least recently used plan (size 1); both others still run right.
  expect_matches(s.run({input(2)}), "dynconv.out2", 1e-4);
  EXPECT_EQ(s.plans(), 2);
  // [1, 3, 56, 56] needs more than [1, 3, 32, 48]: more pixels in all and per image (the
  // arena counts kernel scratch, which can be per image: oneDNN's gemm:ref convolutions on arm64
  // im2col one image at a time, so batch 2 of [3, 40, 24] needs less than batch 1 of [3, 32, 48]).
  EXPECT_GT(s.peak_activation_bytes(), small_arena);
  expect_matches(s.run({input(1)}), "dynconv.out1", 1e-4);
  expect_matches(s.run({input(0)}), "dynconv.out0", 1e-4);
  EXPECT_EQ(s.plans(), 2);
  EXPECT_FALSE(s.layers().empty());
}

TEST(DynamicShapes, ThreadsRunDifferentSizesAtOnce) {
  SessionOptions o = untuned();
  o.plan_cache = 2;  // three sizes: plans are evicted and rebuilt while other threads run
  const Session s = Session::load(dir() / "dynconv.onnx", o);
  const Tensor in[] = {input(0), input(1), input(2)};
  std::vector<std::vector<Tensor>> results(6);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 3; ++r) results[t] = s.run({in[(t + r) % 3]});
    });
  }
  for (auto& t : threads) t.join();
  for (size_t t = 0; t < results.size(); ++t) {
    expect_matches(results[t], "dynconv.out" + std::to_string((t + 2) % 3), 1e-4);
  }
}

TEST(DynamicShapes, ShapesGivenAtLoadArePlannedAtLoad) {
  SessionOptions o = untuned();
  o.shapes["images"] = {2, 3, 40, 24};
  const Session s = Session::load(dir() / "dynconv.onnx", o);
  EXPECT_EQ(s.inputs()[0].shape, (std::vector<int64_t>{2, 3, 40, 24}));
  EXPECT_EQ(s.outputs()[0].shape, (std::vector<int64_t>{2, 24, 10, 6}));
  EXPECT_EQ(s.outputs()[1].shape, (std::vector<int64_t>{2, 10}));
  EXPECT_EQ(s.plans(), 1);
  EXPECT_FALSE(s.layers().empty());
  expect_matches(s.run({input(1)}), "dynconv.out1", 1e-4);
  // The shape is fixed now: another one is an error naming the dimension.
  const std::string msg = error_of([&] { s.run({input(0)}); });
  EXPECT_NE(msg.find("input 'images' has shape [1, 3, 32, 48], expected [2, 3, 40, 24]: dimension "
                     "0 is 1, not 2"),
            std::string::npos)
      << msg;
}

TEST(DynamicShapes, BatchFixesTheBatchAndLeavesTheOtherDimensionsSymbolic) {
  SessionOptions o = untuned();
  o.batch = 2;
  const Session s = Session::load(dir() / "dynconv.onnx", o);
  EXPECT_EQ(s.inputs()[0].shape, (std::vector<int64_t>{2, 3, -1, -1}));
  expect_matches(s.run({input(1)}), "dynconv.out1", 1e-4);
  EXPECT_NE(error_of([&] { s.run({input(0)}); }).find("dimension 0 is 1, not 2"),
            std::string::npos);
}

TEST(DynamicShapes, SizesOtherThanTheModelFixesAreClearErrors) {
  // At load: the model fixes 3 channels.
  SessionOptions o = untuned();
  o.shapes["images"] = {1, 4, 32, 32};
  std::string msg = error_of([&] { Session::load(dir() / "dynconv.onnx", o); });
  EXPECT_NE(msg.find("input 'images': dimension 1 is 3 (fixed by the model), the shape given, [1, "
                     "4, 32, 32], has 4"),
            std::string::npos)
      << msg;
  o.shapes = {{"images", {1, 3, 32}}};
  msg = error_of([&] { Session::load(dir() / "dynconv.onnx", o); });
  EXPECT_NE(msg.find("has rank 4, the shape given, [1, 3, 32], has rank 3"), std::string::npos)
      << msg;
  o.shapes = {{"image", {1, 3, 32, 32}}};
  msg = error_of([&] { Session::load(dir() / "dynconv.onnx", o); });
  EXPECT_NE(msg.find("a shape is given for 'image', which is not an input of the model (its "
                     "inputs: 'images')"),
            std::string::npos)
      << msg;
  o.shapes = {{"images", {1, 3, 0, 32}}};
  EXPECT_NE(
      error_of([&] { Session::load(dir() / "dynconv.onnx", o); }).find("sizes are at least 1"),
      std::string::npos);
  o.shapes.clear();
  o.batch = 2;
  o.shapes = {{"images", {1, 3, 32, 32}}};
  EXPECT_NE(error_of([&] {
              Session::load(dir() / "dynconv.onnx", o);
            }).find("dimension 0 is 2 (the batch option)"),
            std::string::npos);
  o.plan_cache = 0;
  EXPECT_NE(error_of([&] { Session::load(dir() / "dynconv.onnx", o); }).find("plan_cache = 0"),
            std::string::npos);

  // At run time.
  const Session s = Session::load(dir() / "dynconv.onnx", untuned());
  Tensor t = input(0);
  t.dims = {1, 4, 32, 36};  // as many values, 4 channels
  msg = error_of([&] { s.run({t}); });
  EXPECT_NE(msg.find("input 'images' has shape [1, 4, 32, 36], expected [-1, 3, -1, -1]: dimension "
                     "1 is 4, not 3"),
            std::string::npos)
      << msg;
  t.dims = {1, 3, 1536};
  msg = error_of([&] { s.run({t}); });
  EXPECT_NE(msg.find("has shape [1, 3, 1536], expected [-1, 3, -1, -1] (rank 4"), std::string::npos)
      << msg;
  t.dims = {1, 3, 0, 48};
  t.data.clear();
  EXPECT_NE(error_of([&] { s.run({t}); }).find("dimension 2 (symbolic) must be at least 1"),
            std::string::npos);
  EXPECT_EQ(s.plans(), 0);  // nothing was planned for a rejected input
}

TEST(DynamicShapes, ASizeTheModelCannotTakeFailsAndIsNotCached) {
  const Session s = Session::load(dir() / "dynconv.onnx", untuned());
  Tensor tiny{.name = "images", .dims = {1, 3, 1, 1}, .data = {0.5f, -0.5f, 1.0f}};
  for (int attempt = 0; attempt < 2; ++attempt) {  // the second plans again, and fails again
    try {
      s.run({tiny});
      ADD_FAILURE() << "a 1x1 image ran through a 2x2 max pool";
    } catch (const InvalidArgument& e) {
      ADD_FAILURE() << "not the model's error: " << e.what();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("node '/pool/MaxPool' (MaxPool): window 2"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(s.plans(), 0);
  expect_matches(s.run({input(0)}), "dynconv.out0", 1e-4);
  EXPECT_EQ(s.plans(), 1);
}

TEST(DynamicShapes, ShuffledNodesAreSortedAtLoadAndMatchPyTorch) {
  const Session s = Session::load(dir() / "dynconv-shuffled.onnx", untuned());
  expect_matches(s.run({input(0)}), "dynconv.out0", 1e-4);
  expect_matches(s.run({input(1)}), "dynconv.out1", 1e-4);
  // The layers run in an order in which every input is computed first: the stem conv first, the
  // classifier last.
  const std::vector<LayerReport> layers = s.layers();
  ASSERT_FALSE(layers.empty());
  EXPECT_EQ(layers.front().name, "/stem/Conv");
  EXPECT_EQ(layers.back().op, "Gemm");
}

TEST(DynamicShapes, Fp16StoredWeightsRunAsFloat32) {
  const Session s = Session::load(dir() / "dynconv-fp16.onnx", untuned());
  const std::vector<Tensor> out = s.run({input(0)});
  // Against the PyTorch module holding the same fp16-rounded weights: as close as float32 runs get.
  expect_matches(out, "dynconv-fp16.out0", 1e-4);
  // Against the float model: fp16 rounding of the weights costs less than 1e-3.
  expect_matches(out, "dynconv.out0", 1e-3);
  // The Casts were folded at load: nothing of them runs.
  for (const LayerReport& l : s.layers()) EXPECT_NE(l.op, "Cast") << l.name;
}

}  // namespace
}  // namespace onexn
