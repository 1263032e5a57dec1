// The importer on what exporters other than torch.onnx write: nodes out of topological order
// (sorted as ONNX Runtime does, file order kept where valid; cycles and undefined values are
// errors naming the node and value), tensors stored as float16 / bfloat16 / float64 and every
// integer type (converted once: against numpy's and PyTorch's conversions of all 65536 16-bit
// patterns, and hand-computed values), and integer / bool / symbolic graph inputs.
#include "graph/onnx_import.hpp"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <bit>
#include <random>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>

#include "graph/onnx_constant.hpp"
#include "onexn/error.hpp"
#include "onexn/npy.hpp"
#include "onexn/onnx_model.hpp"
#include "support/test_support.hpp"
#include "tiny_models.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

OnnxModel parsed(const onnx::ModelProto& m) {
  const std::vector<uint8_t> bytes = test::serialize(m);
  return OnnxModel::parse(bytes, "'tiny.onnx'");
}

std::vector<std::string> node_names(const graph::Graph& g) {
  std::vector<std::string> out;
  for (const graph::Node& n : g.nodes) out.push_back(n.name);
  return out;
}

// x -> a -> b -> c, with d from x beside them; nodes listed in `order` (names a..d).
onnx::ModelProto chain(const std::string& order) {
  onnx::ModelProto m = test::empty_model(2, 0, 0);
  for (char c : order) {
    if (c == 'a') test::add_node(m, "Relu", "a", {"x"}, {"ya"});
    if (c == 'b') test::add_node(m, "Relu", "b", {"ya"}, {"yb"});
    if (c == 'c') test::add_node(m, "Add", "c", {"yb", "ya"}, {"yc"});
    if (c == 'd') test::add_node(m, "Relu", "d", {"x"}, {"yd"});
  }
  test::add_output(m, "yc");
  test::add_output(m, "yd");
  return m;
}

