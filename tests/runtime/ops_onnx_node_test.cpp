// The runtime's ops against ONNX's own node test data: every case directory under
// <testdata>/node whose model is a single node of an op of src/runtime/ops (Conv is tested with the
// kernels). Each case runs twice:
//   run-time: float32 inputs are graph inputs (activations); integer inputs become initializers,
//             as shape-like inputs are in real models; the node is inferred and its kernel run;
//   folded:   every input an initializer; infer_and_fold computes the outputs as constants.
// Outputs are compared with output_K.pb: float32 to 1e-5 relative (max |ours - ref| / max |ref|),
// integers and bools exactly, float16 and float64 (Cast's outputs, which onexn holds as float32)
// exactly after converting the reference to float32. Integer inputs (int64, int32, bool) load as
// int64 constants, as the importer loads integer initializers.
//
// A case is skipped only for a stated reason: an input type onexn does not run (uint8, double,
// float16, strings, sequences), or an entry of kUnsupported, where infer must fail with the
// message given (an unsupported attribute or mode, not a wrong result). Any other failure to load,
// infer or run, and any mismatch, fails the test; so does an op running fewer cases than its
// stated minimum.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "graph/onnx_import.hpp"
#include "graph/onnx_tensor.hpp"
#include "onexn/error.hpp"
#include "onexn/onnx_model.hpp"
#include "ops_harness.hpp"
#include "runtime/conv_op.hpp"
#include "runtime/prepare.hpp"
#include "support/test_support.hpp"

