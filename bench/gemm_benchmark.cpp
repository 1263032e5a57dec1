// The fully connected layer's GEMM, Y = X * W^T + b with X M x K and the weight W N x K (a
// PyTorch Linear), in each implementation on the same data, 1 thread:
//   loop:        the blocked C++ loop Gemm ran before the Highway kernel (kept here as the
//                baseline; plain compiler vectorization for the build's baseline ISA),
//   hwy packed:  kernels/dense_gemm on B packed in panels (what Gemm runs now),
//   hwy rows:    the same kernel on B row-major K x N (MatMul, run-time B),
//   dnnl ip:     oneDNN inner_product, weights reordered to its layout once,
//   dnnl matmul: oneDNN matmul, weights reordered to its layout once.
// "warm": each timed run right after an untimed one of the same implementation (its weights in
// cache as far as they fit); "cold": a 64 MB buffer is
// read between runs, so the weights come from memory as in a whole model, where everything
// before the fc evicts them. Prints one line per shape and state: medians in µs.
//
//   gemm_benchmark [RUNS]     (default 30)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernels/dense_gemm.hpp"

#ifdef ONEXN_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace {

using onexn::GemmOperands;

// The loop Gemm used until the Highway kernel: Y[m0:m1, n0:n1] over k four at a time.
void previous_loop_block(const float* A, int64_t K, const float* B, int64_t ldb, float* Y,
                         int64_t ldy, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int64_t nb = n1 - n0;
  for (int64_t m = m0; m < m1; ++m) std::fill_n(Y + m * ldy + n0, nb, 0.0f);
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const float* __restrict b0 = B + k * ldb + n0;
    const float* __restrict b1 = b0 + ldb;
    const float* __restrict b2 = b1 + ldb;
    const float* __restrict b3 = b2 + ldb;
    for (int64_t m = m0; m < m1; ++m) {
      const float a0 = A[m * K + k], a1 = A[m * K + k + 1], a2 = A[m * K + k + 2], a3 = A[m * K + k + 3];
      float* __restrict y = Y + m * ldy + n0;
      for (int64_t n = 0; n < nb; ++n) y[n] = (((y[n] + a0 * b0[n]) + a1 * b1[n]) + a2 * b2[n]) + a3 * b3[n];
    }
  }
  for (; k < K; ++k) {
    for (int64_t m = m0; m < m1; ++m) {
      float* y = Y + m * ldy + n0;
      for (int64_t n = 0; n < nb; ++n) y[n] += A[m * K + k] * B[k * ldb + n0 + n];
    }
  }
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

struct Variant {
  std::string name;
  std::function<void()> run;
};

void bench_shape(int64_t M, int64_t N, int64_t K, int runs) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x(M * K), w(N * K), bias(N), y(M * N);
  for (float& v : x) v = u(rng);
  for (float& v : w) v = u(rng);
  for (float& v : bias) v = u(rng);
  std::vector<float> wt(K * N);  // K x N
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) wt[k * N + n] = w[n * K + k];
  const int64_t W = onexn::gemm_panel_width();
  const std::vector<float> panels = onexn::pack_gemm_panels(wt.data(), K, N, N, W);
  auto add_bias = [&] {
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) y[m * N + n] += bias[n];
  };
  std::vector<Variant> variants;
  variants.push_back({"loop", [&] {
                        for (int64_t n0 = 0; n0 < N; n0 += 256)
                          for (int64_t m0 = 0; m0 < M; m0 += 8)
                            previous_loop_block(x.data(), K, wt.data(), N, y.data(), N, m0,
                                                std::min(M, m0 + 8), n0, std::min(N, n0 + 256));
                        add_bias();
                      }});
  GemmOperands packed{K, x.data(), K, 1, panels.data(), W, K * W, W, true, y.data(), N};
  GemmOperands rows{K, x.data(), K, 1, wt.data(), N, W, W, false, y.data(), N};
  for (auto [name, op] : {std::pair{"hwy packed", packed}, std::pair{"hwy rows", rows}}) {
    variants.push_back({name, [&, op] {
                          for (int64_t n0 = 0; n0 < N; n0 += 256)
                            for (int64_t m0 = 0; m0 < M; m0 += 8)
                              onexn::gemm_block(op, m0, std::min(M, m0 + 8), n0, std::min(N, n0 + 256));
                          add_bias();
                        }});
  }
