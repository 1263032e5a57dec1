// Ops of the runtime: shape inference and a kernel per node, registered by ONNX op type.
//
// Every op has an OpDef: `infer` sets the type and shape of the node's outputs from its inputs
// (and, for ops whose result depends on shapes only, such as Shape, the output constant);
// `create` builds the node's kernel once shapes are known. Kernels run on TensorViews. At load
// time, a node whose inputs are all constants is run once on them (constant folding), so ops that
// appear in shape computations (Shape, Gather, Unsqueeze, Concat, Slice, Reshape, Cast, Mul, ...)
// also handle int64 tensors. At run time activations are float32 or int64 (bool tensors are int64
// tensors of 0 / 1); ops defined on integers take int64 run-time inputs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "graph/channel_role.hpp"
#include "graph/ir.hpp"

namespace onexn::runtime {

using graph::ChannelRole;
using graph::DataType;
using graph::Shape;

struct TensorView {
  DataType type = DataType::f32;
  Shape shape;
  float* f = nullptr;    // f32 data (row-major)
  int64_t* i = nullptr;  // i64 data
  int64_t numel() const { return graph::numel(shape); }
};

struct RunContext {
  int threads = 1;
  float* scratch = nullptr;  // the kernel's scratch_floats(), 64-byte aligned
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  // inputs[k] is node input k (type f32 with `f` set, or i64 with `i` set; an omitted optional
  // input has both null); outputs are allocated by the caller with the inferred shapes.
  virtual void run(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                   const RunContext& ctx) const = 0;
  virtual int64_t scratch_floats() const { return 0; }
  // What runs, for tables: e.g. "1x16 sparse (AVX3 16x1 padded)" or "oneDNN brg:avx512_core".
  virtual std::string describe() const { return {}; }
  // Inputs (by index) the kernel copied when it was made and never reads when it runs: packed or
  // reordered weights. A plan drops the graph's copy of such a constant once no kernel reads it.
  virtual std::vector<size_t> copied_inputs() const { return {}; }
};

struct OpDef {
  // Sets type, shape and shape_known of every output value (and `constant` when the output
  // follows from shapes alone). Throws onexn::Error naming the node (node.where()) for
  // attributes it does not support or inputs of the wrong rank or type.
  void (*infer)(graph::Graph& g, const graph::Node& node);
  // The kernel for a node whose shapes are known. Throws onexn::Error as infer does.
  std::unique_ptr<OpKernel> (*create)(const graph::Graph& g, const graph::Node& node);
  // How the op moves channels, for rearrangement (see graph/channel_role.hpp). An op registered
  // as {infer, create} is a barrier; say e.g. {infer, create, ChannelRole::unary} otherwise.
  graph::ChannelRole channel_role = graph::ChannelRole::barrier;
};

// nullptr when onexn has no such op.
const OpDef* find_op(std::string_view op_type);
std::vector<std::string> supported_ops();
// The registered role of an op; barrier for an op onexn does not have.
graph::ChannelRole channel_role(std::string_view op_type);

// Registration, one function per op family (src/runtime/ops/*.cpp).
struct OpTable;
void add_op(OpTable& table, std::string_view op_type, OpDef def);

// The largest tensor any op may produce (elements).
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 40;

// Helpers for infer functions. set_output fails for negative sizes or more than
// kMaxTensorElements elements.
const graph::Value& input_value(const graph::Graph& g, const graph::Node& node, size_t k);
void set_output(graph::Graph& g, const graph::Node& node, size_t k, DataType type, Shape shape);
// Throws Error "<model>: node 'x' (Op): <what>".
[[noreturn]] void fail(const graph::Graph& g, const graph::Node& node, const std::string& what);

}  // namespace onexn::runtime