namespace onexn::test {
namespace {

namespace fs = std::filesystem;

// Cases onexn does not support, with the text infer's error must contain.
const std::map<std::string, std::string> kUnsupported = {
    // pytorch-converted
    {"test_AvgPool3d", "1-D and 2-D windows"},
    {"test_AvgPool3d_stride", "1-D and 2-D windows"},
    {"test_AvgPool3d_stride1_pad0_gpu_input", "1-D and 2-D windows"},
    {"test_MaxPool3d", "1-D and 2-D windows"},
    {"test_MaxPool3d_stride", "1-D and 2-D windows"},
    {"test_MaxPool3d_stride_padding", "1-D and 2-D windows"},
    // node
    {"test_averagepool_3d_default", "1-D and 2-D windows"},
    {"test_maxpool_3d_default", "1-D and 2-D windows"},
    {"test_maxpool_with_argmax_2d_precomputed_pads", "output 1 (Indices)"},
    {"test_maxpool_with_argmax_2d_precomputed_strides", "output 1 (Indices)"},
    {"test_batchnorm_epsilon_training_mode", "training"},
    {"test_batchnorm_example_training_mode", "training"},
    {"test_cast_FLOAT_to_BFLOAT16", "attribute 'to' = 16 (BFLOAT16)"},
    {"test_cast_FLOAT_to_STRING", "attribute 'to' = 8 (STRING)"},
    {"test_training_dropout", "training_mode) is true"},
    {"test_training_dropout_default", "training_mode) is true"},
    {"test_training_dropout_default_mask", "training_mode) is true"},
    {"test_training_dropout_mask", "training_mode) is true"},
    {"test_training_dropout_zero_ratio", "training_mode) is true"},
    {"test_training_dropout_zero_ratio_mask", "training_mode) is true"},
};

// Float inputs that fix the output's shape, by node input position: initializers in run-time
// mode too, as they are in real models (onexn fixes every shape at load time). Resize's roi
// stays a run-time input: tf_crop_and_resize reads it per run.
const std::map<std::string, std::set<int>> kShapeInputs = {
    {"Range", {0, 1, 2}}, {"Resize", {2}}, {"Upsample", {1}}};

// Cases where onexn computes what ONNX Runtime and PyTorch compute, not ONNX's reference: Resize
// with align_corners and scales that give no whole number of output positions maps coordinates
// with the integer output length (the reference: input length x scale). Output 0 is compared
// with ONNX Runtime 1.30's output instead (ops_resize_test checks the same against PyTorch).
const std::map<std::string, std::vector<float>> kOnnxRuntimeOutputs = {
    {"test_resize_downsample_scales_cubic_align_corners", {1, 2.5, 4, 7, 8.5, 10, 13, 14.5, 16}},
    {"test_resize_downsample_scales_linear_align_corners", {1, 4}},
};

// The fewest cases that must run per op (ONNX 1.12 test data; see the table the test prints).
// Skipped, by input type: Cast's cases from float16 / float64 / bfloat16 / strings, Min's and Max's
// int8 / int16 / unsigned / float16 / float64 cases, Pow's unsigned exponents, the uint8 Add, Sub,
// Mul, Div (ops_elementwise_test and ops_math_test cover what those would). ReduceLogSumExp's
// cases are float64 (ops_reduce_test covers it). One entry per line, so that slices adding ops
// merge cleanly.
const std::map<std::string, int> kMinimumRan = {
    {"Abs", 1},
    {"Add", 2},
    {"And", 8},
    {"ArgMax", 16},
    {"ArgMin", 16},
    {"AveragePool", 12},
    {"BatchNormalization", 2},
    {"Cast", 2},
    {"Ceil", 2},
    {"Clip", 8},
    {"Concat", 12},
    {"ConstantOfShape", 3},
    {"DepthToSpace", 4},
    {"Div", 3},
    {"Dropout", 6},
    {"Elu", 3},
    {"Equal", 2},
    {"Erf", 1},
    {"Exp", 2},
    {"Expand", 2},
    {"Flatten", 9},
    {"Floor", 2},
    {"Gather", 4},
    {"GatherElements", 3},
    {"Gemm", 11},
    {"GlobalAveragePool", 2},
    {"GlobalMaxPool", 2},
    {"Greater", 2},
    {"GreaterOrEqual", 2},
    {"HardSigmoid", 3},
    {"HardSwish", 1},
    {"Identity", 1},
    {"InstanceNormalization", 2},
    {"LayerNormalization", 19},
    {"LeakyRelu", 3},
    {"Less", 2},
    {"LessOrEqual", 2},
    {"Log", 2},
    {"MatMul", 3},
    {"Max", 6},
    {"MaxPool", 11},
    {"Mean", 3},
    {"Min", 6},
    {"Mul", 3},
    {"Neg", 2},
    {"Not", 3},
    {"Or", 8},
    {"PRelu", 2},
    {"Pad", 3},
    {"Pow", 12},
    {"Range", 2},
    {"Reciprocal", 2},
    {"ReduceL1", 8},
    {"ReduceL2", 8},
    {"ReduceLogSum", 5},
    {"ReduceLogSumExp", 0},
    {"ReduceMax", 8},
    {"ReduceMean", 8},
    {"ReduceMin", 8},
    {"ReduceProd", 8},
    {"ReduceSum", 10},
    {"ReduceSumSquare", 8},
    {"Relu", 1},
    {"Reshape", 10},
    {"Resize", 22},
    {"Selu", 3},
    {"Shape", 10},
    {"Sigmoid", 2},
    {"Size", 2},
    {"Slice", 8},
    {"Softmax", 7},
    {"Softplus", 2},
    {"SpaceToDepth", 2},
    {"Split", 7},
    {"Sqrt", 2},
    {"Squeeze", 2},
    {"Sub", 3},
    {"Sum", 3},
    {"Tanh", 2},
    {"Tile", 2},
    {"Transpose", 7},
    {"Unsqueeze", 8},
    {"Upsample", 1},
    {"Where", 2},
    {"Xor", 8},
};

const char* type_name(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT:
      return "float32";
    case onnx::TensorProto::UINT8:
      return "uint8";
    case onnx::TensorProto::INT8:
      return "int8";
    case onnx::TensorProto::INT32:
      return "int32";
    case onnx::TensorProto::INT64:
      return "int64";
    case onnx::TensorProto::STRING:
      return "string";
    case onnx::TensorProto::BOOL:
      return "bool";
    case onnx::TensorProto::FLOAT16:
      return "float16";
    case onnx::TensorProto::DOUBLE:
      return "float64";
    case onnx::TensorProto::BFLOAT16:
      return "bfloat16";
    case onnx::TensorProto::UINT16:
      return "uint16";
    case onnx::TensorProto::INT16:
      return "int16";
    default:
      return "another type";
  }
}

bool is_integer(int t) {
  return t == onnx::TensorProto::INT64 || t == onnx::TensorProto::INT32 ||
         t == onnx::TensorProto::BOOL;
}

onnx::TensorProto read_proto(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::TensorProto t;
  if (!in || !t.ParseFromIstream(&in)) throw std::runtime_error("cannot read " + path.string());
  return t;
}

// Integer data (int64, int32, bool) of a TensorProto, as int64.
std::vector<int64_t> proto_ints(const onnx::TensorProto& t) {
  const int64_t n = detail::tensor_numel(t);
  std::vector<int64_t> v(n);
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::INT64:
      if (t.has_raw_data()) {
        if (raw.size() != size_t(n) * 8) throw std::runtime_error("int64 raw_data size");
        std::memcpy(v.data(), raw.data(), raw.size());
      } else {
        v.assign(t.int64_data().begin(), t.int64_data().end());
      }
      break;
    case onnx::TensorProto::INT32:
      for (int64_t k = 0; k < n; ++k) {
        int32_t x;
        if (t.has_raw_data()) {
          std::memcpy(&x, raw.data() + 4 * k, 4);
        } else {
          x = t.int32_data(static_cast<int>(k));
        }
        v[k] = x;
      }
      break;
    case onnx::TensorProto::BOOL:
      for (int64_t k = 0; k < n; ++k)
        v[k] = t.has_raw_data() ? uint8_t(raw[k]) : t.int32_data(static_cast<int>(k));
      break;
    default:
      throw std::runtime_error(std::string("not an integer tensor: ") + type_name(t.data_type()));
  }
  if (static_cast<int64_t>(v.size()) != n) throw std::runtime_error("integer data size");
  return v;
}