#ifdef ONEXN_HAVE_ONEDNN
  using dnnl::memory;
  using dt = memory::data_type;
  using tag = memory::format_tag;
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  static dnnl::stream stream(engine);
  const memory::desc x_md({M, K}, dt::f32, tag::ab), y_md({M, N}, dt::f32, tag::ab);
  const memory::desc b_md({N}, dt::f32, tag::a);
  memory x_mem(x_md, engine, x.data()), y_mem(y_md, engine, y.data()), b_mem(b_md, engine, bias.data());
  // inner_product: weights [N, K] (oi).
  const dnnl::inner_product_forward::primitive_desc ip_pd(
      {dnnl::prop_kind::forward_inference, x_md, memory::desc({N, K}, dt::f32, tag::any), b_md, y_md},
      engine);
  memory ip_w(ip_pd.weights_desc(), engine);
  {
    memory src({{N, K}, dt::f32, tag::ab}, engine, w.data());
    dnnl::reorder(src, ip_w).execute(stream, src, ip_w);
  }
  dnnl::inner_product_forward ip(ip_pd);
  variants.push_back({"dnnl ip", [&] {
                        ip.execute(stream, {{DNNL_ARG_SRC, x_mem}, {DNNL_ARG_WEIGHTS, ip_w},
                                            {DNNL_ARG_BIAS, b_mem}, {DNNL_ARG_DST, y_mem}});
                        stream.wait();
                      }});
  // matmul: weights K x N, bias [1, N].
  const memory::desc mb_md({1, N}, dt::f32, tag::ab);
  memory mb_mem(mb_md, engine, bias.data());
  const dnnl::matmul::primitive_desc mm_pd(
      {x_md, memory::desc({K, N}, dt::f32, tag::any), mb_md, y_md}, engine);
  memory mm_w(mm_pd.weights_desc(), engine);
  {
    memory src({{K, N}, dt::f32, tag::ab}, engine, wt.data());
    dnnl::reorder(src, mm_w).execute(stream, src, mm_w);
  }
  dnnl::matmul mm(mm_pd);
  variants.push_back({"dnnl matmul", [&] {
                        mm.execute(stream, {{DNNL_ARG_SRC, x_mem}, {DNNL_ARG_WEIGHTS, mm_w},
                                            {DNNL_ARG_BIAS, mb_mem}, {DNNL_ARG_DST, y_mem}});
                        stream.wait();
                      }});
  stream.wait();
#endif
  std::vector<char> flush(64 << 20, 1);
  for (bool cold : {false, true}) {
    std::vector<std::vector<double>> us(variants.size());
    for (auto& v : variants) v.run();  // warm-up
    for (int r = 0; r < runs; ++r) {
      for (size_t i = 0; i < variants.size(); ++i) {
        if (cold) {
          long sum = 0;
          for (size_t j = 0; j < flush.size(); j += 64) sum += flush[j]++;
          if (sum == 42) std::puts("");
        } else {
          variants[i].run();  // its own weights just read, whatever the others evicted
        }
        const auto t0 = std::chrono::steady_clock::now();
        variants[i].run();
        us[i].push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
    }
    std::printf("M %lld N %lld K %lld %-4s:", static_cast<long long>(M), static_cast<long long>(N),
                static_cast<long long>(K), cold ? "cold" : "warm");
    for (size_t i = 0; i < variants.size(); ++i) std::printf("  %s %.0f", variants[i].name.c_str(), median(us[i]));
    std::printf("  (µs)\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 30;
  omp_set_num_threads(1);
  for (auto [M, N, K] : {std::tuple{1, 1000, 2048}, std::tuple{8, 1000, 2048}, std::tuple{1, 1000, 1280}}) {
    bench_shape(M, N, K, runs);
  }
}
