#include "runtime/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <list>

#include "onexn/error.hpp"
#include "runtime/conv_op.hpp"

namespace onexn::runtime {
namespace {

constexpr int64_t kAlignFloats = 16;  // 64 bytes

int64_t aligned(int64_t floats) { return (std::max<int64_t>(floats, 1) + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

// Arena space of an activation, in floats: an int64 element takes two.
int64_t arena_floats_of(const graph::Value& v) {
  const int64_t n = graph::numel(v.shape);
  return v.type == DataType::i64 ? 2 * n : n;
}

// First-fit placement of values with lifetimes [first, last] (step indices) into one arena.
// Values are placed in order of first use; a block is free again after its last use (an output
// never shares memory with an input of the same step).
int64_t lay_out(const graph::Graph& g, const std::vector<int>& first, const std::vector<int>& last,
                std::vector<int64_t>& offset) {
  struct Block {
    int64_t begin, end;  // floats
    int last;
  };
  std::vector<int> order;
  for (size_t v = 0; v < first.size(); ++v)
    if (first[v] != INT32_MAX) order.push_back(static_cast<int>(v));
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return first[a] < first[b]; });
  std::list<Block> live;  // sorted by begin
  int64_t peak = 0;
  for (int v : order) {
    live.remove_if([&](const Block& b) { return b.last < first[v]; });
    const int64_t size = aligned(arena_floats_of(g.value(v)));
    int64_t at = 0;
    auto it = live.begin();
    for (; it != live.end(); ++it) {
      if (it->begin - at >= size) break;
      at = it->end;
    }
    live.insert(it, Block{at, at + size, last[v]});
    offset[v] = at;
    peak = std::max(peak, at + size);
  }
  return peak;
}

// Constants that kernels copied when they were made (OpKernel::copied_inputs: conv weights,
// packed Gemm weights) and that no kernel reads at run time: the graph's copy is dropped (the value
// stays a constant, of no elements) once the last node reading it has its kernel, so that a plan
// holds its weights once, and a load never holds the graph's weights and all kernels' at once.
class ConstantRelease {
 public:
  explicit ConstantRelease(const graph::Graph& g) : readers_(g.values.size(), 0), needed_(g.values.size()) {
    for (const graph::Node& node : g.nodes) {
      if (node.dead) continue;
      for (int id : node.inputs)
        if (id >= 0) ++readers_[id];
    }
    for (int id : g.outputs) needed_[id] = true;
  }

  // After `node`'s kernel is made.
  void made(graph::Graph& g, const graph::Node& node, const OpKernel& kernel) {
    const std::vector<size_t> copied = kernel.copied_inputs();
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int id = node.inputs[k];
      if (id < 0 || !g.value(id).constant) continue;
      if (std::find(copied.begin(), copied.end(), k) == copied.end()) needed_[id] = true;
      if (--readers_[id] > 0 || needed_[id]) continue;
      graph::Constant& c = *g.value(id).constant;
      std::vector<float>().swap(c.f);
      std::vector<int64_t>().swap(c.i);
    }
  }

 private:
  std::vector<int> readers_;  // nodes whose kernels are still to be made
  std::vector<bool> needed_;  // read at run time (or a graph output)
};

}  // namespace

