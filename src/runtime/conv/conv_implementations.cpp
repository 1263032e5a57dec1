#include "runtime/conv/conv_implementations.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "kernels/depthwise_conv.hpp"
#include "kernels/input_planes.hpp"
#include "kernels/sparse_conv_transpose.hpp"
#if ONEXN_HAVE_ONEDNN
#include "kernels/dnnl_conv.hpp"
#endif
#include "onexn/error.hpp"
#include "onexn/packed_1xn.hpp"
#include "kernels/reference/reference_conv.hpp"
#include "kernels/sparse_conv.hpp"

namespace onexn::runtime {
namespace {

// The cost model: single-thread rates of the kernels on ResNet-50 shapes
// (docs/results/kernels-avx512.md), in GFLOP/s of multiply-adds done. Only their ratios matter.
constexpr double kDenseRate = 110;     // oneDNN, blocked layout (reorders not counted)
constexpr double kDenseNchwRate = 80;  // oneDNN on NCHW
constexpr double kOursDenseRate = 95;  // our tile kernel on all blocks
constexpr double kCsrRate = 40;
constexpr double kReferenceRate = 0.5;
// Depthwise layers do one multiply-add per input load at best, so every kernel is far from the
// rates above on them; ours reads each input row once per channel, where the tile kernels load a
// vector per multiply-add and oneDNN adds reorders: predicted first, the others must beat it.
constexpr double kDepthwiseRate = 1000;
constexpr double kSparseRate[] = {40, 65, 85, 95, 100, 100};  // our 1xN kernel by N (bench-layers)

// y = activation(y + residual), for implementations that cannot fuse the residual (res may be
// null: the activation alone).
void add_residual(float* y, const float* res, int64_t n, const Epilogue& e, int threads) {
  Epilogue act;  // the activation alone
  act.activation = e.activation;
  act.clip_min = e.clip_min;
  act.clip_max = e.clip_max;
  act.residual = res;
#pragma omp parallel for num_threads(threads) if (n > (1 << 16)) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = act.apply(y[i], 0, i);
}

// Why our tile kernels (sparse, CSR, ours-dense) cannot run the layer, or empty.
std::string declines_ours(const ConvLayer& l) {
  if (l.transposed) return detail::SparseConvTranspose::unsupported(l.transpose);
  try {
    detail::plan_input_planes(l.conv);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return {};
}

// The 1xN block size whose kernel does the fewest multiply-adds per unit of speed (a 1xN kernel
// also computes the zeros inside its kept blocks: work / block fill); 0 when none fits.
std::pair<int, double> best_block(const ConvLayer& l) {
  const WeightShape ws = l.weight_shape();
  int best_n = 0;
  double best_cost = INFINITY;
  for (size_t i = 0; i < std::size(kBlockSizes); ++i) {
    if (kBlockSizes[i] > ws.c_out_per_group()) break;
    const double cost = (1.0 - l.stats.sparsity()) / l.stats.fill[i] / kSparseRate[i];
    if (cost < best_cost * 0.98) {
      best_cost = cost;
      best_n = kBlockSizes[i];
    }
  }
  return {best_n, best_cost};
}

bool has_zeros(const ConvLayer& l) { return l.stats.nonzeros < l.stats.numel && l.stats.nonzeros > 0; }

// A candidate running one of our objects (SparseConv, SparseConvTranspose, DepthwiseConv) with
// the layer's epilogue; `make` builds the object. An empty label names it by its kernel alone.
template <typename Conv, typename Make>
ConvCandidate ours(const ConvLayer& l, std::string implementation, std::string label, double predicted,
                   int block_size, Make make, bool other_split = false) {
  ConvCandidate c;
  c.implementation = std::move(implementation);
  c.predicted = predicted;
  c.block_size = block_size;
  c.variant = other_split ? 1 : 0;
  const Epilogue base = l.epilogue;
  const int threads = l.threads;
  c.build = [=]() -> std::optional<ConvCandidate::Built> {
    auto conv = std::make_shared<Conv>(make());
    if constexpr (requires { conv->set_work_split(WorkSplit::pixels); }) {
      if (other_split) {
        // The split the automatic rule would not take (docs/kernels.md, Threads): timed too.
        conv->set_work_split(conv->work_split(threads) == WorkSplit::pixels ? WorkSplit::groups : WorkSplit::pixels);
      }
    }
    ConvCandidate::Built b;
    b.name = label.empty() ? conv->kernel_name() : fmt::format("{} ({})", label, conv->kernel_name());
    b.scratch = conv->workspace_floats(threads);
    b.run = [conv, base](const float* x, float* y, const float* res, int t, float* scratch) {
      Epilogue e = base;
      e.residual = res;
      conv->run(x, y, e, t, scratch);
    };
    b.stored_weights = conv->stored_values();
    return b;
  };
  return c;
}

// Our 1xN kernel (N from the weights' block fill), or the same kernel on every block (dense).
void add_ours(const ConvLayer& l, std::vector<ConvCandidate>& out, bool dense) {
  int n = 0;
  double predicted = 0;
  std::string impl, label;
  if (dense) {
    for (int b : kBlockSizes)
      if (b <= 16 && b <= l.weight_shape().c_out_per_group()) n = b;
    predicted = 1.0 / kOursDenseRate;
    impl = "ours-dense";
    label = fmt::format("1x{} dense", n);
  } else {
    if (!has_zeros(l)) return;
    std::tie(n, predicted) = best_block(l);
    if (n == 0) return;
    impl = "sparse";
    label = fmt::format("1x{} sparse", n);
  }
  // On several threads, splitting the pixels or the groups can differ by up to 1.5x on layers of
  // one shape class; tuning times the other split too, listed after the automatic one (which it
  // must then beat by 5%).
  const bool both = l.tune && l.threads > 1;
  for (int variant = 0; variant < (both ? 2 : 1); ++variant) {
    const double p = predicted * (variant ? 1.001 : 1.0);
    if (l.transposed) {
      const ConvTransposeParams tp = l.transpose;
      const float* w = l.weights.data();
      out.push_back(ours<detail::SparseConvTranspose>(
          l, impl, label, p, n, [=] { return detail::SparseConvTranspose(tp, w, n, dense); }, variant == 1));
    } else {
      const ConvParams cp = l.conv;
      const ConstWeightView w{l.weights.data(), l.weight_shape()};
      out.push_back(ours<SparseConv>(
          l, impl, label, p, n,
          [=] { return SparseConv::from_1xn(cp, dense ? pack_1xn(w, n, Mask(w.shape.numel(), 1)) : pack_1xn(w, n)); },
          variant == 1));
    }
  }
}

void sparse_candidates(const ConvLayer& l, std::vector<ConvCandidate>& out) { add_ours(l, out, false); }
void ours_dense_candidates(const ConvLayer& l, std::vector<ConvCandidate>& out) { add_ours(l, out, true); }

std::string declines_csr(const ConvLayer& l) {
  if (l.transposed) return "no transposed convolutions";
  return declines_ours(l);
}

// Unstructured weights: the CSR kernel, when the weights are mostly zero with no block structure.
void csr_candidates(const ConvLayer& l, std::vector<ConvCandidate>& out) {
  if (!has_zeros(l) || l.stats.sparsity() < 0.5 || best_block(l).first > 2) return;
  const ConvParams cp = l.conv;
  const ConstWeightView w{l.weights.data(), l.weight_shape()};
  out.push_back(ours<SparseConv>(l, "csr", "CSR", (1.0 - l.stats.sparsity()) / kCsrRate, 0,
                                 [=] { return SparseConv::from_csr(cp, w); }));
}

std::string declines_depthwise(const ConvLayer& l) {
  if (l.transposed) return "no transposed convolutions";
  return detail::DepthwiseConv::unsupported(l.conv);
}

// Depthwise convs (groups = input channels): our row kernel, every weight.
void depthwise_candidates(const ConvLayer& l, std::vector<ConvCandidate>& out) {
  const ConvParams p = l.conv;
  const float* weights = l.weights.data();
  out.push_back(ours<detail::DepthwiseConv>(l, "depthwise", "", 1.0 / kDepthwiseRate, 0,
                                            [=] { return detail::DepthwiseConv(p, weights); }));
}

#if ONEXN_HAVE_ONEDNN
std::string declines_onednn(const ConvLayer& l) {
  return l.transposed ? "no transposed convolutions (onexn wraps oneDNN's convolution only)" : "";
}

void add_onednn(const ConvLayer& l, std::vector<ConvCandidate>& out, DnnlConv::Layout layout) {
  ConvCandidate c;
  const bool blocked = layout == DnnlConv::Layout::best;
  c.implementation = blocked ? "onednn" : "onednn-nchw";
  c.predicted = 1.0 / (blocked ? kDenseRate : kDenseNchwRate);
  const ConvParams p = l.conv;
  const float* weights = l.weights.data();
  const Epilogue e = l.epilogue;
  const int threads = l.threads;
  // oneDNN cannot add the residual: a layer with one runs the conv with its bias alone, then adds
  // the residual and applies the activation (one primitive, one copy of the weights, either way).
  const bool separate_activation = l.has_residual && e.activation != Activation::none;
  c.build = [=]() -> std::optional<ConvCandidate::Built> {
    std::shared_ptr<DnnlConv> conv;
    Epilogue fused = e;
    if (separate_activation) fused.activation = Activation::none;
    try {
      conv = std::make_shared<DnnlConv>(p, weights, fused, layout, threads);
    } catch (const Error&) {
      return std::nullopt;  // oneDNN has no implementation for this case
    }
    ConvCandidate::Built b;
    b.name = fmt::format("oneDNN {}{}", conv->implementation(), blocked ? " (reordered)" : " (NCHW)");
    b.stored_weights = p.weight_shape().numel();
    b.scratch = conv->scratch_floats();
    const int64_t n = p.output_numel();
    b.run = [conv, separate_activation, e, n](const float* x, float* y, const float* res, int t, float* scratch) {
      conv->run(x, y, t, scratch);
      if (res || separate_activation) add_residual(y, res, n, separate_activation ? e : Epilogue{}, t);
    };
    return b;
  };
  out.push_back(std::move(c));
}

void onednn_candidates(const ConvLayer& l, std::vector<ConvCandidate>& out) {
  add_onednn(l, out, DnnlConv::Layout::best);
}
void onednn_nchw_candidates(const ConvLayer& l, std::vector<ConvCandidate>& out) {
  add_onednn(l, out, DnnlConv::Layout::nchw);
}
#else
// A build without oneDNN (ONEXN_WITH_ONEDNN=OFF, e.g. armhf, where Debian has none) keeps the
// entries, so that forcing one is answered like any other entry that does not apply.
std::string declines_onednn(const ConvLayer&) { return "this onexn was built without oneDNN"; }
void onednn_candidates(const ConvLayer&, std::vector<ConvCandidate>&) {}
void onednn_nchw_candidates(const ConvLayer&, std::vector<ConvCandidate>&) {}
#endif

std::string declines_nothing(const ConvLayer&) { return {}; }

// The scalar reference convolutions: slow, obvious, and able to run any layer.
void reference_candidates(const ConvLayer& l, std::vector<ConvCandidate>& out) {
  ConvCandidate c;
  c.implementation = "reference";
  c.predicted = 1.0 / kReferenceRate;
  // Built (and the layer copied) only when nothing else runs it; candidates are built while the
  // layer they were made for exists.
  const ConvLayer* source = &l;
  c.build = [source]() -> std::optional<ConvCandidate::Built> {
    auto layer = std::make_shared<const ConvLayer>(*source);
    ConvCandidate::Built b;
    b.name = "scalar reference";
    b.stored_weights = layer->weight_shape().numel();
    b.run = [layer](const float* x, float* y, const float* res, int, float*) {
      Epilogue e = layer->epilogue;
      e.bias = layer->bias.empty() ? nullptr : layer->bias.data();
      e.residual = res;
      if (layer->transposed) {
        conv_transpose2d_ref(layer->transpose, x, layer->onnx_weights.data(), e, y);
      } else {
        conv2d_dense_ref(layer->conv, x, layer->weights.data(), e, y);
      }
    };
    return b;
  };
  out.push_back(std::move(c));
}

constexpr ConvImplementation kImplementations[] = {
    {"sparse", false, declines_ours, sparse_candidates},
    {"csr", false, declines_csr, csr_candidates},
    {"depthwise", true, declines_depthwise, depthwise_candidates},
    {"onednn", true, declines_onednn, onednn_candidates},
    {"onednn-nchw", true, declines_onednn, onednn_nchw_candidates},
    {"ours-dense", true, declines_ours, ours_dense_candidates},
    {"reference", true, declines_nothing, reference_candidates},
};

}  // namespace

std::span<const ConvImplementation> conv_implementations() { return kImplementations; }

const ConvImplementation* find_conv_implementation(std::string_view name) {
  for (const ConvImplementation& i : kImplementations)
    if (i.name == name) return &i;
  return nullptr;
}

std::string conv_implementation_names() {
  std::string out;
  for (const ConvImplementation& i : kImplementations) out += (out.empty() ? "" : ", ") + std::string(i.name);
  return out;
}

}  // namespace onexn::runtime
