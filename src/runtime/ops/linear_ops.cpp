// Gemm and MatMul (float32), on the GEMM kernel of kernels/dense_gemm.hpp.
//
// A constant B of Gemm is packed once, at create time, into the kernel's column panels (transposed
// first when transB = 1: the [out, in] weight of a fully connected layer as PyTorch exports it);
// a run-time B is read row-major K x N (transposed into scratch first when transB = 1). Y is
// computed in blocks of up to 8 rows x 256 columns spread over the threads; every output is one
// multiply-add chain over k in order, so it does not depend on the blocking or the thread count.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "kernels/dense_gemm.hpp"
#include "runtime/ops/op_broadcast.hpp"
#include "runtime/ops/op_families.hpp"
#include "runtime/ops/op_util.hpp"

namespace onexn::runtime {
namespace {

using graph::Graph;
using graph::Node;

constexpr int64_t kRowBlock = 8, kColBlock = 256;  // kColBlock: a multiple of every panel width

// One GEMM of a batch: Y (M x N) = A * B on the kernel's operands.
struct GemmArgs {
  int64_t M = 0, N = 0;
  GemmOperands op;
};

// B as the kernel reads it: row-major K x N with row stride ldb.
void set_row_major_b(GemmOperands& op, const float* b, int64_t ldb) {
  op.b = b;
  op.row_stride = ldb;
  op.panel_width = op.panel_stride = gemm_panel_width();
  op.padded_panels = false;
}

// Several independent GEMMs (MatMul batches) split into blocks across threads.
void gemm_batches(std::span<const GemmArgs> batches, int threads) {
  if (batches.empty()) return;
  const GemmArgs& first = batches.front();
  const int64_t row_blocks = (first.M + kRowBlock - 1) / kRowBlock;
  const int64_t col_blocks = (first.N + kColBlock - 1) / kColBlock;
  const int64_t per_batch = row_blocks * col_blocks;
  if (per_batch == 0) return;
  const int64_t items = per_batch * static_cast<int64_t>(batches.size());
  const int64_t work = first.M * first.N * first.op.K * static_cast<int64_t>(batches.size());
#pragma omp parallel for num_threads(threads) if (work > 4 * ops::kParallelMin && items > 1) \
    schedule(static)
  for (int64_t it = 0; it < items; ++it) {
    const GemmArgs& g = batches[it / per_batch];
    const int64_t rb = (it % per_batch) / col_blocks, cb = it % col_blocks;
    gemm_block(g.op, rb * kRowBlock, std::min(g.M, (rb + 1) * kRowBlock), cb * kColBlock,
               std::min(g.N, (cb + 1) * kColBlock));
  }
}

// dst[n * K + k] = src[k * N + n]: K x N -> N x K.
void transpose_into(const float* src, float* dst, int64_t rows, int64_t cols) {
  constexpr int64_t T = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += T) {
    for (int64_t c0 = 0; c0 < cols; c0 += T) {
      for (int64_t r = r0; r < std::min(rows, r0 + T); ++r) {
        for (int64_t c = c0; c < std::min(cols, c0 + T); ++c) dst[c * rows + r] = src[r * cols + c];
      }
    }
  }
}

// ---- Gemm
// ----------------------------------------------------------------------------------------

struct GemmShape {
  int64_t M = 0, N = 0, K = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 1;
  bool has_c = false;
  int64_t c_rs = 0, c_cs = 0;  // C element (m, n) at C[m * c_rs + n * c_cs]
};

GemmShape gemm_shape(const Graph& g, const Node& node) {
  ops::check_attrs(g, node, {"alpha", "beta", "transA", "transB", "broadcast"});
  ops::check_arity(g, node, 2, 3, 1, 1);
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    if (ops::has_input(node, k))
      ops::require_type(g, node, k, DataType::f32, fmt::format("input {}", k));
  }
  GemmShape s;
  for (const char* flag : {"transA", "transB", "broadcast"}) {
    const int64_t v = node.attr_int(flag, 0);
    if (v != 0 && v != 1) fail(g, node, fmt::format("attribute '{}' = {} is not 0 or 1", flag, v));
  }
  s.trans_a = node.attr_int("transA", 0) == 1;
  s.trans_b = node.attr_int("transB", 0) == 1;
  s.alpha = node.attr_float("alpha", 1.0f);
  s.beta = node.attr_float("beta", 1.0f);
  const Shape& a = input_value(g, node, 0).shape;
  const Shape& b = input_value(g, node, 1).shape;
  if (a.size() != 2 || b.size() != 2) {
    fail(g, node,
         fmt::format("inputs A {} and B {} must be 2-D", graph::shape_string(a),
                     graph::shape_string(b)));
  }
  s.M = s.trans_a ? a[1] : a[0];
  s.K = s.trans_a ? a[0] : a[1];
  const int64_t kb = s.trans_b ? b[1] : b[0];
  s.N = s.trans_b ? b[0] : b[1];
  if (kb != s.K) {
    fail(g, node,
         fmt::format("A {} (transA = {}) and B {} (transB = {}) disagree on K ({} vs {})",
                     graph::shape_string(a), int(s.trans_a), graph::shape_string(b), int(s.trans_b),
                     s.K, kb));
  }
  if (ops::has_input(node, 2)) {
    const Shape& c = input_value(g, node, 2).shape;
    // Unidirectional broadcasting of C to [M, N].
    const std::optional<Shape> out = ops::broadcast_shapes({s.M, s.N}, c);
    if (c.size() > 2 || !out || *out != Shape{s.M, s.N}) {
      fail(g, node,
           fmt::format("input C {} does not broadcast to [{}, {}]", graph::shape_string(c), s.M,
                       s.N));
    }
    const Shape st = ops::broadcast_strides(c, {s.M, s.N});
    s.has_c = true;
    s.c_rs = st[0];
    s.c_cs = st[1];
  }
  return s;
}