Plan build_plan(graph::Graph g, const SessionOptions& options, TuningCache* tuning) {
  Plan plan;
  ConvKernelOptions conv_options;
  conv_options.dense_only = options.dense;
  conv_options.tune = options.tune;
  conv_options.threads = options.threads;
  conv_options.force = options.conv_implementation;
  conv_options.tuning = tuning;
  ConstantRelease release(g);
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const graph::Node& node = g.nodes[k];
    if (node.dead) continue;
    Step step;
    step.node = static_cast<int>(k);
    LayerReport report;
    report.name = node.name;
    report.op = node.op;
    if (is_conv_op(node.op)) {
      auto conv = make_conv_kernel(g, node, conv_options);
      const ConvLayerInfo& info = conv->info();
      report.kind = info.kind;
      report.implementation = info.implementation;
      report.block_size = info.block_size;
      report.tuning = info.tuning;
      report.sparsity = info.sparsity;
      report.macs = info.dense_macs;
      plan.weight_bytes_dense += info.weight_bytes_dense;
      plan.weight_bytes_stored += info.weight_bytes_stored;
      step.kernel = std::move(conv);
    } else {
      step.kernel = find_op(node.op)->create(g, node);
    }
    release.made(g, node, *step.kernel);
    report.kernel = step.kernel->describe();
    plan.scratch_floats = std::max(plan.scratch_floats, step.kernel->scratch_floats());
    plan.layers.push_back(std::move(report));
    plan.steps.push_back(std::move(step));
  }
  // Weights that are not Conv weights (Gemm, MatMul, ...) count as stored as they are.
  for (const graph::Node& node : g.nodes) {
    if (node.dead || is_conv_op(node.op)) continue;
    for (int id : node.inputs) {
      if (id >= 0 && g.value(id).constant && g.value(id).type == DataType::f32) {
        const int64_t bytes = g.value(id).constant->numel() * 4;
        plan.weight_bytes_dense += bytes;
        plan.weight_bytes_stored += bytes;
      }
    }
  }
  // Lifetimes of the activations, in steps.
  std::vector<int> first(g.values.size(), INT32_MAX), last(g.values.size(), -1);
  for (int id : g.inputs) first[id] = 0;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const graph::Node& node = g.nodes[plan.steps[s].node];
    for (int id : node.inputs)
      if (id >= 0 && !g.value(id).constant) last[id] = std::max(last[id], static_cast<int>(s));
    for (int id : node.outputs)
      if (id >= 0) first[id] = std::min(first[id], static_cast<int>(s)), last[id] = std::max(last[id], static_cast<int>(s));
  }
  for (int id : g.outputs) {
    if (g.value(id).constant) {
      throw Error(fmt::format("{}: output '{}' is a constant; onexn runs models whose outputs depend "
                              "on their inputs", g.name, g.value(id).name));
    }
    last[id] = static_cast<int>(plan.steps.size());
  }
  plan.offset.assign(g.values.size(), -1);
  plan.arena_floats = lay_out(g, first, last, plan.offset);
  plan.graph = std::move(g);
  return plan;
}

void execute_plan(const Plan& plan, float* arena, float* scratch, int threads, std::vector<double>* ms) {
  const graph::Graph& g = plan.graph;
  RunContext ctx;
  ctx.threads = threads;
  ctx.scratch = scratch;
  std::vector<TensorView> ins, outs;
  auto view = [&](int id) {
    TensorView v;
    if (id < 0) return v;
    const graph::Value& val = g.value(id);
    v.type = val.type;
    v.shape = val.shape;
    if (val.constant) {
      // Kernels only read their inputs.
      auto& c = const_cast<graph::Constant&>(*val.constant);
      v.f = c.type == DataType::f32 ? c.f.data() : nullptr;
      v.i = c.type == DataType::i64 ? c.i.data() : nullptr;
    } else if (val.type == DataType::i64) {
      // Offsets are multiples of 64 bytes, so the int64 elements are aligned. The arena is raw
      // storage: a value is only ever written and read as its own type (kernels in separate
      // calls, the session's copies with memcpy).
      v.i = reinterpret_cast<int64_t*>(arena + plan.offset[id]);
    } else {
      v.f = arena + plan.offset[id];
    }
    return v;
  };
  if (ms) ms->assign(plan.steps.size(), 0.0);
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const graph::Node& node = g.nodes[plan.steps[s].node];
    ins.clear();
    outs.clear();
    for (int id : node.inputs) ins.push_back(view(id));
    for (int id : node.outputs) outs.push_back(view(id));
    const auto start = std::chrono::steady_clock::now();
    plan.steps[s].kernel->run(ins, outs, ctx);
    if (ms) (*ms)[s] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
}

}  // namespace onexn::runtime
