// The reference convolution against ONNX's own Conv test data (node tests, PyTorch-converted 1-D
// and 2-D convs, the PyTorch operator test): geometry from the Conv node's attributes, inputs and
// expected outputs from the .pb files. 1-D convs run as 2-D with H = 1. The same real shapes,
// pruned 1x4 at 0.5, check conv2d_1xn_ref against conv2d_dense_ref.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "graph/onnx_tensor.hpp"
#include "onexn/mask.hpp"
#include "kernels/reference/reference_conv.hpp"
#include "onexn/tensor_file.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

// 6 node tests + 11 test_Conv2d* + 8 test_Conv1d* + test_operator_conv.
constexpr int kExpectedCases = 26;

struct ConvCase {
  std::string name;
  ConvParams p;
  std::vector<float> x, w, bias, expected;
};

struct Tensor {
  std::vector<int64_t> dims;
  std::vector<float> data;
};

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": " + what);
}

std::vector<int64_t> ints_attr(const onnx::NodeProto& node, const std::string& name,
                               std::vector<int64_t> fallback) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return fallback;
}

// Begin and end padding of one spatial axis for ONNX's auto_pad modes.
std::pair<int64_t, int64_t> auto_pads(const std::string& mode, int64_t in, int64_t k, int64_t s,
                                      int64_t d) {
  if (mode == "VALID") return {0, 0};
  const int64_t out = (in + s - 1) / s;  // ceil(in / stride)
  const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - in);
  // SAME_UPPER puts the odd extra pad at the end, SAME_LOWER at the beginning.
  return mode == "SAME_UPPER" ? std::pair{total / 2, total - total / 2}
                              : std::pair{total - total / 2, total / 2};
}

ConvCase load_case(const fs::path& dir) {
  const std::string name = dir.filename().string();
  onnx::ModelProto model;
  {
    std::ifstream in(dir / "model.onnx", std::ios::binary);
    if (!in || !model.ParseFromIstream(&in)) fail(name, "cannot read model.onnx");
  }
  const onnx::GraphProto& graph = model.graph();
  if (graph.node_size() != 1 || graph.node(0).op_type() != "Conv") {
    fail(name, "expected a graph of a single Conv node");
  }
  const onnx::NodeProto& node = graph.node(0);

  // Values by name: initializers, then graph inputs that are not initializers, in order, from
  // test_data_set_0/input_K.pb.
  std::map<std::string, Tensor> values;
  std::set<std::string> initializers;
  for (const auto& t : graph.initializer()) {
    initializers.insert(t.name());
    values[t.name()] = {{t.dims().begin(), t.dims().end()}, detail::tensor_floats(t, name)};
  }
  int k = 0;
  for (const auto& input : graph.input()) {
    if (initializers.count(input.name())) continue;
    const FloatTensor t =
        read_tensor_pb(dir / "test_data_set_0" / ("input_" + std::to_string(k++) + ".pb"));
    values[input.name()] = {t.dims, t.data};
  }
  auto value = [&](int i) -> const Tensor& {
    const auto it = values.find(node.input(i));
    if (it == values.end()) fail(name, "no value for Conv input '" + node.input(i) + "'");
    return it->second;
  };
  const Tensor& x = value(0);
  const Tensor& w = value(1);
  const size_t rank = x.dims.size();
  if ((rank != 3 && rank != 4) || w.dims.size() != rank) fail(name, "not a 1-D or 2-D conv");
  const size_t spatial = rank - 2;

  ConvCase c;
  c.name = name;
  c.x = x.data;
  c.w = w.data;
  if (node.input_size() > 2 && !node.input(2).empty()) c.bias = value(2).data;
  ConvParams& p = c.p;
  p.batch = x.dims[0];
  p.c_in = x.dims[1];
  p.c_out = w.dims[0];
  p.groups = 1;
  for (const auto& a : node.attribute())
    if (a.name() == "group") p.groups = a.i();
  std::string auto_pad = "NOTSET";
  for (const auto& a : node.attribute())
    if (a.name() == "auto_pad") auto_pad = a.s();

  // Spatial axes of the attributes, last axis = W. For 1-D convs the H axis is 1 with no padding.
  const std::vector<int64_t> kernel =
      ints_attr(node, "kernel_shape", {w.dims.begin() + 2, w.dims.end()});
  const auto strides = ints_attr(node, "strides", std::vector<int64_t>(spatial, 1));
  const auto dilations = ints_attr(node, "dilations", std::vector<int64_t>(spatial, 1));
  const auto pads = ints_attr(node, "pads", std::vector<int64_t>(2 * spatial, 0));
  if (kernel.size() != spatial || strides.size() != spatial || dilations.size() != spatial ||
      pads.size() != 2 * spatial) {
    fail(name, "attribute lengths do not match the rank");
  }
  const std::vector<int64_t> in(x.dims.begin() + 2, x.dims.end());
  std::vector<int64_t> begin(spatial), end(spatial);
  for (size_t a = 0; a < spatial; ++a) {
    if (auto_pad == "NOTSET") {
      begin[a] = pads[a];
      end[a] = pads[a + spatial];
    } else {
      std::tie(begin[a], end[a]) = auto_pads(auto_pad, in[a], kernel[a], strides[a], dilations[a]);
    }
  }
  const size_t wa = spatial - 1;  // the W axis
  p.w = in[wa];
  p.kw = kernel[wa];
  p.stride_w = strides[wa];
  p.dilation_w = dilations[wa];
  p.pad_left = begin[wa];
  p.pad_right = end[wa];
  if (spatial == 2) {
    p.h = in[0];
    p.kh = kernel[0];
    p.stride_h = strides[0];
    p.dilation_h = dilations[0];
    p.pad_top = begin[0];
    p.pad_bottom = end[0];
  }

  const FloatTensor out = read_tensor_pb(dir / "test_data_set_0" / "output_0.pb");
  std::vector<int64_t> want_dims = {p.batch, p.c_out, p.out_h(), p.out_w()};
  if (spatial == 1) want_dims.erase(want_dims.begin() + 2);
  if (out.dims != want_dims) fail(name, "output_0.pb has dims other than the conv's output");
  c.expected = out.data;
  return c;
}

