// Layer benchmarks: one convolution shape, timed dense (oneDNN at its best layout), 1xN sparse
// (ours), unstructured CSR (ours) and, where it applies, XNNPACK's sparse NCHW kernel, in one run
// on the same input. Shared by `onexn bench-layers` and the Google Benchmark binaries.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernels/conv_shapes.hpp"

namespace onexn::bench {

struct LayerBenchOptions {
  std::vector<int> block_sizes{16};
  std::vector<double> sparsities{0.5, 0.7, 0.8, 0.9};
  std::vector<int> threads{1};
  int warmup = 2;  // untimed runs per implementation before each round of timed runs
  int runs = 15;  // timed runs per implementation; the median is reported
  bool xnnpack = true;
  uint32_t seed = 1;
};

struct LayerBenchRow {
  std::string shape;  // the shape's name
  std::string text;   // the shape line
  int n = 0;
  double sparsity = 0;
  int threads = 1;
  double dense_ms = 0, sparse_ms = 0, csr_ms = 0;
  std::optional<double> xnnpack_ms;
  double dense_gflops = 0;            // dense multiply-adds x 2 / dense time
  double sparse_effective_gflops = 0;  // dense multiply-adds x 2 / sparse time
  double sparse_actual_gflops = 0;     // multiply-adds the sparse kernel did x 2 / sparse time
  std::string dense_impl, sparse_kernel, csr_kernel;
  double max_error = 0;  // worst relative difference of the sparse outputs from oneDNN's

  double ideal() const { return 1.0 / (1.0 - sparsity); }
  double speedup_vs_dense() const { return dense_ms / sparse_ms; }
  double fraction_of_ideal() const { return speedup_vs_dense() * (1.0 - sparsity); }
  double speedup_vs_csr() const { return csr_ms / sparse_ms; }
};

// Every (threads, p, N) configuration of one shape, in that nesting order. Within a
// configuration the implementations are timed in rounds (bench/timing.hpp).
std::vector<LayerBenchRow> bench_layer(const ConvShape& shape, const LayerBenchOptions& options);

}  // namespace onexn::bench
