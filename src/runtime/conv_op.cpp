#include "runtime/conv_op.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>

#include "onexn/aligned_buffer.hpp"
#include "onexn/dnnl_conv.hpp"
#include "onexn/error.hpp"
#include "onexn/packed_1xn.hpp"
#include "onexn/pattern_stats.hpp"
#include "onexn/sparse_conv.hpp"
#include "runtime/ops/op_families.hpp"

namespace onexn::runtime {
namespace {

// Resolves auto_pad for one axis: returns {begin, end}.
std::pair<int64_t, int64_t> same_pads(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                                      bool upper) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>(0, (out - 1) * stride + (k - 1) * dilation + 1 - in);
  return upper ? std::pair{total / 2, total - total / 2} : std::pair{total - total / 2, total / 2};
}

Epilogue epilogue_of(const graph::Node& node, const std::vector<float>& bias) {
  Epilogue e;
  e.bias = bias.empty() ? nullptr : bias.data();
  const std::string act = node.attr_string("onexn_activation", "");
  if (act == "relu") e.activation = Activation::relu;
  if (act == "relu6") e.activation = Activation::relu6;
  if (act == "clip") {
    e.activation = Activation::clip;
    const auto it = node.attrs.find("onexn_clip");
    e.clip_min = it->second.floats.at(0);
    e.clip_max = it->second.floats.at(1);
  }
  return e;
}

// Single-thread rates of the kernels on ResNet-50 shapes (docs/results/kernels.md), in GFLOP/s
// of multiply-adds done: the cost model. Only their ratios matter.
constexpr double kDenseRate = 110;      // oneDNN, blocked layout (reorders not counted)
constexpr double kDenseNchwRate = 80;   // oneDNN on NCHW
constexpr double kOursDenseRate = 95;   // our tile kernel on all blocks
constexpr double kCsrRate = 40;

// One way to run the layer.
struct Candidate {
  std::string name;
  double predicted = 0;  // cost model: multiply-adds done / measured GFLOP/s, relative
  int block_size = 0;
  int64_t stored_weights = 0;
  int64_t scratch = 0;
  // x, y, residual (may be null), threads, scratch
  std::function<void(const float*, float*, const float*, int, float*)> run;
};

// y = activation(y + residual), for implementations that cannot fuse the residual.
void add_residual(float* y, const float* res, int64_t n, const Epilogue& e, int threads) {
  const float lo = e.activation == Activation::relu || e.activation == Activation::relu6 ? 0.0f
                   : e.activation == Activation::clip                                    ? e.clip_min
                                                                                         : -INFINITY;
  const float hi = e.activation == Activation::relu6 ? 6.0f
                   : e.activation == Activation::clip ? e.clip_max
                                                      : INFINITY;
#pragma omp parallel for num_threads(threads) if (n > (1 << 16)) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(y[i] + res[i], lo), hi);
}

class ConvKernel final : public ConvKernelBase {
 public:
  ConvKernel(const graph::Graph& g, const graph::Node& node, const ConvKernelOptions& options);
  void run(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
           const RunContext& ctx) const override {
    const float* residual = inputs.size() > 3 && inputs[3].f ? inputs[3].f : nullptr;
    chosen_.run(inputs[0].f, outputs[0].f, residual, ctx.threads, ctx.scratch);
  }
  int64_t scratch_floats() const override { return chosen_.scratch; }
  std::string describe() const override { return info_.kernel; }
  const ConvLayerInfo& info() const override { return info_; }

 private:
  void add_sparse(std::vector<Candidate>& out, const Packed1xN& packed, const std::string& name,
                  const ConvKernelOptions& options, double predicted);
  // A candidate running `conv` (ours) with this layer's epilogue; kept alive until the pick.
  Candidate our_candidate(std::shared_ptr<SparseConv> conv, const std::string& name, int threads);
  void add_dnnl(std::vector<Candidate>& out, DnnlConv::Layout layout, int threads, double predicted);
  Candidate pick(std::vector<Candidate>& candidates, const ConvKernelOptions& options) const;

