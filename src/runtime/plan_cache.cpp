#include "runtime/plan_cache.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "onexn/error.hpp"

namespace onexn::runtime {

std::unique_ptr<AlignedBuffer> PlannedRun::take_arena() const {
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (!pool_.empty()) {
      auto a = std::move(pool_.back());
      pool_.pop_back();
      return a;
    }
  }
  const int64_t floats = plan_.arena_floats + plan_.scratch_floats;
  try {
    return std::make_unique<AlignedBuffer>(floats);
  } catch (const std::bad_alloc&) {
    throw Error(fmt::format("{}: cannot allocate the {:.1f} MB of activation memory a run needs",
                            plan_.graph.name, static_cast<double>(floats) * 4 / 1e6));
  }
}

void PlannedRun::give_back(std::unique_ptr<AlignedBuffer> arena) const {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  pool_.push_back(std::move(arena));
}

std::shared_ptr<const PlannedRun> PlanCache::get(const Key& key) {
  std::promise<std::shared_ptr<const PlannedRun>> promise;
  std::shared_future<std::shared_ptr<const PlannedRun>> run;
  bool build_here = false;
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it =
        std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.key == key; });
    if (it != slots_.end()) {
      slots_.splice(slots_.begin(), slots_, it);  // now the most recently used
      run = it->run;
    } else {
      run = promise.get_future().share();
      id = ++next_id_;
      slots_.push_front(Slot{key, run, id});
      while (slots_.size() > capacity_) slots_.pop_back();
      build_here = true;
    }
  }
  if (build_here) {
    // Built outside the lock: runs of other shapes go on meanwhile.
    try {
      promise.set_value(std::make_shared<const PlannedRun>(build_(key)));
    } catch (...) {
      promise.set_exception(std::current_exception());
      std::lock_guard<std::mutex> lock(mutex_);
      slots_.remove_if([&](const Slot& s) { return s.id == id; });  // a later get tries again
    }
  }
  std::shared_ptr<const PlannedRun> result = run.get();  // rethrows a failed build's error
  std::lock_guard<std::mutex> lock(mutex_);
  latest_ = result;
  return result;
}

std::shared_ptr<const PlannedRun> PlanCache::latest() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return latest_;
}

size_t PlanCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_.size();
}

}  // namespace onexn::runtime
