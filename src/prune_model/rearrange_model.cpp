// Graph-wide rearrangement. src/prune_model/ sits above the runtime: the channel analysis
// (src/graph/channel_flow.hpp) reads the shapes the runtime infers and the channel role each op
// registered with it.
#include "onexn/rearrange_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "graph/channel_flow.hpp"
#include "graph/onnx_import.hpp"
#include "graph/onnx_model_impl.hpp"
#include "graph/onnx_tensor.hpp"
#include "onexn/error.hpp"
#include "onexn/rearrange.hpp"
#include "runtime/op.hpp"
#include "runtime/prepare.hpp"

namespace onexn {
namespace {

// A stored float tensor read once, edited by every permutation that touches it, written once.
struct EditedTensor {
  onnx::TensorProto* proto = nullptr;
  std::vector<int64_t> dims;
  std::vector<float> values;
  bool changed = false;
};

class TensorCache {
 public:
  explicit TensorCache(OnnxModel& model) : model_(model) {}

  EditedTensor& get(const std::string& name) {
    auto it = tensors_.find(name);
    if (it != tensors_.end()) return it->second;
    onnx::TensorProto* t = detail::find_constant(*model_.proto().mutable_graph(), name);
    if (!t) throw Error(fmt::format("{}: tensor '{}' to permute not found", model_.name(), name));
    EditedTensor e;
    e.proto = t;
    e.dims.assign(t->dims().begin(), t->dims().end());
    e.values = detail::tensor_floats(*t, fmt::format("{}: tensor '{}'", model_.name(), name));
    return tensors_.emplace(name, std::move(e)).first->second;
  }

  void write_back() {
    for (auto& [name, e] : tensors_)
      if (e.changed) detail::set_tensor_floats(*e.proto, e.values);
  }

 private:
  OnnxModel& model_;
  std::map<std::string, EditedTensor> tensors_;
};

// outer x len x stride view of a tensor around `axis`.
struct AxisView {
  int64_t outer = 1, len = 1, stride = 1;
};

AxisView axis_view(const std::vector<int64_t>& dims, int axis) {
  AxisView v;
  for (int k = 0; k < axis; ++k) v.outer *= dims[k];
  v.len = dims.at(axis);
  for (size_t k = axis + 1; k < dims.size(); ++k) v.stride *= dims[k];
  return v;
}

// Per-channel L1 norms of a producer's filters (slices along `axis`).
std::vector<double> slice_l1(const EditedTensor& t, int axis, int64_t channels) {
  const AxisView v = axis_view(t.dims, axis);
  if (v.len != channels) {
    throw Error(fmt::format("channel analysis: producer tensor has {} channels along axis {}, the set {}",
                            v.len, axis, channels));
  }
  std::vector<double> l1(channels, 0.0);
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t c = 0; c < v.len; ++c) {
      const float* p = t.values.data() + (o * v.len + c) * v.stride;
      double s = 0;
      for (int64_t j = 0; j < v.stride; ++j) s += std::fabs(p[j]);
      l1[c] += s;
    }
  return l1;
}

void apply_edit(EditedTensor& t, const graph::ChannelEdit& e, const Permutation& perm,
                const std::string& model) {
  const AxisView v = axis_view(t.dims, e.axis);
  const int64_t c = static_cast<int64_t>(perm.size());
  if ((e.offset + c) * e.inner > v.len) {
    throw Error(fmt::format("{}: node '{}': {} '{}' has {} entries along axis {}, the permutation needs {}",
                            model, e.node, e.role, e.tensor, v.len, e.axis, (e.offset + c) * e.inner));
  }
  const int64_t run = e.inner * v.stride;  // contiguous floats per channel
  std::vector<float> old(static_cast<size_t>(c * run));
  for (int64_t o = 0; o < v.outer; ++o) {
    float* base = t.values.data() + (o * v.len + e.offset * e.inner) * v.stride;
    std::copy(base, base + c * run, old.begin());
    for (int64_t k = 0; k < c; ++k)
      std::copy_n(old.begin() + perm[k] * run, run, base + k * run);
  }
  t.changed = true;
}

}  // namespace

RearrangeMode parse_rearrange_mode(std::string_view text) {
  if (text == "none") return RearrangeMode::none;
  if (text == "paper") return RearrangeMode::paper;
  if (text == "graph") return RearrangeMode::graph;
  throw InvalidArgument(fmt::format("unknown rearrangement mode '{}' (expected none, paper or graph)", text));
}

const char* to_string(RearrangeMode mode) {
  switch (mode) {
    case RearrangeMode::none: return "none";
    case RearrangeMode::paper: return "paper";
    case RearrangeMode::graph: return "graph";
  }
  return "?";
}

namespace {

Permutation descending_order(const std::vector<double>& score) {
  Permutation perm(score.size());
  std::iota(perm.begin(), perm.end(), int64_t{0});
  // Equal norms keep their order, so an already sorted layer is left as it is.
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return score[a] > score[b]; });
  return perm;
}