  ConvLayerInfo info_;
  std::vector<float> weights_;  // OIHW, dense
  std::vector<float> bias_;
  Epilogue epi_;                // bias and activation; residual per call
  std::vector<std::shared_ptr<void>> keep_;  // the chosen implementation's state
  Candidate chosen_;
};

void ConvKernel::add_sparse(std::vector<Candidate>& out, const Packed1xN& packed,
                            const std::string& name, const ConvKernelOptions& options, double predicted) {
  auto add = [&](std::shared_ptr<SparseConv> conv, double cost) {
    Candidate c = our_candidate(std::move(conv), name, options.threads);
    c.predicted = cost;
    c.block_size = packed.n;
    c.stored_weights = static_cast<int64_t>(packed.values.size() + packed.channel.size() + packed.block_begin.size());
    out.push_back(std::move(c));
  };
  auto conv = std::make_shared<SparseConv>(SparseConv::from_1xn(info_.params, packed));
  add(conv, predicted);
  // On several threads, splitting the pixels or the groups between them can differ by up to 1.5x
  // on layers of the same shape class (docs/kernels.md, Threads); tuning times the other split
  // too (a copy: same plan and weights). It is listed after the automatic one, which it must beat
  // by 5%.
  if (options.tune && options.threads > 1) {
    auto other = std::make_shared<SparseConv>(*conv);
    other->set_work_split(conv->work_split(options.threads) == WorkSplit::pixels ? WorkSplit::groups
                                                                                 : WorkSplit::pixels);
    add(other, predicted * 1.001);
  }
}

Candidate ConvKernel::our_candidate(std::shared_ptr<SparseConv> conv, const std::string& name, int threads) {
  Candidate c;
  c.name = name + " (" + conv->kernel_name() + ")";
  c.scratch = conv->workspace_floats(threads);
  const Epilogue base = epi_;
  c.run = [conv, base](const float* x, float* y, const float* res, int t, float* scratch) {
    Epilogue e = base;
    e.residual = res;
    conv->run(x, y, e, t, scratch);
  };
  keep_.push_back(conv);
  return c;
}

void ConvKernel::add_dnnl(std::vector<Candidate>& out, DnnlConv::Layout layout, int threads,
                          double predicted) {
  std::shared_ptr<DnnlConv> conv;
  try {
    conv = std::make_shared<DnnlConv>(info_.params, weights_.data(), epi_, layout, threads);
  } catch (const Error&) {
    return;  // oneDNN has no implementation for this case: our kernels remain
  }
  Candidate c;
  const bool blocked = layout == DnnlConv::Layout::best;
  c.name = fmt::format("oneDNN {}{}", conv->implementation(), blocked ? " (reordered)" : " (NCHW)");
  c.predicted = predicted;
  c.stored_weights = static_cast<int64_t>(weights_.size());
  c.scratch = conv->scratch_floats();
  const int64_t n = info_.params.output_numel();
  const Epilogue e = epi_;
  // With a residual the conv runs without its activation, which follows the add.
  std::shared_ptr<DnnlConv> plain;
  if (e.activation != Activation::none) {
    Epilogue bias_only = e;
    bias_only.activation = Activation::none;
    try {
      plain = std::make_shared<DnnlConv>(info_.params, weights_.data(), bias_only, layout, threads);
      c.scratch = std::max(c.scratch, plain->scratch_floats());
    } catch (const Error&) {
      return;
    }
  }
  c.run = [conv, plain, e, n](const float* x, float* y, const float* res, int t, float* scratch) {
    if (!res) return conv->run(x, y, t, scratch);
    (plain ? plain : conv)->run(x, y, t, scratch);
    add_residual(y, res, n, e, t);
  };
  keep_.push_back(conv);
  if (plain) keep_.push_back(plain);
  out.push_back(std::move(c));
}

Candidate ConvKernel::pick(std::vector<Candidate>& candidates, const ConvKernelOptions& options) const {
  if (candidates.size() == 1 || !options.tune) return candidates.front();
  // Time every candidate on this layer's shape: two warm-up rounds, then the best of five rounds
  // (the minimum, robust to a burst of outside load); a round runs every candidate once, so that a
  // noisy period of the host slows all candidates rather than the one timed during it. The first
  // candidate is the cost model's pick (candidates are added in order of preference); another
  // must beat it by 5% to replace it, so that noise does not flip a choice between kernels of
  // about the same speed.
  const ConvParams& p = info_.params;
  AlignedBuffer x(p.input_numel()), y(p.output_numel()), res(p.output_numel());
  for (int64_t i = 0; i < p.input_numel(); ++i) x[i] = float((i * 7919) % 2003) / 2003.0f - 0.5f;
  std::vector<AlignedBuffer> scratch;
  for (const Candidate& c : candidates) scratch.emplace_back(c.scratch);
  std::vector<double> ms(candidates.size(), INFINITY);
  for (int r = 0; r < 7; ++r) {
    for (size_t k = 0; k < candidates.size(); ++k) {
      const auto start = std::chrono::steady_clock::now();
      candidates[k].run(x.data(), y.data(), nullptr, options.threads, scratch[k].data());
      const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (r >= 2) ms[k] = std::min(ms[k], t);
    }
  }
  size_t best = 0;
  for (size_t k = 0; k < candidates.size(); ++k) {
    if (ms[k] < ms[best] * 0.95) best = k;
    if (std::getenv("ONEXN_TUNE_LOG")) {
      std::fprintf(stderr, "tune %s: %s %.3f ms\n", p.to_string().c_str(), candidates[k].name.c_str(), ms[k]);
    }
  }
  return candidates[best];
}

ConvKernel::ConvKernel(const graph::Graph& g, const graph::Node& node, const ConvKernelOptions& options) {
  const ConvParams p = conv_params_of(g, node);
  info_.params = p;
  const graph::Value& w = input_value(g, node, 1);
  weights_ = w.constant->as_floats();
  if (node.inputs.size() > 2 && node.inputs[2] >= 0) bias_ = input_value(g, node, 2).constant->as_floats();
  epi_ = epilogue_of(node, bias_);
  const WeightShape ws = p.weight_shape();
  const graph::Value& x = input_value(g, node, 0);
  info_.kind = ws.groups > 1 && ws.c_in_per_group == 1 ? "depthwise"
               : (x.producer < 0 && !x.constant)        ? "first"
               : (p.kh == 1 && p.kw == 1)               ? "pointwise"
                                                        : "KxK";
  info_.dense_macs = p.dense_macs() / p.batch;
  info_.weight_bytes_dense = static_cast<int64_t>(weights_.size() * sizeof(float));
  const PatternStats stats = analyze_pattern({weights_.data(), ws});
  info_.sparsity = stats.sparsity();

  std::vector<Candidate> candidates;
  // The dense candidates: ours over every block (N as large as the groups allow), and oneDNN.
  int dense_n = 1;
  for (int n : kBlockSizes)
    if (n <= 16 && n <= ws.c_out_per_group()) dense_n = n;
  const bool has_zeros = stats.nonzeros < stats.numel;
  if (!options.dense_only && has_zeros && stats.nonzeros > 0) {
    // The sparse candidate: the N whose kernel does the fewest multiply-adds per unit of speed
    // (a 1xN kernel also computes the zeros inside its kept blocks: work / block fill).
    static constexpr double kRate[] = {40, 65, 85, 95, 100, 100};  // GFLOP/s by N (bench-layers)
    int best_n = 0;
    double best_cost = INFINITY;
    for (size_t i = 0; i < std::size(kBlockSizes); ++i) {
      if (kBlockSizes[i] > ws.c_out_per_group()) break;
      const double cost = (1.0 - stats.sparsity()) / stats.fill[i] / kRate[i];
      if (cost < best_cost * 0.98) {
        best_cost = cost;
        best_n = kBlockSizes[i];
      }
    }
    if (best_n > 0) {
      add_sparse(candidates, pack_1xn({weights_.data(), ws}, best_n), fmt::format("1x{} sparse", best_n),
                 options, best_cost);
    }
    if (stats.sparsity() >= 0.5 && best_n <= 2) {
      Candidate c = our_candidate(std::make_shared<SparseConv>(SparseConv::from_csr(p, {weights_.data(), ws})),
                                  "CSR", options.threads);
      c.stored_weights = 2 * stats.nonzeros;
      c.predicted = (1.0 - stats.sparsity()) / kCsrRate;
      candidates.push_back(std::move(c));
    }
  }
  // The dense candidates. Without tuning only oneDNN at its best layout is built (the cost model
  // never prefers the others).
  add_dnnl(candidates, DnnlConv::Layout::best, options.threads, 1.0 / kDenseRate);
  if (options.tune) add_dnnl(candidates, DnnlConv::Layout::nchw, options.threads, 1.0 / kDenseNchwRate);
  if (options.tune || candidates.empty()) {
    // Ours on all weights, as if dense.
    add_sparse(candidates, pack_1xn({weights_.data(), ws}, dense_n, Mask(ws.numel(), 1)),
               fmt::format("1x{} dense", dense_n), options, 1.0 / kOursDenseRate);
  }
  // Cheapest prediction first: the choice without tuning, and the default that a measured
  // candidate must clearly beat.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.predicted < b.predicted; });
  chosen_ = pick(candidates, options);
  info_.kernel = chosen_.name;
  info_.block_size = chosen_.block_size;
  info_.weight_bytes_stored = chosen_.stored_weights * static_cast<int64_t>(sizeof(float));
  // Keep only what the chosen candidate needs: its run closure holds its own shared state.
  keep_.clear();
  weights_.clear();
  weights_.shrink_to_fit();
}

void infer_conv(graph::Graph& g, const graph::Node& node) {
  const ConvParams p = conv_params_of(g, node);
  set_output(g, node, 0, DataType::f32, {p.batch, p.c_out, p.out_h(), p.out_w()});
}

std::unique_ptr<OpKernel> create_conv(const graph::Graph& g, const graph::Node& node) {
  ConvKernelOptions options;
  options.tune = false;
  return make_conv_kernel(g, node, options);
}

}  // namespace

