// The execution plan of a prepared graph: one kernel per live node in graph order, and an arena
// layout in which activations whose lifetimes do not overlap share memory.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "graph/ir.hpp"
#include "onexn/session.hpp"
#include "runtime/op.hpp"

namespace onexn::runtime {

struct Step {
  int node = 0;
  std::unique_ptr<OpKernel> kernel;
};

struct Plan {
  graph::Graph graph;
  std::vector<Step> steps;
  // Per value id: arena offset in floats (64-byte aligned); -1 for constants / unused. float32
  // activations take one float of the arena per element, int64 ones two.
  std::vector<int64_t> offset;
  int64_t arena_floats = 0;     // activations of one run
  int64_t scratch_floats = 0;   // the largest kernel scratch (kernels run one after another)
  std::vector<LayerReport> layers;  // one per step
  int64_t weight_bytes_dense = 0, weight_bytes_stored = 0;
};

class TuningCache;

// Creates every kernel (timing conv candidates when options.tune, unless `tuning` has the layer's
// choice; new timings are recorded there) and lays out the arena.
Plan build_plan(graph::Graph g, const SessionOptions& options, TuningCache* tuning = nullptr);

// Runs the plan on an arena of plan.arena_floats floats and a scratch of plan.scratch_floats,
// with the graph inputs already in place. ms: when non-null, each step's time.
void execute_plan(const Plan& plan, float* arena, float* scratch, int threads, std::vector<double>* ms);

}  // namespace onexn::runtime
