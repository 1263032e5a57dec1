// Graph-wide filter rearrangement: reorder the output channels of every permutable channel set by
// importance (filter L1 norm), and every tensor that reads or carries those channels with them,
// so the model computes the same function while each block of N output channels holds filters
// of similar importance. See docs/rearrangement.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onexn/onnx_model.hpp"
#include "onexn/weight_shape.hpp"

namespace onexn {

// none: no change. paper: the sets the 1xN paper's method permutes (channels produced by one
// conv and not tied to other convs' outputs by residual adds or channel scales). graph: every
// permutable set, tied sets included, consistently across all their producers and consumers.
enum class RearrangeMode { none, paper, graph };
RearrangeMode parse_rearrange_mode(std::string_view text);  // throws InvalidArgument
const char* to_string(RearrangeMode mode);

struct ChannelSetSummary {
  int64_t channels = 0;
  std::vector<std::string> producers;  // node names of the convs / fc layers producing it
  bool tied = false;                   // joins several producers (residual add, SE scale, ...)
  bool permuted = false;
  std::string reason;  // when not permuted: why (fixed by a graph input / output / op, mode)
  int64_t edited_tensors = 0;
};

struct RearrangeResult {
  std::vector<ChannelSetSummary> sets;
  int permuted_sets = 0;
  int64_t permuted_channels = 0;
  int unshared_tensors = 0;  // constants read by several layers, copied so each can be permuted
};

// The share of a layer's L1 mass its mask would keep for weights `w` (OIHW), or nullopt when the
// layer will not be pruned. Given to rearrange_model, it makes rearrangement never hurt a layer:
// an order is applied only if every producer of the set keeps at least as much as with its
// current order (for a tied set, the summed order and each producer's own order are tried, the
// best total wins); otherwise the set is left as it is.
using KeptShareFn = std::function<std::optional<double>(const std::string& node, ConstWeightView w)>;

struct RearrangeOptions {
  RearrangeMode mode = RearrangeMode::graph;
  KeptShareFn kept_share;  // optional
};

// Permutes the model's weights in place (giving layers that share a constant their own copy of
// it, which invalidates references from weighted_layers()). Throws Error when the graph cannot be
// analysed (it needs the runtime's shape inference, so every op must be supported).
RearrangeResult rearrange_model(OnnxModel& model, const RearrangeOptions& options);
inline RearrangeResult rearrange_model(OnnxModel& model, RearrangeMode mode) {
  return rearrange_model(model, RearrangeOptions{mode, {}});
}

}  // namespace onexn
