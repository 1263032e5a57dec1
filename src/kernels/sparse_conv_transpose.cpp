#include "kernels/sparse_conv_transpose.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "onexn/error.hpp"
#include "onexn/mask.hpp"
#include "onexn/packed_1xn.hpp"

namespace onexn::detail {
namespace {

// Phase `phase` along one axis: its output count, taps (ordered by input offset o) and the phase
// conv's geometry along the axis. Output j of the phase reads input j + o at each tap; the conv
// reads input r + (o - min o) for its output r, with pad_begin zeros in front when min o < 0; its
// output r = j + shift is the phase's output j (shift = max(0, min o): pads larger than the
// kernel's reach skip input rows).
struct AxisConv {
  int64_t count = 0;
  std::vector<int64_t> taps;
  int64_t dilation = 1, pad_begin = 0, pad_end = 0, shift = 0;
};

AxisConv plan_axis(int64_t phase, int64_t in, int64_t out, int64_t k, int64_t s, int64_t d, int64_t pad) {
  AxisConv a;
  a.count = phase < out ? (out - phase + s - 1) / s : 0;
  // Taps by descending ky are taps by ascending offset o(ky) = (phase + pad - ky*d) / s.
  for (int64_t ky = k - 1; ky >= 0; --ky) {
    if ((((phase + pad - ky * d) % s) + s) % s == 0) a.taps.push_back(ky);
  }
  if (a.taps.empty() || a.count == 0) return a;
  auto offset = [&](int64_t ky) { return (phase + pad - ky * d) / s; };  // exact
  const int64_t o_min = offset(a.taps.front()), o_max = offset(a.taps.back());
  a.dilation = a.taps.size() > 1 ? offset(a.taps[1]) - o_min : 1;
  a.shift = std::max<int64_t>(0, o_min);
  a.pad_begin = std::max<int64_t>(0, -o_min);
  // The conv computes in + pad_begin + pad_end - (o_max - o_min) rows; it needs shift + count.
  a.pad_end = std::max<int64_t>(0, a.shift + a.count - in - a.pad_begin + (o_max - o_min));
  return a;
}

}  // namespace

std::string SparseConvTranspose::unsupported(const ConvTransposeParams& p) {
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return {};
}

SparseConvTranspose::SparseConvTranspose(const ConvTransposeParams& p, const float* conv_weights,
                                         int n, bool keep_zero_blocks)
    : p_(p) {
  if (const std::string why = unsupported(p); !why.empty()) throw InvalidArgument(why);
  const WeightShape ws = p.weight_shape();
  for (int64_t py = 0; py < p.stride_h; ++py) {
    for (int64_t px = 0; px < p.stride_w; ++px) {
      const AxisConv ay = plan_axis(py, p.h, p.out_h(), p.kh, p.stride_h, p.dilation_h, p.pad_top);
      const AxisConv ax = plan_axis(px, p.w, p.out_w(), p.kw, p.stride_w, p.dilation_w, p.pad_left);
      if (ay.count == 0 || ax.count == 0) continue;  // the output is smaller than the stride
      Phase ph;
      ph.y = {py, ay.count, ay.shift};
      ph.x = {px, ax.count, ax.shift};
      if (!ay.taps.empty() && !ax.taps.empty()) {
        ConvParams c;
        c.batch = p.batch;
        c.c_in = p.c_in;
        c.h = p.h;
        c.w = p.w;
        c.c_out = p.c_out;
        c.groups = p.groups;
        c.kh = static_cast<int64_t>(ay.taps.size());
        c.kw = static_cast<int64_t>(ax.taps.size());
        c.dilation_h = ay.dilation;
        c.dilation_w = ax.dilation;
        c.pad_top = ay.pad_begin;
        c.pad_bottom = ay.pad_end;
        c.pad_left = ax.pad_begin;
        c.pad_right = ax.pad_end;
        const WeightShape cs = c.weight_shape();
        std::vector<float> w(static_cast<size_t>(cs.numel()));
        for (int64_t o = 0; o < cs.c_out; ++o)
          for (int64_t i = 0; i < cs.c_in_per_group; ++i)
            for (int64_t ty = 0; ty < c.kh; ++ty)
              for (int64_t tx = 0; tx < c.kw; ++tx)
                w[cs.index(o, i, ty, tx)] = conv_weights[ws.index(o, i, ay.taps[ty], ax.taps[tx])];
        const Packed1xN packed = keep_zero_blocks ? pack_1xn({w.data(), cs}, n, Mask(cs.numel(), 1))
                                                  : pack_1xn({w.data(), cs}, n);
        ph.conv.push_back(SparseConv::from_1xn(c, packed));
        ph.conv_h = c.out_h();
        ph.conv_w = c.out_w();
      }
      phases_.push_back(std::move(ph));
    }
  }
}

int64_t SparseConvTranspose::workspace_floats(int threads) const {
  int64_t most = 0;
  for (const Phase& ph : phases_) {
    if (ph.conv.empty()) continue;
    const int64_t out = (p_.batch * p_.c_out * ph.conv_h * ph.conv_w + 15) / 16 * 16;
    most = std::max(most, out + ph.conv[0].workspace_floats(threads));
  }
  return most;
}

void SparseConvTranspose::run(const float* x, float* y, const Epilogue& epi, int threads,
                              float* workspace) const {
  if (epi.residual) throw InvalidArgument("transposed convolution: no fused residual");
  const int64_t oh = p_.out_h(), ow = p_.out_w(), planes = p_.batch * p_.c_out;
  const int64_t sh = p_.stride_h, sw = p_.stride_w;
  for (const Phase& ph : phases_) {
    if (ph.conv.empty()) {
      // No tap reaches these pixels: epilogue of zero (bias, activation).
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int64_t plane = 0; plane < planes; ++plane) {
        const int64_t o = plane % p_.c_out;
        const float v = epi.apply(0.0f, o, 0);
        float* out = y + plane * oh * ow;
        for (int64_t j = 0; j < ph.y.count; ++j)
          for (int64_t i = 0; i < ph.x.count; ++i) out[(ph.y.phase + sh * j) * ow + ph.x.phase + sw * i] = v;
      }
      continue;
    }
    const int64_t tmp_floats = (planes * ph.conv_h * ph.conv_w + 15) / 16 * 16;
    float* tmp = workspace;
    ph.conv[0].run(x, tmp, epi, threads, workspace + tmp_floats);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t plane = 0; plane < planes; ++plane) {
      const float* src = tmp + (plane * ph.conv_h + ph.y.shift) * ph.conv_w + ph.x.shift;
      float* out = y + plane * oh * ow;
      for (int64_t j = 0; j < ph.y.count; ++j) {
        const float* row = src + j * ph.conv_w;
        float* dst = out + (ph.y.phase + sh * j) * ow + ph.x.phase;
        if (sw == 1) {
          std::copy(row, row + ph.x.count, dst);
        } else {
          for (int64_t i = 0; i < ph.x.count; ++i) dst[sw * i] = row[i];
        }
      }
    }
  }
}

int64_t SparseConvTranspose::stored_values() const {
  int64_t n = 0;
  for (const Phase& ph : phases_)
    for (const SparseConv& c : ph.conv) n += c.stored_values();
  return n;
}

void SparseConvTranspose::set_work_split(WorkSplit split) {
  for (Phase& ph : phases_)
    for (SparseConv& c : ph.conv) c.set_work_split(split);
}

WorkSplit SparseConvTranspose::work_split(int threads) const {
  for (const Phase& ph : phases_)
    if (!ph.conv.empty()) return ph.conv[0].work_split(threads);
  return WorkSplit::pixels;
}

std::string SparseConvTranspose::kernel_name() const {
  for (const Phase& ph : phases_) {
    if (!ph.conv.empty()) return fmt::format("{} phases of {}", phases_.size(), ph.conv[0].kernel_name());
  }
  return fmt::format("{} phases, no taps", phases_.size());
}

}  // namespace onexn::detail
