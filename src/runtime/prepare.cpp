#include "runtime/prepare.hpp"

#include <fmt/format.h>

#include "graph/onnx_import.hpp"
#include "graph/passes/passes.hpp"
#include "onexn/error.hpp"
#include "runtime/op.hpp"

namespace onexn::runtime {
namespace {

// Runs one node on constant inputs and stores its outputs as constants.
void fold(graph::Graph& g, graph::Node& node, const OpDef& def) {
  std::vector<graph::Constant> out(node.outputs.size());
  std::vector<TensorView> in_views, out_views;
  std::vector<graph::Constant*> ins;
  for (int id : node.inputs) {
    TensorView v;
    if (id >= 0) {
      graph::Constant& c = *g.value(id).constant;
      v.type = c.type;
      v.shape = c.shape;
      v.f = c.type == DataType::f32 ? c.f.data() : nullptr;
      v.i = c.type == DataType::i64 ? c.i.data() : nullptr;
    }
    in_views.push_back(v);
  }
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    TensorView v;
    if (node.outputs[k] >= 0) {
      const graph::Value& val = g.value(node.outputs[k]);
      out[k].type = val.type;
      out[k].shape = val.shape;
      if (val.type == DataType::f32) {
        out[k].f.resize(val.shape.empty() ? 1 : graph::numel(val.shape));
        v.f = out[k].f.data();
      } else {
        out[k].i.resize(val.shape.empty() ? 1 : graph::numel(val.shape));
        v.i = out[k].i.data();
      }
      v.type = val.type;
      v.shape = val.shape;
    }
    out_views.push_back(v);
  }
  const std::unique_ptr<OpKernel> kernel = def.create(g, node);
  std::vector<float> scratch(std::max<int64_t>(kernel->scratch_floats(), 1));
  RunContext ctx;
  ctx.scratch = scratch.data();
  kernel->run(in_views, out_views, ctx);
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    if (node.outputs[k] >= 0) g.value(node.outputs[k]).constant = std::move(out[k]);
  }
  node.dead = true;
}

}  // namespace

void infer_and_fold(graph::Graph& g) {
  for (int id : g.inputs) {
    const graph::Value& v = g.value(id);
    if (!v.shape_known) {
      throw Error(fmt::format("{}: input '{}' has shape {} (-1: symbolic); shapes are inferred "
                              "once every input size is known",
                              g.name, v.name, graph::shape_string(v.shape)));
    }
  }
  for (graph::Node& node : g.nodes) {
    if (node.dead) continue;
    const OpDef* def = find_op(node.op);
    if (!def) {
      throw Error(fmt::format("{}: {}: op type '{}' is not supported by onexn", g.name, node.where(),
                              node.op));
    }
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      if (node.inputs[k] >= 0 && !g.value(node.inputs[k]).shape_known) {
        fail(g, node, fmt::format("input '{}' has no known shape", g.value(node.inputs[k]).name));
      }
    }
    def->infer(g, node);
    bool all_outputs_constant = true, all_inputs_constant = true;
    for (int id : node.outputs)
      if (id >= 0 && !g.value(id).constant) all_outputs_constant = false;
    for (int id : node.inputs)
      if (id >= 0 && !g.value(id).constant) all_inputs_constant = false;
    if (all_outputs_constant) {
      node.dead = true;  // e.g. Shape: its output follows from shapes alone
    } else if (all_inputs_constant) {
      fold(g, node, *def);
    }
  }
  g.compact();
}

std::vector<std::string> unsupported_nodes(const graph::Graph& g) {
  std::vector<std::string> out;
  for (const graph::Node& node : g.nodes) {
    if (!node.dead && !find_op(node.op)) out.push_back(node.where());
  }
  return out;
}

graph::Graph import_supported(const OnnxModel& model, const graph::ImportOptions& options) {
  graph::Graph g = graph::import_onnx(model, options);
  const auto missing = unsupported_nodes(g);
  if (!missing.empty()) {
    throw Error(fmt::format("{}: {} node{} with an op onexn does not support; the first: {}", g.name,
                            missing.size(), missing.size() == 1 ? "" : "s", missing.front()));
  }
  return g;
}

void prepare_imported(graph::Graph& g, bool fuse) {
  infer_and_fold(g);
  if (fuse) graph::run_passes(g);
}

graph::Graph prepare_graph(const OnnxModel& model, const PrepareOptions& options) {
  graph::ImportOptions io;
  io.batch = options.batch;
  graph::Graph g = import_supported(model, io);
  prepare_imported(g, options.fuse);
  return g;
}

}  // namespace onexn::runtime
