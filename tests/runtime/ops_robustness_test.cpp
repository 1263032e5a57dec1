// Malformed nodes: random inputs (ranks, sizes including 0, types, constant or not, omitted),
// random attributes (names the ops read, values of any kind, out of range), random output counts.
// infer must either accept the node or throw onexn::Error; an accepted node must create and run
// without touching memory it does not own (the sanitizer build checks that) and write every
// output element.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <random>

#include "onexn/error.hpp"
#include "ops_harness.hpp"

namespace onexn::test {
namespace {

struct OpSpec {
  std::string op;
  int min_inputs, max_inputs, max_outputs;
  std::vector<std::string> attrs;
};

// Each op with its input counts and the attributes it reads (plus one it does not).
const std::vector<OpSpec> kOps = {
    {"Relu", 1, 1, 1, {}},
    {"Clip", 1, 3, 1, {"min", "max"}},
    {"Sigmoid", 1, 1, 1, {}},
    {"HardSigmoid", 1, 1, 1, {"alpha", "beta"}},
    {"HardSwish", 1, 1, 1, {}},
    {"Add", 2, 2, 1, {"broadcast", "axis"}},
    {"Sub", 2, 2, 1, {"broadcast", "axis"}},
    {"Mul", 2, 2, 1, {"broadcast", "axis"}},
    {"Div", 2, 2, 1, {"broadcast", "axis"}},
    {"Identity", 1, 1, 1, {}},
    {"Dropout", 1, 3, 2, {"ratio", "seed", "is_test"}},
    {"Cast", 1, 1, 1, {"to"}},
    {"MaxPool",
     1,
     1,
     2,
     {"kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode", "storage_order"}},
    {"AveragePool",
     1,
     1,
     1,
     {"kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode",
      "count_include_pad"}},
    {"GlobalAveragePool", 1, 1, 1, {}},
    {"GlobalMaxPool", 1, 1, 1, {}},
    {"ReduceMean", 1, 2, 1, {"axes", "keepdims", "noop_with_empty_axes"}},
    {"Shape", 1, 1, 1, {"start", "end"}},
    {"Gather", 2, 2, 1, {"axis"}},
    {"Unsqueeze", 1, 2, 1, {"axes"}},
    {"Squeeze", 1, 2, 1, {"axes"}},
    {"Concat", 1, 4, 1, {"axis"}},
    {"Split", 1, 2, 4, {"axis", "split", "num_outputs"}},
    {"Slice", 1, 5, 1, {"starts", "ends", "axes"}},
    {"Reshape", 1, 2, 1, {"shape", "allowzero"}},
    {"Flatten", 1, 1, 1, {"axis"}},
    {"Transpose", 1, 1, 1, {"perm"}},
    {"Pad", 1, 4, 1, {"mode", "pads", "value"}},
    {"Gemm", 2, 3, 1, {"alpha", "beta", "transA", "transB"}},
    {"MatMul", 2, 2, 1, {}},
    {"BatchNormalization", 5, 5, 3, {"epsilon", "momentum", "training_mode", "spatial"}},
    {"Softmax", 1, 1, 1, {"axis"}},
    {"Sqrt", 1, 1, 1, {}},
    {"Exp", 1, 1, 1, {}},
    {"Log", 1, 1, 1, {}},
    {"Tanh", 1, 1, 1, {}},
    {"Erf", 1, 1, 1, {}},
    {"Reciprocal", 1, 1, 1, {}},
    {"Floor", 1, 1, 1, {}},
    {"Neg", 1, 1, 1, {}},
    {"Abs", 1, 1, 1, {}},
    {"LeakyRelu", 1, 1, 1, {"alpha"}},
    {"Elu", 1, 1, 1, {"alpha"}},
    {"Selu", 1, 1, 1, {"alpha", "gamma"}},
    {"Softplus", 1, 1, 1, {}},
    {"PRelu", 2, 2, 1, {}},
    {"Pow", 2, 2, 1, {"broadcast", "axis"}},
    {"Equal", 2, 2, 1, {"broadcast", "axis"}},
    {"Greater", 2, 2, 1, {"broadcast", "axis"}},
    {"LessOrEqual", 2, 2, 1, {}},
    {"Not", 1, 1, 1, {}},
    {"And", 2, 2, 1, {"broadcast", "axis"}},
    {"Xor", 2, 2, 1, {}},
    {"Where", 3, 3, 1, {}},
    {"Min", 1, 4, 1, {}},
    {"Sum", 1, 4, 1, {}},
    {"Mean", 1, 4, 1, {}},
    {"Resize", 1, 4, 1, {"mode", "coordinate_transformation_mode", "nearest_mode"}},
    {"Upsample", 1, 2, 1, {"mode", "scales"}},
    {"ReduceSum", 1, 2, 1, {"axes", "keepdims", "noop_with_empty_axes"}},
    {"ReduceMax", 1, 2, 1, {"axes", "keepdims"}},
    {"ReduceL2", 1, 2, 1, {"axes", "keepdims"}},
    {"ReduceLogSumExp", 1, 2, 1, {"axes", "keepdims"}},
    {"ArgMax", 1, 1, 1, {"axis", "keepdims", "select_last_index"}},
    {"GatherElements", 2, 2, 1, {"axis"}},
    {"Expand", 2, 2, 1, {}},
    {"Tile", 2, 2, 1, {}},
    {"DepthToSpace", 1, 1, 1, {"blocksize", "mode"}},
    {"SpaceToDepth", 1, 1, 1, {"blocksize"}},
    {"ConstantOfShape", 1, 1, 1, {"value"}},
    {"Range", 3, 3, 1, {}},
    {"Size", 1, 1, 1, {}},
    {"InstanceNormalization", 3, 3, 1, {"epsilon"}},
    {"LayerNormalization", 2, 3, 3, {"axis", "epsilon", "stash_type"}},
};

TEST(OpsRobustness, MalformedNodesFailCleanly) {
  std::mt19937 rng(2024);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto small_ints = [&](int n, int lo, int hi) {
    std::vector<int64_t> v(n);
    for (auto& x : v) x = pick(lo, hi);
    return v;
  };
  int accepted = 0, rejected = 0;
  std::map<std::string, int> accepted_by_op;
  for (int trial = 0; trial < 70000; ++trial) {
    const OpSpec& spec = kOps[trial % kOps.size()];
    const std::string& op = spec.op;
    OneNode n(op, pick(0, 3) == 0 ? pick(1, 12) : pick(13, 18));
    // Ops whose valid nodes random inputs rarely make: a plausible node, then random attributes.
    const bool plausible = pick(0, 9) < 7;
    auto dim = [&] { return int64_t(pick(0, 12) == 0 ? 0 : pick(1, 5)); };
    if (plausible && (op == "MaxPool" || op == "AveragePool")) {
      const int spatial = pick(1, 2);
      Shape x = {dim(), dim()};
      std::vector<int64_t> kernel;
      for (int d = 0; d < spatial; ++d) {
        x.push_back(pick(1, 7));
        kernel.push_back(pick(1, 3));
      }
      n.input(random_floats(x, trial)).attr("kernel_shape", kernel);
    } else if (plausible && op == "BatchNormalization") {
      Shape x = {dim(), dim()};
      for (int d = 0, r = pick(0, 2); d < r; ++d) x.push_back(dim());
      n.input(random_floats(x, trial));
      for (int k = 0; k < 4; ++k) {
        const Constant p =
            random_floats({pick(0, 9) == 0 ? x[1] + 1 : x[1]}, trial + k, 0.1f, 1.0f);
        if (pick(0, 1))
          n.constant(p);
        else
          n.input(p);
      }
    } else if (plausible && (op == "Gemm" || op == "MatMul")) {
      const int64_t M = dim(), K = dim(), N = dim();
      const bool ta = op == "Gemm" && pick(0, 1), tb = op == "Gemm" && pick(0, 1);
      n.input(random_floats(ta ? Shape{K, M} : Shape{M, K}, trial));
      const Constant b =
          random_floats(tb ? Shape{N, K + (pick(0, 9) == 0)} : Shape{K, N}, trial + 1);
      if (pick(0, 1))
        n.constant(b);
      else
        n.input(b);
      if (op == "Gemm") {
        n.attr("transA", int64_t(ta)).attr("transB", int64_t(tb));
        if (pick(0, 1)) n.constant(random_floats(pick(0, 1) ? Shape{N} : Shape{M, 1}, trial + 2));
      }
    } else if (plausible && op == "Slice") {
      Shape x;
      for (int d = 0, r = pick(1, 4); d < r; ++d) x.push_back(dim());
      const int k = pick(0, int(x.size()));
      n.input(random_floats(x, trial))
          .constant(ints({k}, small_ints(k, -6, 6)))
          .constant(ints({k}, small_ints(k, -6, 6)));
      if (pick(0, 1)) n.constant(ints({k}, small_ints(k, -4, 3)));
      if (pick(0, 1)) n.constant(ints({k}, small_ints(k, -3, 3)));
    } else if (plausible && op == "Pad") {
      Shape x;
      for (int d = 0, r = pick(0, 4); d < r; ++d) x.push_back(dim());
      const int64_t r = int64_t(x.size());
      n.input(random_floats(x, trial)).constant(ints({2 * r}, small_ints(int(2 * r), -2, 3)));
      if (pick(0, 1)) n.constant(floats({}, {0.5f}));
      const char* modes[] = {"constant", "reflect", "edge"};
      n.attr("mode", modes[pick(0, 2)]);
    } else if (plausible && (op == "Resize" || op == "Upsample")) {
      Shape x;
      for (int d = 0, r = pick(1, 4); d < r; ++d) x.push_back(dim());
      const int r = int(x.size());
      n.input(random_floats(x, trial));
      std::vector<float> scales;  // sometimes one too many
      for (int d = 0, k = pick(0, 5) == 0 ? r + 1 : r; d < k; ++d)
        scales.push_back(float(pick(1, 8)) * 0.5f);
      if (op == "Resize" && pick(0, 1)) n.omitted();  // roi (opset >= 11)
      if (op == "Resize" && pick(0, 2) == 0) {
        n.omitted().constant(ints({r}, small_ints(r, 0, 6)));
      } else {
        n.constant(floats({int64_t(scales.size())}, scales));
      }
      const char* modes[] = {"nearest", "linear", "cubic"};
      n.attr("mode", modes[pick(0, 2)]);
    } else if (plausible && (op == "DepthToSpace" || op == "SpaceToDepth")) {
      n.input(random_floats({dim(), 4 * pick(0, 2), 2 * pick(0, 2), 2 * pick(0, 2)}, trial));
      n.attr("blocksize", int64_t(pick(0, 3)));
    } else if (plausible && (op == "LayerNormalization" || op == "InstanceNormalization")) {
      Shape x;
      for (int d = 0, r = pick(1, 4); d < r; ++d) x.push_back(dim());
      n.input(random_floats(x, trial));
      const Shape p = op == "LayerNormalization" ? Shape{x.back()} : Shape{x.size() > 1 ? x[1] : 1};
      for (int k = 0; k < (op == "LayerNormalization" ? pick(1, 2) : 2); ++k) {
        if (pick(0, 1)) {
          n.constant(random_floats(p, trial + k));
        } else {
          n.input(random_floats(p, trial + k));
        }
      }
    } else if (plausible && (op == "Expand" || op == "Tile" || op == "GatherElements")) {
      Shape x;
      for (int d = 0, r = pick(1, 4); d < r; ++d) x.push_back(dim());
      const int r = int(x.size());
      n.input(random_floats(x, trial));
      if (op == "GatherElements") {
        Shape is = x;
        for (auto& d : is) d = std::min<int64_t>(d, pick(0, 3));
        n.constant(ints(is, small_ints(int(graph::numel(is)), -2, 2)));
      } else {
        n.constant(ints({r}, small_ints(r, op == "Tile" ? -1 : 0, 3)));
      }
    } else if (plausible && op == "ConstantOfShape") {
      const int r = pick(0, 3);
      n.constant(ints({r}, small_ints(r, -1, 4)));
    } else if (plausible && op == "Range") {
      const bool f = pick(0, 1);
      for (int k = 0; k < 3; ++k) {
        const int v = pick(-6, 6);
        n.constant(f ? floats({}, {float(v) * 0.5f}) : ints({}, {int64_t(v)}));
      }
    }
    const int inputs = !n.empty()        ? 0
                       : pick(0, 9) == 0 ? pick(0, 6)
                                         : pick(spec.min_inputs, spec.max_inputs);
    Shape first;
    for (int d = 0, r = pick(0, 4); d < r; ++d) first.push_back(pick(0, 12) == 0 ? 0 : pick(1, 5));
    for (int k = 0; k < inputs; ++k) {
      const int what = pick(0, 9);
      Shape s = first;  // mostly shapes related to the first input's
      if (k > 0 && pick(0, 2) == 0) {
        s.clear();
        for (int d = 0, r = pick(0, 4); d < r; ++d) s.push_back(pick(0, 12) == 0 ? 0 : pick(1, 5));
      } else if (k > 0 && pick(0, 1) == 0 && !s.empty()) {
        s[pick(0, int(s.size()) - 1)] = 1;
      }
      if (k > 0 && what == 0) {
        n.omitted();
      } else if (k > 0 && what <= 4) {
        Shape is = pick(0, 1) ? Shape{pick(0, 5)} : Shape{};  // shape-like: a vector or a scalar
        n.constant(ints(is, small_ints(int(graph::numel(is)), -4, 5)));
      } else if (what == 5) {
        n.constant(random_floats(s, trial * 7 + k));
      } else if (what == 6 && k == 0) {
        n.constant(ints(s, small_ints(int(graph::numel(s)), -4, 5)));
      } else {
        n.input(random_floats(s, trial * 7 + k));
      }
    }
    for (int a = 0, count = pick(0, 3); a < count; ++a) {
      const std::string name = spec.attrs.empty() || pick(0, 19) == 0
                                   ? "unknown_attr"
                                   : spec.attrs[pick(0, int(spec.attrs.size()) - 1)];
      switch (pick(0, 9)) {
        case 0:
          n.attr(name, float(pick(-3, 3)) * 0.5f);
          break;
        case 1: {
          static const char* strings[] = {"NOTSET",   "VALID",   "SAME_UPPER", "SAME_LOWER",
                                          "constant", "reflect", "edge",       "x"};
          n.attr(name, strings[pick(0, 7)]);
          break;
        }
        case 2:
        case 3:
        case 4:
          n.attr(name, int64_t(pick(-3, 5)));
          break;
        default:
          n.attr(name, small_ints(pick(0, 4), -2, 4));
          break;
      }
    }
    n.outputs(pick(0, 4) == 0 ? pick(1, spec.max_outputs + 1) : 1);
    if (pick(0, 9) == 0) n.omit_output(0);
    graph::Graph g;
    try {
      g = n.inferred();
    } catch (const Error&) {
      ++rejected;
      continue;
    } catch (const std::exception& e) {
      ADD_FAILURE() << op << ": infer threw a non-onexn exception: " << e.what();
      continue;
    }
    ++accepted;
    ++accepted_by_op[op];
    std::vector<Constant> out;
    try {
      out = n.run(1 + trial % 2);
    } catch (const Error&) {
      continue;  // a run-time check (e.g. an index out of range, integer division by zero)
    } catch (const std::exception& e) {
      ADD_FAILURE() << op << ": create/run threw: " << e.what();
      continue;
    }
    for (size_t k = 0; k < out.size(); ++k) {
      if (g.nodes[0].outputs[k] < 0) continue;
      const Constant& c = out[k];
      // The harness poisons outputs with NaN / -777777: every element must have been written
      // (Shape's constant output is returned as infer set it).
      bool written = true;
      if (c.type == DataType::i64) {
        for (int64_t v : c.i) written &= v != -777777;
      } else {
        bool input_nan = false;  // NaN may come from the input itself (0/0, mean of nothing)
        for (int id : g.nodes[0].inputs)
          if (id >= 0 && graph::numel(g.value(id).shape) == 0) input_nan = true;
        // Sqrt, Log and Pow of negative values are NaN.
        if (op != "Div" && op != "ReduceMean" && op != "GlobalAveragePool" && op != "Softmax" &&
            op != "BatchNormalization" && op != "LayerNormalization" &&
            op != "InstanceNormalization" && op != "Sqrt" && op != "Log" && op != "Pow" &&
            !input_nan) {
          for (float v : c.f) written &= !std::isnan(v);
        }
      }
      EXPECT_TRUE(written) << op << ": output " << k << " has unwritten elements";
    }
  }
  std::cout << "accepted " << accepted << ", rejected " << rejected << "; accepted per op:";
  for (const auto& [op, count] : accepted_by_op) std::cout << " " << op << " " << count;
  std::cout << "\n";
  EXPECT_GT(accepted, 4000);
  for (const OpSpec& spec : kOps) EXPECT_GT(accepted_by_op[spec.op], 10) << spec.op;
}

}  // namespace
}  // namespace onexn::test