void infer_gemm(Graph& g, const Node& node) {
  const GemmShape s = gemm_shape(g, node);
  set_output(g, node, 0, DataType::f32, {s.M, s.N});
}

std::unique_ptr<OpKernel> create_gemm(const Graph& g, const Node& node) {
  const GemmShape s = gemm_shape(g, node);
  // A constant B is packed once into the kernel's column panels (transposed first when
  // transB = 1: the [out, in] weight of a fully connected layer as PyTorch exports it).
  std::shared_ptr<const std::vector<float>> packed;
  const int64_t W = gemm_panel_width();
  if (const graph::Constant* b = ops::constant_input(g, node, 1)) {
    if (s.trans_b) {
      std::vector<float> t(s.K * s.N);
      transpose_into(b->f.data(), t.data(), s.N, s.K);
      packed = std::make_shared<std::vector<float>>(pack_gemm_panels(t.data(), s.K, s.N, s.N, W));
    } else {
      packed = std::make_shared<std::vector<float>>(pack_gemm_panels(b->f.data(), s.K, s.N, s.N, W));
    }
  }
  const int64_t scratch = s.trans_b && !packed ? s.K * s.N : 0;
  std::string description = fmt::format("gemm {}x{}x{}{}", s.M, s.N, s.K,
                                        packed      ? " (B packed in panels)"
                                        : s.trans_b ? " (B transposed per run)"
                                                    : "");
  return ops::make_kernel(
      std::move(description),
      [s, packed, W](std::span<const TensorView> in, std::span<const TensorView> out,
                     const RunContext& ctx) {
        GemmArgs a;
        a.M = s.M;
        a.N = s.N;
        a.op.K = s.K;
        a.op.a = in[0].f;
        a.op.a_rs = s.trans_a ? 1 : s.K;
        a.op.a_cs = s.trans_a ? s.M : 1;
        if (packed) {
          a.op.b = packed->data();
          a.op.row_stride = W;
          a.op.panel_stride = s.K * W;
          a.op.panel_width = W;
          a.op.padded_panels = true;
        } else if (s.trans_b) {
          transpose_into(in[1].f, ctx.scratch, s.N, s.K);
          set_row_major_b(a.op, ctx.scratch, s.N);
        } else {
          set_row_major_b(a.op, in[1].f, s.N);
        }
        a.op.y = out[0].f;
        a.op.ldy = s.N;
        if (s.M * s.N == 0) return;
        gemm_batches({&a, 1}, ctx.threads);
        const float* c = s.has_c ? in[2].f : nullptr;
        for (int64_t m = 0; m < s.M; ++m) {
          float* y = out[0].f + m * s.N;
          if (c) {
            const float* cr = c + m * s.c_rs;
            for (int64_t n = 0; n < s.N; ++n) y[n] = s.alpha * y[n] + s.beta * cr[n * s.c_cs];
          } else if (s.alpha != 1.0f) {
            for (int64_t n = 0; n < s.N; ++n) y[n] *= s.alpha;
          }
        }
      },
      scratch, packed ? std::vector<size_t>{1} : std::vector<size_t>{});
}