TEST(TopologicalOrder, SortedGraphsKeepTheirOrderAndOthersAreSortedStably) {
  EXPECT_EQ(node_names(graph::import_onnx(parsed(chain("abcd")))),
            (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(node_names(graph::import_onnx(parsed(chain("dabc")))),
            (std::vector<std::string>{"d", "a", "b", "c"}));
  // Of the nodes ready to run, the first in the file comes first: a, then b (c waits for it), then
  // c, and d stays last where the file put it.
  EXPECT_EQ(node_names(graph::import_onnx(parsed(chain("cbad")))),
            (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(node_names(graph::import_onnx(parsed(chain("cdba")))),
            (std::vector<std::string>{"d", "a", "b", "c"}));
  // The model itself is sorted at load, so what is saved (e.g. after pruning) is in order.
  const OnnxModel m = parsed(chain("cbad"));
  std::string order;
  for (const auto& n : m.proto().graph().node()) order += n.name();
  EXPECT_EQ(order, "abcd");
}

TEST(TopologicalOrder, CyclesAndUndefinedValuesNameTheNodes) {
  onnx::ModelProto m = test::empty_model(2, 0, 0);
  test::add_node(m, "Add", "first", {"x", "back"}, {"p"});
  test::add_node(m, "Relu", "second", {"p"}, {"q"});
  test::add_node(m, "Relu", "third", {"q"}, {"back"});
  test::add_output(m, "q");
  std::string msg = error_of([&] { parsed(m); });
  EXPECT_NE(msg.find("'tiny.onnx': the graph has a cycle"), std::string::npos) << msg;
  EXPECT_NE(
      msg.find(
          "node 'first' (Add) reads 'back' from node 'third' (Relu) reads 'q' from node 'second' "
          "(Relu) reads 'p' from node 'first' (Add)"),
      std::string::npos)
      << msg;

  onnx::ModelProto self = test::empty_model(2, 0, 0);
  test::add_node(self, "Add", "loop", {"x", "y"}, {"y"});
  test::add_output(self, "y");
  msg = error_of([&] { parsed(self); });
  EXPECT_NE(msg.find("node 'loop' (Add) reads 'y' from node 'loop' (Add)"), std::string::npos)
      << msg;

  onnx::ModelProto undefined = chain("abcd");
  test::add_node(undefined, "Add", "late", {"yd", "nowhere"}, {"z"});
  msg = error_of([&] { parsed(undefined); });
  EXPECT_NE(msg.find("'tiny.onnx': node 'late' (Add) reads 'nowhere', which nothing defines"),
            std::string::npos)
      << msg;
}

bool have_python(const std::string& module) {
  return test::run_command("/usr/bin/python3 -c 'import " + module + "'").exit_code == 0;
}

// All 65536 bit patterns converted by `convert` (a Python expression of `bits`, a uint16 numpy
// array, giving a float32 numpy array), against ours.
void expect_all_patterns_match(const std::string& module, const std::string& convert,
                               float (*ours)(uint16_t)) {
  const fs::path dir = test::scratch_dir("half-" + module);
  const std::string py = "import numpy as np, sys\nimport " + module +
                         "\nbits = np.arange(65536, dtype=np.uint16)\n" +
                         "np.save(sys.argv[1], np.asarray(" + convert + ", dtype=np.float32))\n";
  const auto r =
      test::run_command("/usr/bin/python3 -c '" + py + "' '" + (dir / "ref.npy").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor ref = read_npy(dir / "ref.npy");
  ASSERT_EQ(ref.data.size(), 65536u);
  int nan = 0;
  for (uint32_t b = 0; b < 65536; ++b) {
    const float got = ours(static_cast<uint16_t>(b));
    if (std::isnan(ref.data[b])) {
      ASSERT_TRUE(std::isnan(got)) << "pattern " << b;
      ++nan;
    } else {
      ASSERT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(ref.data[b]))
          << "pattern " << b;
    }
  }
  EXPECT_EQ(nan, module == "numpy" ? 2046 : 254);  // exponent all ones, mantissa not zero
  fs::remove_all(dir);
}

TEST(OnnxConstant, Float16MatchesNumpyOnEveryPattern) {
  if (!have_python("numpy")) GTEST_SKIP() << "no numpy";
  expect_all_patterns_match("numpy", "bits.view(np.float16).astype(np.float32)",
                            graph::half_to_float);
}

TEST(OnnxConstant, Bfloat16MatchesPyTorchOnEveryPattern) {
  if (!have_python("torch")) GTEST_SKIP() << "no torch";
  expect_all_patterns_match(
      "torch", "torch.from_numpy(bits.astype(np.int16)).view(torch.bfloat16).float().numpy()",
      graph::bfloat16_to_float);
}

// float32 -> float16 / bfloat16 (pruned or permuted weights written back in their stored type)
// against numpy's / PyTorch's rounding, on float32 values around every half exponent: exact
// halves, ties, subnormals, overflow to infinity.
TEST(OnnxConstant, Float32ToHalfRoundsAsNumpyAndTorchDo) {
  if (!have_python("torch")) GTEST_SKIP() << "no torch";
  std::vector<float> values;
  std::mt19937 rng(7);
  for (int e = 90; e < 160; ++e) {  // float32 exponents from 2^-37 to 2^32
    for (int k = 0; k < 400; ++k) {
      uint32_t mantissa = rng() & 0x7fffffu;
      if (k % 4 == 0) mantissa = (mantissa & ~0x1fffu) | 0x1000u;  // a float16 tie
      if (k % 4 == 1) mantissa = (mantissa & ~0xffffu) | 0x8000u;  // a bfloat16 tie
      values.push_back(std::bit_cast<float>((k % 2 ? 0x80000000u : 0u) | (uint32_t(e) << 23) | mantissa));
    }
  }
  values.insert(values.end(), {0.0f, -0.0f, 65504.0f, 65519.0f, 65520.0f, 1e-8f, 2.9802322e-08f});
  const fs::path dir = test::scratch_dir("to-half");
  Tensor in{.name = "x", .dims = {static_cast<int64_t>(values.size())}, .data = values};
  write_npy(dir / "x.npy", in);
  const std::string py =
      "import numpy as np, sys, torch\nx = np.load(sys.argv[1])\n"
      "h = x.astype(np.float16).view(np.uint16).astype(np.int64)\n"
      "b = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().astype(np.int64) & 0xffff\n"
      "np.save(sys.argv[2], h)\nnp.save(sys.argv[3], b)\n";
  const auto r = test::run_command("/usr/bin/python3 -c '" + py + "' '" + (dir / "x.npy").string() + "' '" +
                                   (dir / "h.npy").string() + "' '" + (dir / "b.npy").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor h = read_npy(dir / "h.npy"), b = read_npy(dir / "b.npy");
  ASSERT_EQ(h.ints.size(), values.size());
  for (size_t k = 0; k < values.size(); ++k) {
    ASSERT_EQ(graph::float_to_half(values[k]), h.ints[k]) << values[k];
    ASSERT_EQ(graph::float_to_bfloat16(values[k]), b.ints[k]) << values[k];
  }
  for (uint32_t bits = 0; bits < 65536; ++bits) {  // every half survives the round trip
    const float f = graph::half_to_float(static_cast<uint16_t>(bits));
    if (!std::isnan(f)) ASSERT_EQ(graph::float_to_half(f), bits);
  }
  fs::remove_all(dir);
}

onnx::TensorProto typed(const std::string& name, int type, std::vector<int64_t> dims) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims) t.add_dims(d);
  return t;
}

TEST(OnnxConstant, EveryStoredTypeBecomesFloat32OrInt64) {
  // float16 in raw_data (little-endian) and in int32_data: 1.0 = 0x3c00, -2.5 = 0xc100,
  // 65504 = 0x7bff (the largest), 2^-24 = 0x0001 (the smallest subnormal).
  onnx::TensorProto h = typed("h", onnx::TensorProto::FLOAT16, {4});
  const uint16_t halves[] = {0x3c00, 0xc100, 0x7bff, 0x0001};
  h.set_raw_data(halves, sizeof halves);
  graph::Constant c = graph::to_constant(h, "test");
  EXPECT_EQ(c.type, graph::DataType::f32);
  EXPECT_EQ(c.f, (std::vector<float>{1.0f, -2.5f, 65504.0f, std::ldexp(1.0f, -24)}));
  onnx::TensorProto h32 = typed("h32", onnx::TensorProto::FLOAT16, {4});
  for (uint16_t v : halves) h32.add_int32_data(v);
  EXPECT_EQ(graph::to_constant(h32, "test").f, c.f);
  // bfloat16: 1.0 = 0x3f80, -0.15625 = 0xbe20.
  onnx::TensorProto bf = typed("bf", onnx::TensorProto::BFLOAT16, {2});
  bf.add_int32_data(0x3f80);
  bf.add_int32_data(0xbe20);
  EXPECT_EQ(graph::to_constant(bf, "test").f, (std::vector<float>{1.0f, -0.15625f}));
  onnx::TensorProto d = typed("d", onnx::TensorProto::DOUBLE, {2});
  d.add_double_data(0.1);
  d.add_double_data(-3.0);
  EXPECT_EQ(graph::to_constant(d, "test").f, (std::vector<float>{0.1f, -3.0f}));

  onnx::TensorProto i16 = typed("i16", onnx::TensorProto::INT16, {3});
  const int16_t shorts[] = {-32768, -1, 32767};
  i16.set_raw_data(shorts, sizeof shorts);
  c = graph::to_constant(i16, "test");
  EXPECT_EQ(c.type, graph::DataType::i64);
  EXPECT_EQ(c.i, (std::vector<int64_t>{-32768, -1, 32767}));
  onnx::TensorProto i16t = typed("i16t", onnx::TensorProto::INT16, {2});
  i16t.add_int32_data(-5);
  i16t.add_int32_data(300);
  EXPECT_EQ(graph::to_constant(i16t, "test").i, (std::vector<int64_t>{-5, 300}));
  onnx::TensorProto u16 = typed("u16", onnx::TensorProto::UINT16, {2});
  u16.add_int32_data(65535);
  u16.add_int32_data(7);
  EXPECT_EQ(graph::to_constant(u16, "test").i, (std::vector<int64_t>{65535, 7}));
  onnx::TensorProto u32 = typed("u32", onnx::TensorProto::UINT32, {2});
  const uint32_t words[] = {4294967295u, 12};
  u32.set_raw_data(words, sizeof words);
  EXPECT_EQ(graph::to_constant(u32, "test").i, (std::vector<int64_t>{4294967295LL, 12}));
  onnx::TensorProto u64 = typed("u64", onnx::TensorProto::UINT64, {2});
  u64.add_uint64_data(uint64_t{1} << 62);
  u64.add_uint64_data(3);
  EXPECT_EQ(graph::to_constant(u64, "test").i, (std::vector<int64_t>{int64_t{1} << 62, 3}));
  onnx::TensorProto i8 = typed("i8", onnx::TensorProto::INT8, {2});
  i8.set_raw_data(std::string("\xff\x05", 2));
  EXPECT_EQ(graph::to_constant(i8, "test").i, (std::vector<int64_t>{-1, 5}));

  u64.set_uint64_data(0, uint64_t{1} << 63);
  EXPECT_NE(error_of([&] {
              graph::to_constant(u64, "test");
            }).find("holds 9223372036854775808 at index 0, above the int64"),
            std::string::npos);
  onnx::TensorProto short_half = typed("sh", onnx::TensorProto::FLOAT16, {3});
  short_half.set_raw_data(halves, 4);
  EXPECT_NE(error_of([&] {
              graph::to_constant(short_half, "test");
            }).find("test: tensor 'sh' holds 4 bytes, its dims [3] need 3 values of 2 bytes"),
            std::string::npos);
  onnx::TensorProto text = typed("s", onnx::TensorProto::STRING, {1});
  text.add_string_data("x");
  EXPECT_NE(error_of([&] {
              graph::to_constant(text, "test");
            }).find("has data type 8, which onexn does not support"),
            std::string::npos);
}

// A graph input of element type `type` and dims (0 = a dim_param).
void add_input(onnx::ModelProto& m, const std::string& name, int type,
               const std::vector<int64_t>& dims) {
  auto* in = m.mutable_graph()->add_input();
  in->set_name(name);
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(type);
  tt->mutable_shape();  // rank 0 when dims is empty (no shape at all means an unknown rank)
  for (int64_t d : dims) {
    auto* dim = tt->mutable_shape()->add_dim();
    if (d > 0) {
      dim->set_dim_value(d);
    } else {
      dim->set_dim_param("n");
    }
  }
}

TEST(OnnxImport, IntegerBoolAndSymbolicInputs) {
  onnx::ModelProto m = test::empty_model(3, 0, 0);
  add_input(m, "ids", onnx::TensorProto::INT64, {0, 5});
  add_input(m, "flags", onnx::TensorProto::BOOL, {2});
  add_input(m, "image", onnx::TensorProto::FLOAT, {0, 3, 0, 0});
  add_input(m, "count", onnx::TensorProto::INT32, {});
  test::add_node(m, "Relu", "r", {"x"}, {"y"});
  test::add_output(m, "y");
  const OnnxModel model = parsed(m);
  graph::Graph g = graph::import_onnx(model);
  ASSERT_EQ(g.inputs.size(), 5u);
  const graph::Value &ids = g.value(g.inputs[1]), &flags = g.value(g.inputs[2]),
                     &image = g.value(g.inputs[3]), &count = g.value(g.inputs[4]);
  EXPECT_EQ(ids.type, graph::DataType::i64);
  EXPECT_EQ(ids.shape, (graph::Shape{-1, 5}));
  EXPECT_FALSE(ids.shape_known);
  EXPECT_EQ(flags.type, graph::DataType::i64);
  EXPECT_TRUE(flags.shape_known);
  EXPECT_EQ(image.shape, (graph::Shape{-1, 3, -1, -1}));
  EXPECT_EQ(count.type, graph::DataType::i64);
  EXPECT_TRUE(count.shape.empty());

  graph::ImportOptions o;
  o.batch = 4;
  o.shapes["image"] = {4, 3, 10, 20};
  g = graph::import_onnx(model, o);
  EXPECT_EQ(g.value(g.inputs[1]).shape, (graph::Shape{4, 5}));  // the batch: rank >= 2 inputs
  EXPECT_EQ(g.value(g.inputs[3]).shape, (graph::Shape{4, 3, 10, 20}));
  EXPECT_TRUE(g.value(g.inputs[3]).shape_known);
  EXPECT_EQ(g.value(g.inputs[2]).shape, (graph::Shape{2}));  // rank 1: no batch

  o.shapes["image"] = {4, 2, 10, 20};
  try {
    graph::import_onnx(model, o);
    ADD_FAILURE() << "accepted 2 channels";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "'tiny.onnx': input 'image': dimension 1 is 3 (fixed by the model), the "
                  "shape given, [4, 2, 10, 20], has 2"),
              std::string::npos)
        << e.what();
  }

  onnx::ModelProto rankless = m;
  rankless.mutable_graph()->mutable_input(4)->mutable_type()->mutable_tensor_type()->clear_shape();
  EXPECT_NE(error_of([&] {
              graph::import_onnx(parsed(rankless));
            }).find("input 'count' declares no shape; give it in the session options' shapes"),
            std::string::npos);
  graph::ImportOptions given;
  given.shapes["count"] = {1};
  const graph::Graph with_rank = graph::import_onnx(parsed(rankless), given);
  EXPECT_EQ(with_rank.value(with_rank.inputs[4]).shape, (graph::Shape{1}));

  onnx::ModelProto strings = test::empty_model(3, 0, 0);
  add_input(strings, "names", onnx::TensorProto::STRING, {2});
  test::add_node(strings, "Relu", "r", {"x"}, {"y"});
  test::add_output(strings, "y");
  EXPECT_NE(error_of([&] {
              graph::import_onnx(parsed(strings));
            }).find("input 'names' has element type 8; onexn runs float, integer and bool inputs"),
            std::string::npos);
}

}  // namespace
}  // namespace onexn