Constant to_constant(const onnx::TensorProto& t) {
  Shape shape(t.dims().begin(), t.dims().end());
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    if (graph::numel(shape) == 0) return Constant::floats(shape, {});
    return Constant::floats(shape, detail::tensor_floats(t, "test data"));
  }
  return Constant::ints(shape, proto_ints(t));
}

// A float16 bit pattern as a float (IEEE binary16: 1 sign, 5 exponent, 10 mantissa bits).
float half_to_float(uint16_t h) {
  const int exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  const float sign = (h & 0x8000) ? -1.0f : 1.0f;
  if (exponent == 0) return sign * std::ldexp(float(mantissa), -24);
  if (exponent == 31) return mantissa ? std::nanf("") : sign * INFINITY;
  return sign * std::ldexp(float(mantissa + 1024), exponent - 25);
}

// Data of a float16 or float64 TensorProto, converted to float32 (exactly: every float16 and every
// float64 that Cast from float32 produces is a float32 value).
std::vector<float> wide_or_half_floats(const onnx::TensorProto& t) {
  const int64_t n = detail::tensor_numel(t);
  std::vector<float> v(n);
  const std::string& raw = t.raw_data();
  const size_t elem = t.data_type() == onnx::TensorProto::FLOAT16 ? 2 : 8;
  if (t.has_raw_data() ? raw.size() != size_t(n) * elem
                       : (elem == 2 ? t.int32_data_size() : t.double_data_size()) != n) {
    throw std::runtime_error("float16 / float64 data size");
  }
  for (int64_t k = 0; k < n; ++k) {
    if (t.data_type() == onnx::TensorProto::FLOAT16) {
      uint16_t h;
      if (t.has_raw_data()) {
        std::memcpy(&h, raw.data() + 2 * k, 2);
      } else {
        h = static_cast<uint16_t>(t.int32_data(static_cast<int>(k)));
      }
      v[k] = half_to_float(h);
    } else {
      double d;
      if (t.has_raw_data()) {
        std::memcpy(&d, raw.data() + 8 * k, 8);
      } else {
        d = t.double_data(static_cast<int>(k));
      }
      v[k] = static_cast<float>(d);
    }
  }
  return v;
}

// Compares one output; "" when it matches.
std::string compare(const Constant& ours, const onnx::TensorProto& ref) {
  const Shape ref_shape(ref.dims().begin(), ref.dims().end());
  if (ours.shape != ref_shape) {
    return fmt::format("shape {} vs expected {}", graph::shape_string(ours.shape),
                       graph::shape_string(ref_shape));
  }
  if (ref.data_type() == onnx::TensorProto::FLOAT) {
    if (ours.type != DataType::f32) return "type int64 vs expected float32";
    const double e = rel_error(ours, to_constant(ref));
    return e <= 1e-5 ? "" : fmt::format("relative error {:.3g}", e);
  }
  if (ref.data_type() == onnx::TensorProto::FLOAT16 ||
      ref.data_type() == onnx::TensorProto::DOUBLE) {
    if (ours.type != DataType::f32) return "type int64 vs expected a float type";
    return ours.f == wide_or_half_floats(ref)
               ? ""
               : std::string("values differ from the ") + type_name(ref.data_type()) + " reference";
  }
  if (!is_integer(ref.data_type()))
    return std::string("expected output of type ") + type_name(ref.data_type());
  const std::vector<int64_t> want = proto_ints(ref);
  // A bool output (Dropout's mask) is float32 ones and zeros in onexn.
  const std::vector<int64_t> got =
      ours.type == DataType::i64 ? ours.i : std::vector<int64_t>(ours.f.begin(), ours.f.end());
  if (ours.type == DataType::f32) {
    for (float x : ours.f)
      if (x != 0.0f && x != 1.0f) return "float output of an integer reference is not 0/1";
  }
  return got == want ? "" : "integer values differ";
}

