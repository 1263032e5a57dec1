// int64 and bool tensors at run time: graph inputs, activations in the arena, graph outputs in
// their own type. int-io.onnx (scripts/export-dynamic-shape-models.py) reshapes and concatenates
// an int64 input, casts it to float and multiplies, and copies a bool input; numpy computed the
// expected outputs.
#include <gtest/gtest.h>

#include <filesystem>

#include "onexn/error.hpp"
#include "onexn/npy.hpp"
#include "onexn/session.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

Tensor file(const std::string& name) {
  Tensor t = read_npy(fs::path(ONEXN_DYNAMIC_MODELS_DIR) / ("int-io." + name + ".npy"));
  t.name = name;
  return t;
}

Session load() {
  SessionOptions o;
  o.tune = false;
  o.threads = 2;
  return Session::load(fs::path(ONEXN_DYNAMIC_MODELS_DIR) / "int-io.onnx", o);
}

TEST(TensorTypes, IntegerAndBoolInputsAndOutputsKeepTheirTypes) {
  const Session s = load();
  ASSERT_EQ(s.inputs().size(), 3u);
  EXPECT_EQ(s.inputs()[0].type, ElementType::float32);
  EXPECT_EQ(s.inputs()[1].type, ElementType::int64);
  EXPECT_EQ(s.inputs()[2].type, ElementType::boolean);
  ASSERT_EQ(s.outputs().size(), 3u);
  EXPECT_EQ(s.outputs()[0].type, ElementType::int64);
  EXPECT_EQ(s.outputs()[1].type, ElementType::float32);
  EXPECT_EQ(s.outputs()[2].type, ElementType::boolean);
  EXPECT_EQ(s.outputs()[0].shape, (std::vector<int64_t>{13, 4}));

  const Tensor x = file("x"), ids = file("ids"), mask = file("mask");
  ASSERT_EQ(ids.type, ElementType::int64);
  ASSERT_EQ(mask.type, ElementType::boolean);
  const std::vector<Tensor> out = s.run({mask, ids, x});  // any order, by name
  ASSERT_EQ(out.size(), 3u);
  const Tensor ids_cat = file("ids_cat"), scaled = file("scaled"), mask_out = file("mask_out");
  EXPECT_EQ(out[0].name, "ids_cat");
  EXPECT_EQ(out[0].type, ElementType::int64);
  EXPECT_EQ(out[0].dims, ids_cat.dims);
  EXPECT_EQ(out[0].ints, ids_cat.ints);  // values beyond 2^31 and 2^32 survive exactly
  EXPECT_TRUE(out[0].data.empty());
  EXPECT_EQ(out[1].type, ElementType::float32);
  EXPECT_EQ(out[1].data, scaled.data);  // float(ids) * x, one rounding each, as numpy does
  EXPECT_EQ(out[2].name, "out/mask:0");
  EXPECT_EQ(out[2].type, ElementType::boolean);
  EXPECT_EQ(out[2].ints, mask_out.ints);
  EXPECT_EQ(out[2].dims, (std::vector<int64_t>{2, 3}));
}

TEST(TensorTypes, WrongTypesAndBadBoolsAreRejected) {
  const Session s = load();
  const Tensor x = file("x"), ids = file("ids"), mask = file("mask");
  auto message = [&](std::vector<Tensor> in) {
    try {
      s.run(in);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  Tensor float_ids = x;
  float_ids.name = "ids";
  EXPECT_NE(message({x, float_ids, mask})
                .find("input 'ids' has element type float32, the model takes int64"),
            std::string::npos);
  Tensor int_mask = mask;
  int_mask.type = ElementType::int64;
  EXPECT_NE(
      message({x, ids, int_mask}).find("input 'mask' has element type int64, the model takes bool"),
      std::string::npos);
  Tensor bad_mask = mask;
  bad_mask.ints[4] = 2;
  EXPECT_NE(message({x, ids, bad_mask}).find("bool input 'mask' holds 2 at index 4"),
            std::string::npos);
  Tensor short_ids = ids;
  short_ids.ints.pop_back();
  EXPECT_NE(
      message({x, short_ids, mask}).find("input 'ids' holds 47 values, its shape [4, 12] needs 48"),
      std::string::npos);
}

}  // namespace
}  // namespace onexn
