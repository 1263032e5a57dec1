// The plans of one Session, one per set of input shapes, least recently used dropped beyond a
// bound. A plan (kernel choices, arena layout) depends on every input shape, so a model with
// symbolic dimensions is planned again for each new set of shapes it runs with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "graph/ir.hpp"
#include "kernels/aligned_buffer.hpp"
#include "runtime/plan.hpp"

namespace onexn::runtime {

// A plan with the arenas (activations + scratch) of its finished runs, which later runs reuse:
// as many arenas as runs of this plan were ever at the same time.
class PlannedRun {
 public:
  explicit PlannedRun(Plan plan) : plan_(std::move(plan)) {}
  const Plan& plan() const { return plan_; }
  // An arena of plan().arena_floats + plan().scratch_floats floats; Error when it cannot be had.
  std::unique_ptr<AlignedBuffer> take_arena() const;
  void give_back(std::unique_ptr<AlignedBuffer> arena) const;

 private:
  Plan plan_;
  mutable std::mutex pool_mutex_;
  mutable std::vector<std::unique_ptr<AlignedBuffer>> pool_;
};

class PlanCache {
 public:
  using Key = std::vector<graph::Shape>;  // the shape of every graph input, in graph order
  using Build = std::function<Plan(const Key&)>;

  PlanCache(size_t capacity, Build build) : capacity_(capacity), build_(std::move(build)) {}

  // The plan for `key`, built on a miss. Several threads asking for the same new key wait for
  // one build; other keys are served meanwhile. A build that throws is not cached, and its error
  // reaches every thread waiting for it. The result stays valid while held, evicted or not.
  std::shared_ptr<const PlannedRun> get(const Key& key);
  // The plan `get` returned last; null before the first.
  std::shared_ptr<const PlannedRun> latest() const;
  size_t size() const;

 private:
  struct Slot {
    Key key;
    std::shared_future<std::shared_ptr<const PlannedRun>> run;
    uint64_t id;  // tells a slot from a later one of the same key
  };
  const size_t capacity_;
  const Build build_;
  mutable std::mutex mutex_;
  std::list<Slot> slots_;  // most recently used first
  std::shared_ptr<const PlannedRun> latest_;
  uint64_t next_id_ = 0;
};

}  // namespace onexn::runtime