struct CaseResult {
  std::string op;
  std::string skipped;  // reason, when skipped
  std::string failure;  // when it failed
};

// Runs the live nodes of an inferred graph on `inputs` (graph input name -> data); returns the
// value of every graph output.
std::vector<Constant> run_graph(const graph::Graph& g,
                                const std::map<std::string, Constant>& inputs, int threads) {
  std::map<int, Constant> computed;
  for (const graph::Node& node : g.nodes) {
    if (node.dead) continue;
    auto kernel = runtime::find_op(node.op)->create(g, node);
    std::vector<runtime::TensorView> ins, outs;
    auto view_of = [](Constant& c) {
      runtime::TensorView v;
      v.type = c.type;
      v.shape = c.shape;
      v.f = c.type == DataType::f32 ? c.f.data() : nullptr;
      v.i = c.type == DataType::i64 ? c.i.data() : nullptr;
      return v;
    };
    std::vector<Constant> in_copies(node.inputs.size());
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int id = node.inputs[k];
      if (id < 0) {
        ins.emplace_back();
        continue;
      }
      const graph::Value& v = g.value(id);
      if (v.constant) {
        in_copies[k] = *v.constant;
      } else if (computed.count(id)) {
        in_copies[k] = computed.at(id);
      } else {
        in_copies[k] = inputs.at(v.name);
      }
      ins.push_back(view_of(in_copies[k]));
    }
    for (int id : node.outputs) {
      if (id < 0) {
        outs.emplace_back();
        continue;
      }
      const graph::Value& v = g.value(id);
      Constant& c = computed[id];
      c.type = v.type;
      c.shape = v.shape;
      if (v.type == DataType::f32) {
        c.f.assign(graph::numel(v.shape), std::nanf(""));
      } else {
        c.i.assign(graph::numel(v.shape), -777777);
      }
      outs.push_back(view_of(c));
    }
    std::vector<float> scratch(std::max<int64_t>(kernel->scratch_floats(), 1));
    runtime::RunContext ctx;
    ctx.threads = threads;
    ctx.scratch = scratch.data();
    kernel->run(ins, outs, ctx);
  }
  std::vector<Constant> out;
  for (int id : g.outputs) {
    if (g.value(id).constant) {
      out.push_back(*g.value(id).constant);
    } else if (computed.count(id)) {
      out.push_back(computed.at(id));
    } else {
      throw std::runtime_error("output '" + g.value(id).name + "' was not computed");
    }
  }
  return out;
}

