#include "runtime/conv/conv_tuning_key.hpp"

#include <fmt/format.h>

#include <cmath>

namespace onexn::runtime {
namespace {

std::string activation_name(const Epilogue& e) {
  switch (e.activation) {
    case Activation::none: return "linear";
    case Activation::relu: return "relu";
    case Activation::relu6: return "relu6";
    case Activation::clip: return fmt::format("clip[{},{}]", e.clip_min, e.clip_max);
    case Activation::hardswish: return "hardswish";
  }
  return "?";
}

std::string pattern_name(const PatternStats& s) {
  if (s.nonzeros == s.numel) return "dense";
  const int n = s.exact_block_size();
  return n > 0 ? fmt::format("1x{}", n) : "unstructured";
}

}  // namespace

std::string conv_candidate_id(const ConvCandidate& c) {
  return fmt::format("{}/{}/{}", c.implementation, c.block_size, c.variant);
}

std::string conv_tuning_key(const ConvLayer& l, const std::vector<ConvCandidate>& candidates) {
  // Rounded, so that layers pruned to one target share their timing (the pattern and the
  // candidates tell a layer without zeros from one with a few).
  const std::string sparsity = fmt::format("{:.2f}", std::round(l.stats.sparsity() * 100) / 100);
  std::string key = fmt::format("{} {} f32 {}{}{} p{} {} |", l.transposed ? "conv_transpose" : "conv",
                                l.to_string(), l.bias.empty() ? "" : "bias ", activation_name(l.epilogue),
                                l.has_residual ? " residual" : "", sparsity, pattern_name(l.stats));
  for (const ConvCandidate& c : candidates) key += " " + conv_candidate_id(c);
  return key;
}

}  // namespace onexn::runtime