ConvParams conv_params_of(const graph::Graph& g, const graph::Node& node) {
  const graph::Value& x = input_value(g, node, 0);
  const graph::Value& w = input_value(g, node, 1);
  if (x.shape.size() != 4) {
    fail(g, node, fmt::format("input has shape {}; onexn runs 2-D convolutions (4-D NCHW input)",
                              graph::shape_string(x.shape)));
  }
  if (!w.constant) fail(g, node, "the weights are not constant; onexn needs them at load time");
  if (w.shape.size() != 4) fail(g, node, fmt::format("weights have shape {}, expected 4-D", graph::shape_string(w.shape)));
  ConvParams p;
  p.batch = x.shape[0];
  p.c_in = x.shape[1];
  p.h = x.shape[2];
  p.w = x.shape[3];
  p.c_out = w.shape[0];
  p.kh = w.shape[2];
  p.kw = w.shape[3];
  p.groups = node.attr_int("group", 1);
  if (p.groups <= 0 || p.c_in % p.groups || w.shape[1] * p.groups != p.c_in) {
    fail(g, node, fmt::format("input has {} channels, weights {} per group, group={}", p.c_in,
                              w.shape[1], p.groups));
  }
  const auto kernel = node.attr_ints("kernel_shape", {p.kh, p.kw});
  if (kernel.size() != 2 || kernel[0] != p.kh || kernel[1] != p.kw) {
    fail(g, node, "kernel_shape does not match the weights");
  }
  const auto strides = node.attr_ints("strides", {1, 1});
  const auto dilations = node.attr_ints("dilations", {1, 1});
  if (strides.size() != 2 || dilations.size() != 2) fail(g, node, "strides and dilations need 2 values");
  p.stride_h = strides[0];
  p.stride_w = strides[1];
  p.dilation_h = dilations[0];
  p.dilation_w = dilations[1];
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    const auto pads = node.attr_ints("pads", {0, 0, 0, 0});
    if (pads.size() != 4) fail(g, node, "pads needs 4 values");
    p.pad_top = pads[0];
    p.pad_left = pads[1];
    p.pad_bottom = pads[2];
    p.pad_right = pads[3];
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    const bool upper = auto_pad == "SAME_UPPER";
    std::tie(p.pad_top, p.pad_bottom) = same_pads(p.h, p.kh, p.stride_h, p.dilation_h, upper);
    std::tie(p.pad_left, p.pad_right) = same_pads(p.w, p.kw, p.stride_w, p.dilation_w, upper);
  } else if (auto_pad != "VALID") {
    fail(g, node, "auto_pad '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  if (node.inputs.size() > 2 && node.inputs[2] >= 0) {
    const graph::Value& b = input_value(g, node, 2);
    if (!b.constant || b.shape != Shape{p.c_out}) fail(g, node, "the bias must be a constant of c_out values");
  }
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    fail(g, node, e.what());
  }
  if (node.inputs.size() > 3 && node.inputs[3] >= 0) {
    const Shape out{p.batch, p.c_out, p.out_h(), p.out_w()};
    if (input_value(g, node, 3).shape != out) fail(g, node, "the fused residual has the wrong shape");
  }
  return p;
}

std::unique_ptr<ConvKernelBase> make_conv_kernel(const graph::Graph& g, const graph::Node& node,
                                                 const ConvKernelOptions& options) {
  return std::make_unique<ConvKernel>(g, node, options);
}

void register_conv_ops(OpTable& t) {
  add_op(t, "Conv", {infer_conv, create_conv, ChannelRole::conv});
}

}  // namespace onexn::runtime
