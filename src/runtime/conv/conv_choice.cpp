#include "runtime/conv/conv_choice.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "kernels/aligned_buffer.hpp"
#include "onexn/error.hpp"
#include "runtime/conv/conv_tuning_key.hpp"
#include "runtime/tuning_cache.hpp"

namespace onexn::runtime {
namespace {

struct Ready {
  const ConvCandidate* candidate;
  ConvCandidate::Built built;
};

struct Fastest {
  size_t index = 0;
  double ms = 0;
};

// Times every candidate on the layer's shape (with a residual when the layer has one): two warm-up
// rounds, then the best of five rounds (the minimum, robust to a burst of outside load); a round
// runs every candidate once, so that a noisy period of the host slows all candidates rather than
// the one timed during it. The first candidate is the cost model's pick; another must beat it by
// 5% to replace it, so that noise does not flip a choice between kernels of about the same speed.
Fastest fastest(const ConvLayer& l, std::vector<Ready>& ready) {
  AlignedBuffer x(l.input_numel()), y(l.output_numel());
  for (int64_t i = 0; i < l.input_numel(); ++i) x[i] = float((i * 7919) % 2003) / 2003.0f - 0.5f;
  std::optional<AlignedBuffer> residual;
  if (l.has_residual) {
    residual.emplace(l.output_numel());
    for (int64_t i = 0; i < l.output_numel(); ++i) (*residual)[i] = float((i * 104729) % 1009) / 1009.0f - 0.5f;
  }
  // The candidates run one after another: one scratch, of the largest size, serves them all.
  int64_t scratch_floats = 0;
  for (const Ready& r : ready) scratch_floats = std::max(scratch_floats, r.built.scratch);
  AlignedBuffer scratch(scratch_floats);
  std::vector<double> ms(ready.size(), INFINITY);
  for (int round = 0; round < 7; ++round) {
    for (size_t k = 0; k < ready.size(); ++k) {
      const auto start = std::chrono::steady_clock::now();
      ready[k].built.run(x.data(), y.data(), residual ? residual->data() : nullptr, l.threads, scratch.data());
      const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (round >= 2) ms[k] = std::min(ms[k], t);
    }
  }
  size_t best = 0;
  for (size_t k = 0; k < ready.size(); ++k) {
    if (ms[k] < ms[best] * 0.95) best = k;
  }
  return {best, ms[best]};
}

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

// The scalar reference is last by its cost and runs only when nothing else does: it is never
// timed against the others.
bool is_timed(const ConvCandidate& c) { return c.implementation != "reference"; }

// Without tuning the first that builds; with tuning every one that builds, except the reference
// (when anything else builds).
std::vector<Ready> build_ready(const std::vector<ConvCandidate>& candidates, bool tune) {
  std::vector<Ready> ready;
  for (const ConvCandidate& c : candidates) {
    if (!is_timed(c) && !ready.empty()) break;
    std::optional<ConvCandidate::Built> b = c.build();
    if (!b) continue;
    ready.push_back({&c, std::move(*b)});
    if (!tune) break;
  }
  return ready;
}

// Timing allocates and frees megabytes per layer (the losing candidates, input, output and
// scratch buffers). glibc keeps freed memory of that size in its heap once its thresholds have
// grown, so without this the memory a load holds grows with every timed layer: MobileNetV2's
// peak went from 80 to 96 MB.
void return_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

ConvChoice choice_of(const ConvCandidate& c, ConvCandidate::Built built, std::string tuning) {
  return {c.implementation, c.block_size, std::move(built), std::move(tuning)};
}

// The cache's choice for the layer when its candidate is still among these and builds.
std::optional<ConvChoice> cached_choice(const TuningCache& cache, const std::string& key,
                                        const std::vector<ConvCandidate>& candidates) {
  const std::optional<TuningCache::Found> found = cache.find(key);
  if (!found) return std::nullopt;
  for (const ConvCandidate& c : candidates) {
    if (c.implementation != found->conv.implementation || c.block_size != found->conv.block_size ||
        c.variant != found->conv.variant || !is_timed(c))
      continue;
    std::optional<ConvCandidate::Built> b = c.build();
    if (!b) return std::nullopt;
    return choice_of(c, std::move(*b), found->from_file ? "cached" : "shared");
  }
  return std::nullopt;
}

// The choice among `candidates`; nullopt when none builds.
std::optional<ConvChoice> choose_among(const ConvLayer& layer, const std::vector<ConvCandidate>& candidates,
                                       const ConvChoiceOptions& options) {
  const bool timing = options.tune && std::count_if(candidates.begin(), candidates.end(), is_timed) > 1;
  std::string key;
  if (timing && options.tuning) {
    key = conv_tuning_key(layer, candidates);
    if (std::optional<ConvChoice> c = cached_choice(*options.tuning, key, candidates)) return c;
  }
  std::vector<Ready> ready = build_ready(candidates, options.tune);
  if (ready.empty()) return std::nullopt;
  if (ready.size() == 1) return choice_of(*ready[0].candidate, std::move(ready[0].built), "");
  const Fastest best = fastest(layer, ready);
  Ready& r = ready[best.index];
  if (!key.empty()) {
    options.tuning->record(key, {r.candidate->implementation, r.candidate->block_size, r.candidate->variant,
                                 r.built.name, best.ms});
  }
  ConvChoice choice = choice_of(*r.candidate, std::move(r.built), "timed");
  ready.clear();
  return_freed_memory();
  return choice;
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
  if (forced) {
    if (std::optional<ConvChoice> c = choose_among(layer, candidates_of(layer, forced, options.dense_only), options))
      return std::move(*c);
  }
  if (std::optional<ConvChoice> c = choose_among(layer, candidates_of(layer, nullptr, options.dense_only), options))
    return std::move(*c);
  throw Error(fmt::format("convolution {}: no implementation runs it", layer.to_string()));
}

}  // namespace onexn::runtime
