#include "layer_bench.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

#include "kernels/aligned_buffer.hpp"
#include "kernels/dnnl_conv.hpp"
#include "onexn/mask.hpp"
#include "onexn/packed_1xn.hpp"
#include "kernels/sparse_conv.hpp"
#include "timing.hpp"
#if ONEXN_HAVE_XNNPACK
#include "xnnpack_conv.hpp"
#endif

namespace onexn::bench {
namespace {

// A small LCG: reproducible and fast for the tens of millions of values a layer needs.
void fill_uniform(std::span<float> v, uint32_t seed) {
  uint32_t s = seed * 2654435761u + 1;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = float(s >> 8) / float(1u << 24) * 2.0f - 1.0f;
  }
}

double max_relative_error(std::span<const float> a, std::span<const float> b) {
  double scale = 1e-30, diff = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    scale = std::max(scale, double(std::abs(b[i])));
    diff = std::max(diff, double(std::abs(a[i] - b[i])));
  }
  return diff / scale;
}

std::vector<float> pruned(std::span<const float> w, const WeightShape& s, const Pattern& pattern,
                          double p) {
  std::vector<float> out(w.begin(), w.end());
  apply_mask({out.data(), s}, compute_mask({out.data(), s}, pattern, p));
  return out;
}

// oneDNN's output for the given weights, at its best layout, for checking the sparse kernels.
AlignedBuffer dense_output(const ConvParams& p, const std::vector<float>& w, const Epilogue& epi,
                           const float* x, int threads) {
  DnnlConv conv(p, w.data(), epi, DnnlConv::Layout::best, threads);
  AlignedBuffer y(p.output_numel());
  conv.run(x, y.data(), threads);
  return y;
}

}  // namespace

std::vector<LayerBenchRow> bench_layer(const ConvShape& shape, const LayerBenchOptions& o) {
  const ConvParams& p = shape.params;
  const WeightShape ws = p.weight_shape();
  // Activations in 64-byte aligned buffers, as the runtime allocates them.
  std::vector<float> w(ws.numel());
  fill_uniform(w, o.seed);
  AlignedBuffer x(p.input_numel()), y(p.output_numel());
  fill_uniform(x.span(), o.seed + 1);
  std::vector<float> bias(p.c_out);
  fill_uniform(bias, o.seed + 2);
  Epilogue epi;
  epi.bias = bias.data();
  epi.activation = Activation::relu;
  const double dense_flops = 2.0 * double(p.dense_macs());

  // As the runtime does at load (docs/runtime.md): on more than one thread, time the other way
  // of splitting the work between the threads too and keep it when it is 5% faster. The 1xN and
  // the CSR kernel alike.
  auto pick_work_split = [&](SparseConv& conv, float* out, int threads, float* work) {
    if (threads < 2) return;
    const WorkSplit other = conv.work_split(threads) == WorkSplit::pixels ? WorkSplit::groups : WorkSplit::pixels;
    const std::vector<double> ms = blocked_median_ms(
        {[&] { conv.set_work_split(WorkSplit::automatic), conv.run(x.data(), out, epi, threads, work); },
         [&] { conv.set_work_split(other), conv.run(x.data(), out, epi, threads, work); }},
        1, 6);
    conv.set_work_split(ms[1] < 0.95 * ms[0] ? other : WorkSplit::automatic);
  };

  std::vector<LayerBenchRow> rows;
  for (int threads : o.threads) {
    DnnlConv dense(p, w.data(), epi, DnnlConv::Layout::best, threads);
    dense.set_input(x.data());
    for (double sp : o.sparsities) {
      // CSR does not depend on N; it is built (and checked) once per sparsity.
      const std::vector<float> wu = pruned(w, ws, Pattern::unstructured(), sp);
      SparseConv csr = SparseConv::from_csr(p, {wu.data(), ws});
      AlignedBuffer csr_work(csr.workspace_floats(threads)), csr_y(p.output_numel());
      pick_work_split(csr, csr_y.data(), threads, csr_work.data());
      csr.run(x.data(), csr_y.data(), epi, threads, csr_work.data());
      const double csr_error =
          max_relative_error(csr_y.span(), dense_output(p, wu, epi, x.data(), threads).span());

      for (int n : o.block_sizes) {
        LayerBenchRow r;
        r.shape = shape.name;
        r.text = shape.text;
        r.n = n;
        r.sparsity = sp;
        r.threads = threads;
        r.dense_impl = dense.implementation();
        r.csr_kernel = csr.kernel_name();
        if (csr_error > 1e-3) r.csr_kernel += " (WRONG: error " + std::to_string(csr_error) + ")";
        const std::vector<float> wp = pruned(w, ws, Pattern::one_by_n(n), sp);
        SparseConv conv = SparseConv::from_1xn(p, pack_1xn({wp.data(), ws}, n));
        AlignedBuffer work(conv.workspace_floats(threads));
        pick_work_split(conv, y.data(), threads, work.data());
        r.sparse_kernel = conv.kernel_name();

        // oneDNN, 1xN and CSR share OpenMP's threads and are timed in rounds. XNNPACK's own
        // thread pool spins after each run; it is timed alone afterwards so that its spinning
        // threads never compete with the others.
        const std::vector<double> ms = blocked_median_ms(
            {[&] { dense.execute(threads); },
             [&] { conv.run(x.data(), y.data(), epi, threads, work.data()); },
             [&] { csr.run(x.data(), csr_y.data(), epi, threads, csr_work.data()); }},
            o.warmup, o.runs);
        r.dense_ms = ms[0];
        r.sparse_ms = ms[1];
        r.csr_ms = ms[2];
        AlignedBuffer xnn_y;
#if ONEXN_HAVE_XNNPACK
        if (o.xnnpack && XnnpackConv::applies(p)) {
          XnnpackConv xnn(p, wp.data(), bias.data(), 0.0f, INFINITY, threads);
          xnn_y = AlignedBuffer(p.output_numel());
          r.xnnpack_ms = blocked_median_ms({[&] { xnn.run(x.data(), xnn_y.data()); }}, o.warmup, o.runs, 1)[0];
        }
#endif

        r.dense_gflops = dense_flops / r.dense_ms / 1e6;
        r.sparse_effective_gflops = dense_flops / r.sparse_ms / 1e6;
        r.sparse_actual_gflops = 2.0 * double(conv.macs_per_image() * p.batch) / r.sparse_ms / 1e6;
        const AlignedBuffer expected = dense_output(p, wp, epi, x.data(), threads);
        r.max_error = max_relative_error(y.span(), expected.span());
        if (r.xnnpack_ms) r.max_error = std::max(r.max_error, max_relative_error(xnn_y.span(), expected.span()));
        rows.push_back(r);
      }
    }
  }
  return rows;
}

}  // namespace onexn::bench