// single_node: a node test, ours when its one node is. Otherwise a whole model, ours when every
// node is (Constant nodes are the importer's).
CaseResult run_case(const fs::path& dir, const std::set<std::string>& ops, bool single_node) {
  CaseResult r;
  const std::string name = dir.filename().string();
  OnnxModel model = OnnxModel::load(dir / "model.onnx");
  onnx::GraphProto& gp = *model.proto().mutable_graph();
  if (single_node) {
    if (gp.node_size() != 1 || !ops.count(gp.node(0).op_type())) return r;  // not ours
    r.op = gp.node(0).op_type();
  } else {
    for (const auto& n : gp.node()) {
      if (n.op_type() != "Constant" && !ops.count(n.op_type())) return r;
    }
    r.op = dir.parent_path().filename().string();
  }

  // Inputs: graph inputs (not initializers) in order <-> input_K.pb.
  std::set<std::string> initialized;
  for (const auto& t : gp.initializer()) initialized.insert(t.name());
  std::vector<std::string> names;
  std::vector<int> declared;  // element types
  for (const auto& in : gp.input()) {
    if (initialized.count(in.name())) continue;
    if (!in.type().has_tensor_type()) {
      r.skipped = fmt::format("input '{}' is not a tensor (sequence or optional)", in.name());
      return r;
    }
    names.push_back(in.name());
    declared.push_back(in.type().tensor_type().elem_type());
  }
  std::vector<onnx::TensorProto> data;
  for (size_t k = 0; k < names.size(); ++k) {
    const fs::path p = dir / "test_data_set_0" / fmt::format("input_{}.pb", k);
    if (!fs::exists(p)) {
      // A graph input without data (CastLike's 'like' in the expanded cases).
      const int t = declared[k];
      if (t != onnx::TensorProto::FLOAT) {
        r.skipped = fmt::format("input {} is {}", k, type_name(t));
        return r;
      }
      r.failure = "missing " + p.string();
      return r;
    }
    data.push_back(read_proto(p));
    const int t = data.back().data_type();
    if (t != onnx::TensorProto::FLOAT && !is_integer(t)) {
      r.skipped = fmt::format("input {} is {}", k, type_name(t));
      return r;
    }
  }
  for (size_t k = 0; k < names.size(); ++k) {
    if (declared[k] != onnx::TensorProto::FLOAT && !is_integer(declared[k])) {
      r.skipped = fmt::format("graph input '{}' is {}", names[k], type_name(declared[k]));
      return r;
    }
  }
  std::vector<onnx::TensorProto> expected;
  for (int k = 0; k < gp.output_size(); ++k) {
    expected.push_back(read_proto(dir / "test_data_set_0" / fmt::format("output_{}.pb", k)));
  }
  if (const auto ort = kOnnxRuntimeOutputs.find(name); ort != kOnnxRuntimeOutputs.end()) {
    onnx::TensorProto& t = expected.at(0);
    t.clear_raw_data();
    t.clear_float_data();
    for (float v : ort->second) t.add_float_data(v);
  }
  // Node input positions of the graph inputs that fix the output's shape.
  std::set<std::string> shape_inputs;
  if (single_node && kShapeInputs.count(r.op)) {
    for (int k : kShapeInputs.at(r.op)) {
      if (k < gp.node(0).input_size()) shape_inputs.insert(gp.node(0).input(k));
    }
  }

  // Two models: integer inputs as initializers (run-time), or every input (folded). A model left
  // without a float input gets an unused one: the importer wants at least one.
  auto make_model = [&](bool all_constant) {
    OnnxModel m = OnnxModel::parse(model.serialize(), name);
    onnx::GraphProto& mg = *m.proto().mutable_graph();
    auto runtime_input = [&](size_t k) {
      return data[k].data_type() == onnx::TensorProto::FLOAT && !shape_inputs.count(names[k]);
    };
    for (size_t k = 0; k < names.size(); ++k) {
      if (!all_constant && runtime_input(k)) continue;
      onnx::TensorProto t = data[k];
      t.set_name(names[k]);
      *mg.add_initializer() = t;
    }
    bool float_input = false;
    for (size_t k = 0; k < names.size(); ++k) float_input |= !all_constant && runtime_input(k);
    if (!float_input) {
      auto* in = mg.add_input();
      in->set_name("onexn_unused_input");
      in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
      in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(1);
    }
    return m;
  };

  auto check_outputs = [&](const std::vector<Constant>& got, const char* mode) {
    for (size_t k = 0; k < expected.size() && r.failure.empty(); ++k) {
      const std::string diff = compare(got.at(k), expected[k]);
      if (!diff.empty()) r.failure = fmt::format("{}: output {}: {}", mode, k, diff);
    }
  };

  const auto unsupported = kUnsupported.find(name);
  try {
    // Run-time mode. The importer fixes a zero batch dim to 1, so inputs with a zero-size dim
    // (e.g. test_split_zero_size_splits) run folded only.
    bool zero_dims = false;
    std::map<std::string, Constant> inputs;
    for (size_t k = 0; k < names.size(); ++k) {
      if (data[k].data_type() != onnx::TensorProto::FLOAT || shape_inputs.count(names[k])) continue;
      inputs[names[k]] = to_constant(data[k]);
      for (int64_t d : data[k].dims()) zero_dims |= d == 0;
    }
    if (!zero_dims) {
      OnnxModel m = make_model(false);
      graph::Graph g = graph::import_onnx(m);  // the models declare fixed input shapes
      for (int id : g.inputs) {
        if (!inputs.count(g.value(id).name)) continue;  // the unused input
        if (g.value(id).shape != inputs.at(g.value(id).name).shape) {
          r.failure = "imported input shape differs from the test data";
          return r;
        }
      }
      runtime::infer_and_fold(g);
      if (unsupported != kUnsupported.end()) {
        r.failure =
            "expected to be unsupported (" + unsupported->second + ") but infer accepted it";
        return r;
      }
      check_outputs(run_graph(g, inputs, 1), "run-time");
      if (r.failure.empty()) check_outputs(run_graph(g, inputs, 2), "run-time, 2 threads");
      if (!r.failure.empty()) return r;
    }
    OnnxModel m = make_model(true);
    graph::Graph g = graph::import_onnx(m);
    runtime::infer_and_fold(g);
    if (unsupported != kUnsupported.end()) {
      r.failure = "expected to be unsupported (" + unsupported->second + ") but infer accepted it";
      return r;
    }
    std::vector<Constant> got;
    for (int id : g.outputs) {
      if (!g.value(id).constant)
        throw std::runtime_error("folding left output '" + g.value(id).name + "'");
      got.push_back(*g.value(id).constant);
    }
    check_outputs(got, "folded");
  } catch (const Error& e) {
    const std::string what = e.what();
    if (unsupported != kUnsupported.end() && what.find(unsupported->second) != std::string::npos) {
      r.skipped = "unsupported: " + what.substr(what.find(": node") + 2);
    } else {
      r.failure = "error: " + what;
    }
  } catch (const std::exception& e) {
    r.failure = std::string("exception: ") + e.what();
  }
  return r;
}

