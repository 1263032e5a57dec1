// Channel flow analysis: which channel dimensions of a model are tied together, and which
// constants must change when a set of tied channels is permuted.
//
// Every activation with a channel axis (axis 1 of NCHW tensors, and of [N, C*inner] tensors made
// by Flatten) carries a list of segments: runs of channels that belong to one channel set. Most
// tensors are one segment; a Concat along channels concatenates its inputs' segments. A channel
// set is a group of tensors that must be permuted by the same permutation for the network to
// compute the same function. What each op does is its ChannelRole (channel_role.hpp), which the
// op states where the runtime registers it:
//   - a Conv or ConvTranspose (one group), Gemm or MatMul starts a new set at its output (it is
//     the set's producer: its output channels can be reordered freely);
//   - BatchNormalization, elementwise activations, pooling, depthwise convs (channel i -> i),
//     spatial Pad and Reduce* pass the set through;
//   - Add / Sub / Mul / Div / Max / Min / Sum over full-channel inputs tie their sets (residual
//     adds, squeeze-and-excitation scales);
//   - Flatten (and a Reshape equal to it) passes the set on with each channel spanning `inner`
//     columns;
//   - anything else (Transpose, other Reshapes, Split / Slice on channels, grouped convs, ops
//     registered without a role) is a barrier: the sets it reads and writes are fixed.
// Graph inputs and outputs are fixed. A set is permutable when it is not fixed, has at least
// one producer, and every constant it would change is read by exactly one node input (see
// ChannelFlow::shared and unshare_constants).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "graph/channel_role.hpp"
#include "graph/ir.hpp"
#include "onexn/onnx_model.hpp"

namespace onexn::graph {

// One constant to permute along one axis: channel k of the set occupies indices
// [(offset + k) * inner, (offset + k + 1) * inner) of that axis.
struct ChannelEdit {
  std::string tensor;  // initializer / Constant name as stored in the ONNX graph
  int axis = 0;
  int64_t offset = 0;
  int64_t inner = 1;
  std::string node;  // the node reading it, for messages
  std::string role;  // "filters", "input channels", "bias", "BN scale", "per-channel constant", ...
};

// A producer's filters: output channels along `axis` of `tensor` (for the L1 ranking).
struct ChannelProducer {
  std::string node;
  std::string tensor;
  int axis = 0;
};

struct ChannelSet {
  int64_t channels = 0;
  std::vector<ChannelProducer> producers;
  std::vector<ChannelEdit> edits;  // producers' filters and biases, consumers, pass-through params
  std::vector<std::string> tensors;  // activations carrying the set (for reports)
  bool fixed = false;
  std::string fixed_reason;  // why, when fixed
  bool tied = false;         // formed by joining sets (residual add, SE scale, ...)
};

struct ChannelFlow {
  std::vector<ChannelSet> sets;  // one per final set (after joining)
  // Stored tensors that keep an otherwise permutable set fixed because several node inputs read
  // them (torch.onnx merges identical initializers, e.g. the zero biases of untrained layers).
  std::vector<std::string> shared;
};

// The role of an op type (the runtime's registry: runtime::channel_role).
using ChannelRoleOf = std::function<ChannelRole(std::string_view op_type)>;

// Analyses `shaped`, the graph of `model` as imported, with every value's shape inferred and
// constants folded (the runtime does both; this analysis only reads the result), asking
// `role_of` what each node's op does.
ChannelFlow analyze_channel_flow(const OnnxModel& model, const Graph& shaped,
                                 const ChannelRoleOf& role_of);

// Gives every node input that reads one of `names` (directly or through Identity / Constant
// nodes) after the first its own copy of the tensor, named NAME.onexn_copyK, and re-indexes the
// model's weighted layers. The function is unchanged; the file grows by the copies.
void unshare_constants(OnnxModel& model, const std::vector<std::string>& names);

}  // namespace onexn::graph