namespace onexn::test {
namespace {

TEST(OpsRobustness, HugeOutputsFailInInfer) {
  const auto err = [](const OneNode& n) { return error_of([&] { n.shapes(); }); };
  const int64_t big = std::numeric_limits<int64_t>::max();
  const Constant x = random_floats({1, 2}, 1);
  EXPECT_NE(
      err(OneNode("Pad").input(x).constant(ints({4}, {0, 0, 0, int64_t{1} << 41}))).find("2^40"),
      std::string::npos);
  EXPECT_NE(err(OneNode("Pad").input(x).constant(ints({4}, {0, 0, 0, big}))).find("overflows"),
            std::string::npos);
  // broadcasting two long vectors: [2^21, 1] + [1, 2^21] is 2^42 elements
  const Constant col = random_floats({int64_t{1} << 21, 1}, 2),
                 row = random_floats({1, int64_t{1} << 21}, 3);
  EXPECT_NE(err(OneNode("Add").input(col).input(row)).find("2^40"), std::string::npos);
  EXPECT_NE(err(OneNode("MatMul").input(col).input(row)).find("2^40"), std::string::npos);
  EXPECT_NE(err(OneNode("Reshape").input(x).constant(ints({3}, {big, big, 0})).attr("allowzero", 1))
                .find("overflows"),
            std::string::npos);
  EXPECT_NE(err(OneNode("MaxPool")
                    .input(random_floats({1, 1, 4, 4}, 4))
                    .attr("kernel_shape", std::vector<int64_t>{big, 2}))
                .find("above 2^31"),
            std::string::npos);
}

}  // namespace
}  // namespace onexn::test
