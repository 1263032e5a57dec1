// Timing for the benchmarks: median wall time of repeated runs after warm-up runs.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace onexn::bench {

template <typename F>
double median_ms(F&& run, int warmup, int runs) {
  for (int i = 0; i < warmup; ++i) run();
  std::vector<double> ms;
  ms.reserve(runs);
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

}  // namespace onexn::bench