struct Count {
  int ran = 0, skipped = 0;
};

// Runs every case under `root`; returns the counts per op (or per directory for whole models).
std::map<std::string, Count> run_cases(const fs::path& root, bool single_node) {
  std::set<std::string> ops;
  for (const std::string& op : runtime::supported_ops()) {
    if (!runtime::is_conv_op(op)) ops.insert(op);  // tested with the kernels and the session
  }
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory() && fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  std::map<std::string, Count> counts;
  if (single_node) {
    for (const std::string& op : ops) counts[op];
  }
  for (const fs::path& dir : dirs) {
    const CaseResult r = run_case(dir, ops, single_node);
    if (r.op.empty()) continue;
    Count& c = counts[r.op];
    if (!r.failure.empty()) {
      ADD_FAILURE() << dir.filename().string() << " (" << r.op << "): " << r.failure;
    } else if (!r.skipped.empty()) {
      ++c.skipped;
      std::cout << "  skipped " << dir.filename().string() << ": " << r.skipped << "\n";
    } else {
      ++c.ran;
    }
  }
  std::cout << fmt::format("{:<20} {:>4} {:>8}\n", single_node ? "op" : "models", "ran", "skipped");
  int total_ran = 0, total_skipped = 0;
  for (const auto& [op, c] : counts) {
    std::cout << fmt::format("{:<20} {:>4} {:>8}\n", op, c.ran, c.skipped);
    total_ran += c.ran;
    total_skipped += c.skipped;
  }
  std::cout << fmt::format("{:<20} {:>4} {:>8}\n", "total", total_ran, total_skipped);
  return counts;
}

TEST(OpsOnnxNodeTests, EveryCaseOfOurOpsMatches) {
  const fs::path root = onnx_testdata_dir() / "node";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  for (const auto& [op, c] : run_cases(root, true)) {
    const auto min = kMinimumRan.find(op);
    ASSERT_NE(min, kMinimumRan.end()) << "no minimum stated for op " << op;
    EXPECT_GE(c.ran, min->second) << op << ": fewer cases ran than the stated minimum";
  }
}

// Models of older opsets (6 to 12) whose nodes are all ours: PyTorch's converted module tests and
// operator tests (legacy attributes: Gemm / Add 'broadcast', BatchNormalization 'is_test', Slice
// and Split attributes, Clip 'min' / 'max'), and multi-node graphs (GLU, PixelShuffle, addmm).
TEST(OpsOnnxNodeTests, PytorchModelsOfOurOpsMatch) {
  const std::map<std::string, int> minimum = {
      {"pytorch-converted", 45}, {"pytorch-operator", 23}, {"simple", 5}};
  for (const auto& [dir, min] : minimum) {
    const fs::path root = onnx_testdata_dir() / dir;
    ASSERT_TRUE(fs::is_directory(root)) << root;
    const auto counts = run_cases(root, false);
    const int ran = counts.count(dir) ? counts.at(dir).ran : 0;
    EXPECT_GE(ran, min) << dir << ": fewer models ran than the stated minimum";
  }
}

}  // namespace
}  // namespace onexn::test
