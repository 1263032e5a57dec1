// Depthwise convolutions (groups = input channels) in each implementation the runtime can pick,
// on the same NCHW input and weights, bias + ReLU6 fused:
//   ours:          kernels/depthwise_conv, NCHW in and out,
//   dnnl:          oneDNN at its best layout (blocked), input already in it and output left in
//                  it: what oneDNN costs inside a network kept in its layout end to end,
//   dnnl+reorders: the same with NCHW in and out, reorders included: what the runtime pays
//                  when it picks oneDNN for a depthwise layer between our NCHW layers.
// Shapes come from a shape file (benchdnn conv syntax, e.g.
// bench/shapes/mobilenetv2_depthwise_first.txt); lines that are not depthwise are skipped.
// Prints one line per shape and thread count: medians in µs, ours' GFLOP/s and its ratios.
//
//   depthwise_benchmark SHAPES [RUNS] [THREADS,...]     (defaults: 50 runs, 1 thread)
// ONEXN_MAX_ISA caps the vector ISA of ours and oneDNN alike, as for the CLI.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../bench/timing.hpp"
#include "kernels/aligned_buffer.hpp"
#include "kernels/conv_shapes.hpp"
#include "kernels/depthwise_conv.hpp"
#include "kernels/vector_isa.hpp"
#include "onexn/error.hpp"

#ifdef ONEXN_HAVE_ONEDNN
#include "kernels/dnnl_conv.hpp"
#endif

namespace {

using onexn::AlignedBuffer;
using onexn::ConvParams;

void bench_shape(const onexn::ConvShape& shape, int threads, int runs) {
  const ConvParams& p = shape.params;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> w(p.weight_shape().numel()), bias(p.c_out);
  AlignedBuffer x(p.input_numel()), y(p.output_numel()), y_dnnl(p.output_numel());
  for (float& v : w) v = u(rng);
  for (float& v : bias) v = u(rng);
  for (float& v : x.span()) v = u(rng);
  onexn::Epilogue epi;
  epi.bias = bias.data();
  epi.activation = onexn::Activation::relu6;

  const onexn::detail::DepthwiseConv ours(p, w.data());
  AlignedBuffer work(ours.workspace_floats(threads));
  std::vector<std::function<void()>> fns{[&] { ours.run(x.data(), y.data(), epi, threads, work.data()); }};
  std::string worst;
#ifdef ONEXN_HAVE_ONEDNN
  onexn::DnnlConv dnnl(p, w.data(), epi, onexn::DnnlConv::Layout::best, threads);
  dnnl.set_input(x.data());
  AlignedBuffer scratch(dnnl.scratch_floats());
  fns.push_back([&] { dnnl.execute(threads); });
  fns.push_back([&] { dnnl.run(x.data(), y_dnnl.data(), threads, scratch.data()); });
  ours.run(x.data(), y.data(), epi, threads, work.data());
  dnnl.run(x.data(), y_dnnl.data(), threads, scratch.data());
  double err = 0;
  for (int64_t i = 0; i < p.output_numel(); ++i)
    err = std::max(err, double(std::fabs(y[i] - y_dnnl[i]) / (std::fabs(y_dnnl[i]) + 1e-3f)));
  if (!(err <= 1e-3)) worst = " (WRONG vs oneDNN: error " + std::to_string(err) + ")";
#endif
  const std::vector<double> ms = onexn::bench::blocked_median_ms(fns, 2, runs);
  const double gflops = 2.0 * double(p.dense_macs()) / ms[0] / 1e6;
  std::printf("%-24s T%d  ours %7.1f", shape.name.c_str(), threads, ms[0] * 1e3);
  if (ms.size() == 3) {
    std::printf("  dnnl %7.1f  dnnl+reorders %7.1f  (µs)  ours %5.1f GFLOP/s  dnnl/ours %.2f  reordered/ours %.2f",
                ms[1] * 1e3, ms[2] * 1e3, gflops, ms[1] / ms[0], ms[2] / ms[0]);
  } else {
    std::printf("  (µs)  ours %5.1f GFLOP/s", gflops);
  }
  std::printf("  %s%s\n", ours.kernel_name().c_str(), worst.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: depthwise_benchmark SHAPES [RUNS] [THREADS,...]\n");
    return 2;
  }
  const int runs = argc > 2 ? std::max(3, std::atoi(argv[2])) : 50;
  std::vector<int> thread_counts;
  std::stringstream list(argc > 3 ? argv[3] : "1");
  for (std::string t; std::getline(list, t, ',');) thread_counts.push_back(std::max(1, std::atoi(t.c_str())));
  try {
    onexn::detail::limit_vector_isa_from_env();  // ONEXN_MAX_ISA, as the CLI reads it
    for (const onexn::ConvShape& shape : onexn::read_conv_shapes(argv[1])) {
      if (!onexn::detail::DepthwiseConv::unsupported(shape.params).empty()) continue;
      for (int threads : thread_counts) bench_shape(shape, threads, runs);
    }
  } catch (const onexn::Error& e) {
    std::fprintf(stderr, "depthwise_benchmark: %s\n", e.what());
    return 1;
  }
}