// Per producer, the share its mask keeps with its filters in the order `perm` (nullopt where the
// producer is not pruned or not a conv). A Conv's filters are axis 0 of its OIHW weights, a
// ConvTranspose's axis 1 of its IOHW weights (one group: producers are ungrouped), whose mask is
// taken in OIHW order.
std::vector<std::optional<double>> producer_shares(TensorCache& cache, const graph::ChannelSet& set,
                                                   const Permutation& perm, const KeptShareFn& kept_share,
                                                   const std::string& model) {
  std::vector<std::optional<double>> out;
  for (const auto& p : set.producers) {
    const EditedTensor& t = cache.get(p.tensor);
    if (t.dims.size() != 4 || (p.axis != 0 && p.axis != 1)) {
      out.push_back(std::nullopt);
      continue;
    }
    EditedTensor copy = t;
    apply_edit(copy, {p.tensor, p.axis, 0, 1, p.node, "filters"}, perm, model);
    const auto& d = t.dims;
    if (p.axis == 0) {
      const WeightShape shape = WeightShape::conv(d[0], d[1], d[2], d[3]);
      out.push_back(kept_share(p.node, {copy.values.data(), shape}));
    } else {
      const WeightShape shape = WeightShape::transposed_conv(d[0], d[1], d[2], d[3]);
      const std::vector<float> oihw = oihw_from_iohw(copy.values, shape);
      out.push_back(kept_share(p.node, {oihw.data(), shape}));
    }
  }
  return out;
}

// The order to apply to a permutable set, or nullopt to leave it as it is.
std::optional<Permutation> choose_order(TensorCache& cache, const graph::ChannelSet& set,
                                        const KeptShareFn& kept_share, const std::string& model) {
  std::vector<std::vector<double>> norms;
  std::vector<double> sum(set.channels, 0.0);
  for (const auto& p : set.producers) {
    norms.push_back(slice_l1(cache.get(p.tensor), p.axis, set.channels));
    for (int64_t c = 0; c < set.channels; ++c) sum[c] += norms.back()[c];
  }
  std::vector<Permutation> candidates = {descending_order(sum)};
  if (!kept_share) return candidates.front();
  if (set.producers.size() > 1)
    for (const auto& n : norms) candidates.push_back(descending_order(n));
  Permutation identity(set.channels);
  std::iota(identity.begin(), identity.end(), int64_t{0});
  const auto base = producer_shares(cache, set, identity, kept_share, model);
  std::optional<Permutation> best;
  double best_total = -1;
  for (const Permutation& perm : candidates) {
    const auto shares = producer_shares(cache, set, perm, kept_share, model);
    double total = 0;
    bool no_loss = true;
    for (size_t k = 0; k < shares.size(); ++k) {
      if (!shares[k]) continue;
      total += *shares[k];
      no_loss = no_loss && *shares[k] >= *base[k];
    }
    if (no_loss && total > best_total) best = perm, best_total = total;
  }
  return best;
}

}  // namespace

namespace {

constexpr int64_t kAnalysisSize = 224;

// The channel sets of the model: its graph with shapes inferred by the runtime, analysed with the
// channel role each op registered with the runtime.
graph::ChannelFlow channel_flow(const OnnxModel& model) {
  graph::Graph g = graph::import_onnx(model);
  const auto missing = runtime::unsupported_nodes(g);
  if (!missing.empty()) {
    throw Error(fmt::format("{}: channel analysis needs shapes, and {} node{} {} an op onexn does not "
                            "support (the first: {}); --rearrange none prunes without it",
                            model.name(), missing.size(), missing.size() == 1 ? "" : "s",
                            missing.size() == 1 ? "has" : "have", missing.front()));
  }
  // Symbolic input sizes do not change which channels are tied: the analysis runs at batch 1 and
  // 224 for any other symbolic dimension (a multiple of 32, as encoder-decoder networks need).
  for (int id : g.inputs) {
    graph::Value& v = g.value(id);
    if (v.shape_known) continue;
    for (size_t k = 0; k < v.shape.size(); ++k)
      if (v.shape[k] < 0) v.shape[k] = k == 0 ? 1 : kAnalysisSize;
    v.shape_known = true;
  }
  runtime::infer_and_fold(g);
  return graph::analyze_channel_flow(model, g, runtime::channel_role);
}

}  // namespace

RearrangeResult rearrange_model(OnnxModel& model, const RearrangeOptions& options) {
  RearrangeResult result;
  const RearrangeMode mode = options.mode;
  if (mode == RearrangeMode::none) return result;
  graph::ChannelFlow flow = channel_flow(model);
  if (!flow.shared.empty()) {
    // Constants shared between layers would tie unrelated channel sets: give each reader a copy.
    result.unshared_tensors = static_cast<int>(flow.shared.size());
    graph::unshare_constants(model, flow.shared);
    flow = channel_flow(model);
  }
  TensorCache cache(model);
  for (const graph::ChannelSet& set : flow.sets) {
    ChannelSetSummary s;
    s.channels = set.channels;
    s.tied = set.tied;
    for (const auto& p : set.producers) s.producers.push_back(p.node);
    if (set.fixed) {
      s.reason = set.fixed_reason;
    } else if (set.producers.empty()) {
      s.reason = "no conv or fc layer produces it";
    } else if (mode == RearrangeMode::paper && (set.tied || set.producers.size() > 1)) {
      s.reason = "tied to other layers' outputs (permuted by --rearrange graph)";
    } else if (const auto perm = choose_order(cache, set, options.kept_share, model.name()); !perm) {
      s.reason = "no order keeps as much L1 as the current one for every producer";
    } else {
      for (const graph::ChannelEdit& e : set.edits) apply_edit(cache.get(e.tensor), e, *perm, model.name());
      s.permuted = true;
      s.edited_tensors = static_cast<int64_t>(set.edits.size());
      ++result.permuted_sets;
      result.permuted_channels += set.channels;
    }
    result.sets.push_back(std::move(s));
  }
  cache.write_back();
  return result;
}

}  // namespace onexn
