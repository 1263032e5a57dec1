#include "runtime/conv/conv_choice.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "kernels/aligned_buffer.hpp"
#include "onexn/error.hpp"

namespace onexn::runtime {
namespace {

struct Ready {
  const ConvCandidate* candidate;
  ConvCandidate::Built built;
};

// Times every candidate on the layer's shape: two warm-up rounds, then the best of five rounds
// (the minimum, robust to a burst of outside load); a round runs every candidate once, so that a
// noisy period of the host slows all candidates rather than the one timed during it. The first
// candidate is the cost model's pick; another must beat it by 5% to replace it, so that noise does
// not flip a choice between kernels of about the same speed.
size_t fastest(const ConvLayer& l, std::vector<Ready>& ready) {
  AlignedBuffer x(l.input_numel()), y(l.output_numel());
  for (int64_t i = 0; i < l.input_numel(); ++i) x[i] = float((i * 7919) % 2003) / 2003.0f - 0.5f;
  std::vector<AlignedBuffer> scratch;
  for (const Ready& r : ready) scratch.emplace_back(r.built.scratch);
  std::vector<double> ms(ready.size(), INFINITY);
  for (int round = 0; round < 7; ++round) {
    for (size_t k = 0; k < ready.size(); ++k) {
      const auto start = std::chrono::steady_clock::now();
      ready[k].built.run(x.data(), y.data(), nullptr, l.threads, scratch[k].data());
      const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (round >= 2) ms[k] = std::min(ms[k], t);
    }
  }
  size_t best = 0;
  for (size_t k = 0; k < ready.size(); ++k) {
    if (ms[k] < ms[best] * 0.95) best = k;
  }
  return best;
}

}  // namespace

namespace {

// The candidates of the entries that apply, cheapest prediction first (the choice without tuning,
// and the default a timed candidate must clearly beat).
std::vector<ConvCandidate> candidates_of(const ConvLayer& layer, const ConvImplementation* only,
                                         bool dense_only) {
  std::vector<ConvCandidate> out;
  for (const ConvImplementation& impl : conv_implementations()) {
    if ((only && &impl != only) || (dense_only && !impl.dense && !only)) continue;
    if (impl.declines(layer).empty()) impl.candidates(layer, out);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ConvCandidate& a, const ConvCandidate& b) { return a.predicted < b.predicted; });
  return out;
}

// Without tuning the first that builds; with tuning every one that builds, except the scalar
// reference (last by its cost), which runs only when nothing else does.
std::vector<Ready> build_ready(const std::vector<ConvCandidate>& candidates, bool tune) {
  std::vector<Ready> ready;
  for (const ConvCandidate& c : candidates) {
    if (c.implementation == "reference" && !ready.empty()) break;
    std::optional<ConvCandidate::Built> b = c.build();
    if (!b) continue;
    ready.push_back({&c, std::move(*b)});
    if (!tune) break;
  }
  return ready;
}

}  // namespace

ConvChoice choose_conv(const ConvLayer& layer, const ConvChoiceOptions& options) {
  const ConvImplementation* forced = nullptr;
  if (!options.force.empty()) {
    forced = find_conv_implementation(options.force);
    if (!forced) {
      throw InvalidArgument(fmt::format("conv implementation '{}' does not exist (one of: {})", options.force,
                                        conv_implementation_names()));
    }
  }
  // The forced entry when it applies and builds; otherwise the whole list.
  std::vector<ConvCandidate> candidates;
  std::vector<Ready> ready;
  if (forced) {
    candidates = candidates_of(layer, forced, options.dense_only);
    ready = build_ready(candidates, options.tune);
  }
  if (ready.empty()) {
    candidates = candidates_of(layer, nullptr, options.dense_only);
    ready = build_ready(candidates, options.tune);
  }
  if (ready.empty()) {
    throw Error(fmt::format("convolution {}: no implementation runs it", layer.to_string()));
  }
  const size_t best = ready.size() > 1 ? fastest(layer, ready) : 0;
  return {ready[best].candidate->implementation, ready[best].candidate->block_size, std::move(ready[best].built)};
}

}  // namespace onexn::runtime