// ---- MatMul
// -------------------------------------------------------------------------------------- numpy
// matmul: 1-D operands are promoted ([K] -> [1, K] for A, [K, 1] for B) and the added dim dropped
// from the result; batch dims broadcast.

struct MatMulShape {
  int64_t M = 0, N = 0, K = 0;
  Shape out;
  std::vector<int64_t> a_offsets, b_offsets;  // per output batch, in elements
};

// offsets: also the per-batch offsets (create only: infer does no work per batch).
MatMulShape matmul_shape(const Graph& g, const Node& node, bool offsets) {
  ops::check_attrs(g, node, {});
  ops::check_arity(g, node, 2, 2, 1, 1);
  ops::require_type(g, node, 0, DataType::f32, "input 0 (A)");
  ops::require_type(g, node, 1, DataType::f32, "input 1 (B)");
  Shape a = input_value(g, node, 0).shape, b = input_value(g, node, 1).shape;
  if (a.empty() || b.empty()) {
    fail(g, node,
         fmt::format("inputs {} and {} must have rank >= 1", graph::shape_string(a),
                     graph::shape_string(b)));
  }
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  MatMulShape s;
  s.M = a[a.size() - 2];
  s.K = a.back();
  s.N = b.back();
  if (b[b.size() - 2] != s.K) {
    fail(g, node,
         fmt::format("A {} and B {} disagree on K ({} vs {})",
                     graph::shape_string(input_value(g, node, 0).shape),
                     graph::shape_string(input_value(g, node, 1).shape), s.K, b[b.size() - 2]));
  }
  const Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  const std::optional<Shape> batch = ops::broadcast_shapes(a_batch, b_batch);
  if (!batch) {
    fail(g, node,
         fmt::format("batch dims of A {} and B {} are not broadcastable",
                     graph::shape_string(a_batch), graph::shape_string(b_batch)));
  }
  s.out = *batch;
  if (!a_vec) s.out.push_back(s.M);
  if (!b_vec) s.out.push_back(s.N);
  if (!offsets) return s;
  const Shape sa = ops::broadcast_strides(a_batch, *batch),
              sb = ops::broadcast_strides(b_batch, *batch);
  const int64_t batches = graph::numel(*batch);
  for (int64_t i = 0; i < batches; ++i) {
    int64_t rest = i, ao = 0, bo = 0;
    for (size_t d = batch->size(); d-- > 0;) {
      const int64_t idx = rest % (*batch)[d];
      rest /= (*batch)[d];
      ao += idx * sa[d];
      bo += idx * sb[d];
    }
    s.a_offsets.push_back(ao * s.M * s.K);
    s.b_offsets.push_back(bo * s.K * s.N);
  }
  return s;
}

void infer_matmul(Graph& g, const Node& node) {
  const MatMulShape s = matmul_shape(g, node, false);
  set_output(g, node, 0, DataType::f32, s.out);
}

std::unique_ptr<OpKernel> create_matmul(const Graph& g, const Node& node) {
  const MatMulShape s = matmul_shape(g, node, true);
  std::string description = fmt::format("matmul {} x {}x{}x{}", s.a_offsets.size(), s.M, s.N, s.K);
  return ops::make_kernel(
      std::move(description),
      [s](std::span<const TensorView> in, std::span<const TensorView> out, const RunContext& ctx) {
        if (s.M * s.N == 0) return;
        std::vector<GemmArgs> batches(s.a_offsets.size());
        for (size_t i = 0; i < batches.size(); ++i) {
          GemmArgs& a = batches[i];
          a.M = s.M;
          a.N = s.N;
          a.op.K = s.K;
          a.op.a = in[0].f + s.a_offsets[i];
          a.op.a_rs = s.K;
          a.op.a_cs = 1;
          set_row_major_b(a.op, in[1].f + s.b_offsets[i], s.N);
          a.op.y = out[0].f + static_cast<int64_t>(i) * s.M * s.N;
          a.op.ldy = s.N;
        }
        gemm_batches(batches, ctx.threads);
      });
}

}  // namespace

void register_linear_ops(OpTable& t) {
  add_op(t, "Gemm", {infer_gemm, create_gemm, ChannelRole::fc});
  add_op(t, "MatMul", {infer_matmul, create_matmul, ChannelRole::fc});
}

}  // namespace onexn::runtime
