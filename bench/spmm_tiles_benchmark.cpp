// Google Benchmark micro-benchmarks of the sparse tile kernels alone, with all data in L1: how
// close each tile shape (R rows x P pixel vectors) comes to the machine's FMA peak. Reported as
// GFLOP/s of the multiply-adds done (counter "GFLOPS"). Layer-level comparisons against oneDNN,
// CSR and XNNPACK are `onexn bench-layers` and bench/layers_benchmark.cpp.
#include <benchmark/benchmark.h>

#include <vector>

#include "kernels/spmm_job.hpp"
#include "kernels/vector_isa.hpp"

namespace onexn::detail {
namespace {

// One synthetic job: `groups` groups of N rows, `steps` steps each over `channels` planes of
// `pixels` floats (small enough to stay in L1, or one plane per step, from L2), bias + ReLU
// epilogue.
void BM_SpmmTile(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int vectors = static_cast<int>(state.range(1));
  const int64_t steps = state.range(2);
  // 16 planes stay in L1; one plane per step (range 3 = 1) makes the input stream from L2.
  const int64_t channels = state.range(3) ? steps : 16, groups = 8;
  const SpmmTileInfo tile = spmm_tile_info(n, 1 << 20, double(steps));
  const int64_t pixels = tile.lanes * int64_t{vectors} * 4;
  std::vector<float> planes(channels * pixels + 1024, 0.5f);
  std::vector<float> weights(steps * n, 0.25f), bias(groups * n, 0.1f), y(groups * n * pixels);
  std::vector<int32_t> offset(steps), row0(groups), rows(groups, n);
  std::vector<uint32_t> step_begin(groups + 1);
  for (int64_t s = 0; s < steps; ++s) offset[s] = static_cast<int32_t>((s % channels) * pixels + s % 3);
  for (int64_t g = 0; g <= groups; ++g) step_begin[g] = 0;  // every group shares one step list
  SpmmJob job;
  job.planes = planes.data();
  job.weights = weights.data();
  job.offset = offset.data();
  job.row0 = row0.data();
  job.rows = rows.data();
  job.lane_stride = n;
  job.max_rows = n;
  job.tile_rows = tile.rows;
  job.vectors = vectors;
  job.q_count = job.row_stride = job.out_w = pixels;
  job.out_plane = pixels;
  job.y = y.data();
  job.epilogue.bias = bias.data();
  job.epilogue.activation = Activation::relu;
  // Group g's steps are [step_begin[g], step_begin[g+1]): give every group all steps by pointing
  // each at the same list through a per-group copy of the offsets.
  std::vector<uint32_t> begins(groups + 1);
  std::vector<int32_t> all_offsets;
  std::vector<float> all_weights;
  for (int64_t g = 0; g < groups; ++g) {
    begins[g] = static_cast<uint32_t>(all_offsets.size());
    all_offsets.insert(all_offsets.end(), offset.begin(), offset.end());
    all_weights.insert(all_weights.end(), weights.begin(), weights.end());
    row0[g] = static_cast<int32_t>(g * n);
  }
  begins[groups] = static_cast<uint32_t>(all_offsets.size());
  job.step_begin = begins.data();
  job.offset = all_offsets.data();
  job.weights = all_weights.data();
  for (auto _ : state) {
    spmm_run(job, 0, groups, 0, pixels);
    benchmark::DoNotOptimize(y.data());
  }
  const double flops = 2.0 * double(groups) * n * steps * pixels;
  state.counters["GFLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
  state.SetLabel(tile.name().substr(0, tile.name().find(' ')) + " R=" + std::to_string(tile.rows) +
                 " P=" + std::to_string(vectors));
}

void TileArgs(benchmark::internal::Benchmark* b) {
  for (int n : {1, 2, 4, 8, 16, 32})
    for (int p : {1, 2, 3, 12})
      for (int steps : {16, 128}) b->Args({n, p, steps, 0});
  for (int n : {8, 16})
    for (int p : {1, 3, 12}) b->Args({n, p, 512, 1});
}

BENCHMARK(BM_SpmmTile)->Apply(TileArgs);

}  // namespace
}  // namespace onexn::detail

// ONEXN_MAX_ISA=avx2 times the AVX2 tiles on an AVX-512 machine.
int main(int argc, char** argv) {
  onexn::detail::limit_vector_isa_from_env();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