std::vector<fs::path> case_dirs() {
  const fs::path root = test::onnx_testdata_dir();
  std::vector<fs::path> dirs;
  for (const char* n :
       {"test_basic_conv_with_padding", "test_basic_conv_without_padding",
        "test_conv_with_autopad_same", "test_conv_with_strides_and_asymmetric_padding",
        "test_conv_with_strides_no_padding", "test_conv_with_strides_padding"}) {
    if (fs::is_directory(root / "node" / n)) dirs.push_back(root / "node" / n);
  }
  std::vector<fs::path> converted;
  if (fs::is_directory(root / "pytorch-converted")) {
    for (const auto& e : fs::directory_iterator(root / "pytorch-converted")) {
      const std::string n = e.path().filename().string();
      if (n.starts_with("test_Conv2d") || n.starts_with("test_Conv1d"))
        converted.push_back(e.path());
    }
  }
  std::sort(converted.begin(), converted.end());
  dirs.insert(dirs.end(), converted.begin(), converted.end());
  const fs::path op = root / "pytorch-operator" / "test_operator_conv";
  if (fs::is_directory(op)) dirs.push_back(op);
  return dirs;
}

const std::vector<ConvCase>& cases() {
  static const std::vector<ConvCase> all = [] {
    std::vector<ConvCase> v;
    for (const fs::path& dir : case_dirs()) {
      try {
        v.push_back(load_case(dir));
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cannot load " << dir << ": " << e.what();
      }
    }
    return v;
  }();
  return all;
}

TEST(OnnxConvTestdata, DenseReferenceMatchesOnnxOutputs) {
  const auto& all = cases();
  int ran = 0;
  for (const ConvCase& c : all) {
    SCOPED_TRACE(c.name + " " + c.p.to_string());
    Epilogue e;
    e.bias = c.bias.empty() ? nullptr : c.bias.data();
    std::vector<float> y(c.p.output_numel());
    conv2d_dense_ref(c.p, c.x.data(), c.w.data(), e, y.data());
    EXPECT_LE(test::max_relative_error(y, c.expected), 1e-5);
    ++ran;
  }
  std::cout << "ran " << ran << " ONNX Conv test cases from " << test::onnx_testdata_dir() << "\n";
  EXPECT_GE(ran, kExpectedCases) << "ONNX Conv test data missing or moved";
  // The set covers what it should: grouped, depthwise, 1-D, SAME padding, no bias.
  auto has = [&](const char* n) {
    return std::any_of(all.begin(), all.end(), [&](const ConvCase& c) { return c.name == n; });
  };
  for (const char* n :
       {"test_conv_with_autopad_same", "test_Conv2d_depthwise_with_multiplier",
        "test_Conv2d_groups", "test_Conv1d_groups", "test_Conv2d_no_bias", "test_operator_conv"}) {
    EXPECT_TRUE(has(n)) << n;
  }
}

TEST(OnnxConvTestdata, SparseReferenceMatchesDenseOnPrunedRealShapes) {
  int ran = 0;
  for (const ConvCase& c : cases()) {
    SCOPED_TRACE(c.name + " " + c.p.to_string());
    const WeightShape s = c.p.weight_shape();
    ASSERT_EQ(static_cast<int64_t>(c.w.size()), s.numel());
    const Mask mask = compute_mask(ConstWeightView{c.w.data(), s}, Pattern::one_by_n(4), 0.5);
    auto pruned = c.w;
    apply_mask(WeightView{pruned.data(), s}, mask);
    const Packed1xN packed = pack_1xn(ConstWeightView{c.w.data(), s}, 4, mask);
    Epilogue e;
    e.bias = c.bias.empty() ? nullptr : c.bias.data();
    std::vector<float> dense(c.p.output_numel()), sparse(c.p.output_numel());
    conv2d_dense_ref(c.p, c.x.data(), pruned.data(), e, dense.data());
    conv2d_1xn_ref(c.p, c.x.data(), packed, e, sparse.data());
    EXPECT_LE(test::max_relative_error(sparse, dense), 1e-5);
    ++ran;
  }
  EXPECT_GE(ran, kExpectedCases);
}

}  // namespace
}  // namespace onexn
