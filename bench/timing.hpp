// Timing for the benchmarks: medians of repeated runs after warm-up runs.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace onexn::bench {

// Times each function `timed` times and returns each one's median in ms. The runs are done in
// `blocks` rounds; in a round each function gets `warmup` untimed runs (its data back in cache,
// its threads awake) and then its share of the timed runs, back to back. Rounds spread every
// implementation over the same stretch of time, so a burst of outside load (another VM on the
// host, a daemon) cannot land on one implementation only.
inline std::vector<double> blocked_median_ms(const std::vector<std::function<void()>>& runs,
                                             int warmup, int timed, int blocks = 3) {
  std::vector<std::vector<double>> ms(runs.size());
  for (int b = 0; b < blocks; ++b) {
    const int share = timed / blocks + (b < timed % blocks ? 1 : 0);
    for (size_t i = 0; i < runs.size(); ++i) {
      for (int w = 0; w < warmup; ++w) runs[i]();
      for (int t = 0; t < share; ++t) {
        const auto start = std::chrono::steady_clock::now();
        runs[i]();
        ms[i].push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      }
    }
  }
  std::vector<double> medians;
  for (auto& m : ms) {
    std::nth_element(m.begin(), m.begin() + m.size() / 2, m.end());
    medians.push_back(m[m.size() / 2]);
  }
  return medians;
}

}  // namespace onexn::bench
