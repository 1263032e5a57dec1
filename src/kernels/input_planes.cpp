#include "input_planes.hpp"

#include <algorithm>
#include <cstring>

#include <hwy/base.h>  // HWY_RESTRICT
#include <limits>

#include "kernels/deinterleave.hpp"
#include "onexn/error.hpp"

namespace onexn::detail {

InputPlanes plan_input_planes(const ConvParams& p) {
  p.validate();
  if (p.stride_h != p.stride_w) {
    throw InvalidArgument("convolution " + p.to_string() +
                          ": the sparse kernels need equal strides along H and W");
  }
  InputPlanes ip;
  ip.stride = p.stride_h;
  ip.out_h = p.out_h();
  ip.out_w = p.out_w();
  const bool no_pad = p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0;
  if (p.kh == 1 && p.kw == 1 && p.stride_h == 1 && no_pad) {
    ip.layout = InputPlanes::Layout::direct;
    ip.rows = p.h;
    ip.row_stride = p.w;
    ip.plane_floats = ip.channel_stride = p.h * p.w;
    ip.tap_offset = {0};
  } else if (ip.stride == 1) {
    ip.layout = InputPlanes::Layout::padded;
    // One extra row absorbs the reads of the last row's right padding and of thrown-away columns.
    ip.rows = p.h + p.pad_top + p.pad_bottom + 1;
    // A row's right padding is the next row's left zeros and its own trailing ones; at least
    // out_w wide, so that output columns reading only padding (pads at least the kernel's span,
    // e.g. a padded 1x1 conv) keep their own places instead of the next row's first ones.
    ip.row_stride = std::max(p.w + std::max(p.pad_left, p.pad_right), ip.out_w);
    ip.plane_floats = ip.rows * ip.row_stride;
    ip.channel_stride = ip.plane_floats;
    ip.data_offset = p.pad_top * ip.row_stride + p.pad_left;
    for (int64_t ky = 0; ky < p.kh; ++ky)
      for (int64_t kx = 0; kx < p.kw; ++kx)
        ip.tap_offset.push_back(static_cast<int32_t>(ky * p.dilation_h * ip.row_stride + kx * p.dilation_w));
  } else {
    const int64_t s = ip.stride;
    ip.layout = InputPlanes::Layout::phases;
    const int64_t padded_h = p.h + p.pad_top + p.pad_bottom;
    const int64_t padded_w = p.w + p.pad_left + p.pad_right;
    ip.rows = (padded_h + s - 1) / s + 1;  // + 1 row of slack, as above
    ip.row_stride = (padded_w + s - 1) / s;
    ip.plane_floats = ip.rows * ip.row_stride;
    // Tap (ky, kx) reads padded row oy*s + ky*dilation_h: phase (ky*dilation_h) % s. The phases
    // read are those below the kernel's span (a 1x1 kernel reads one phase only).
    const int64_t span_h = (p.kh - 1) * p.dilation_h + 1, span_w = (p.kw - 1) * p.dilation_w + 1;
    ip.phases_h = std::min(s, span_h);
    ip.phases_w = std::min(s, span_w);
    ip.channel_stride = ip.phases_h * ip.phases_w * ip.plane_floats;
    for (int64_t ky = 0; ky < p.kh; ++ky)
      for (int64_t kx = 0; kx < p.kw; ++kx) {
        const int64_t dy = ky * p.dilation_h, dx = kx * p.dilation_w;
        const int64_t phase = (dy % s) * ip.phases_w + (dx % s);
        ip.tap_offset.push_back(
            static_cast<int32_t>(phase * ip.plane_floats + (dy / s) * ip.row_stride + dx / s));
      }
  }
  ip.q_count = ip.out_h * ip.row_stride;
  if (p.c_in * ip.channel_stride > std::numeric_limits<int32_t>::max() / 2) {
    throw InvalidArgument("convolution " + p.to_string() + ": input too large for 32-bit offsets");
  }
  return ip;
}

namespace {

// Padded layout, plane rows [r0, r1): row r is input row r - pad_top (or zeros) at columns
// [pad_left, pad_left + w), zeros elsewhere; a row's trailing zeros are also the right padding of
// the row before the next. Plain loops: rows are short (7 to 112 floats), too short for library
// calls to pay.
void fill_padded(const InputPlanes& ip, const ConvParams& p, const float* HWY_RESTRICT src,
                 int64_t r0, int64_t r1, float* HWY_RESTRICT dst) {
  for (int64_t r = r0; r < r1; ++r) {
    float* HWY_RESTRICT out = dst + r * ip.row_stride;
    const int64_t y = r - p.pad_top;
    if (y < 0 || y >= p.h) {
      for (int64_t j = 0; j < ip.row_stride; ++j) out[j] = 0.0f;
      continue;
    }
    const float* HWY_RESTRICT in = src + y * p.w;
    for (int64_t j = 0; j < p.pad_left; ++j) out[j] = 0.0f;
    for (int64_t j = 0; j < p.w; ++j) out[p.pad_left + j] = in[j];
    for (int64_t j = p.pad_left + p.w; j < ip.row_stride; ++j) out[j] = 0.0f;
  }
}

// Phases layout, rows [r0, r1) of every phase: phase (py, px), row i, column j holds padded input
// (i*s + py, j*s + px), i.e. input (i*s + py - pad_top, j*s + px - pad_left), zero outside the
// input. Every float is written once.
void fill_phases(const InputPlanes& ip, const ConvParams& p, const float* src, int64_t r0,
                 int64_t r1, float* dst, std::vector<float>& scratch) {
  const int64_t s = ip.stride;
  // For stride 2, split the input rows these phase rows read into even and odd columns first:
  // with an even width they are the even / odd columns of every row, w/2 apart.
  const bool split = s == 2 && p.w % 2 == 0;
  if (split) {
    const int64_t y0 = std::clamp<int64_t>(r0 * s - p.pad_top, 0, p.h);
    const int64_t y1 = std::clamp<int64_t>(r1 * s + s - 1 - p.pad_top, y0, p.h);
    scratch.resize(p.h * p.w);
    float* even = scratch.data();
    float* odd = even + p.h * p.w / 2;
    deinterleave2(src + y0 * p.w, (y1 - y0) * p.w, even + y0 * p.w / 2, odd + y0 * p.w / 2);
  }
  for (int64_t py = 0; py < ip.phases_h; ++py) {
    for (int64_t px = 0; px < ip.phases_w; ++px) {
      float* phase = dst + (py * ip.phases_w + px) * ip.plane_floats;
      // Phase column j reads input column first + s*j; the valid j are [j0, j0 + count).
      const int64_t first = px - p.pad_left;
      const int64_t j0 = first >= 0 ? 0 : (-first + s - 1) / s;
      const int64_t start = first + s * j0;
      const int64_t count = std::clamp<int64_t>((p.w - start + s - 1) / s, 0, ip.row_stride - j0);
      const float* halves = scratch.data() + (start % 2 ? p.h * p.w / 2 : 0) + start / 2;
      for (int64_t i = r0; i < r1; ++i) {
        float* out = phase + i * ip.row_stride;
        const int64_t y = i * s + py - p.pad_top;
        if (y < 0 || y >= p.h || count == 0) {
          for (int64_t j = 0; j < ip.row_stride; ++j) out[j] = 0.0f;
          continue;
        }
        for (int64_t j = 0; j < j0; ++j) out[j] = 0.0f;
        if (split) {
          const float* from = halves + y * (p.w / 2);
          for (int64_t j = 0; j < count; ++j) out[j0 + j] = from[j];
        } else {
          const float* row = src + y * p.w + start;
          for (int64_t j = 0; j < count; ++j) out[j0 + j] = row[s * j];
        }
        for (int64_t j = j0 + count; j < ip.row_stride; ++j) out[j] = 0.0f;
      }
    }
  }
}

}  // namespace

void fill_input_planes(const InputPlanes& ip, const ConvParams& p, const float* x, int64_t c_begin,
                       int64_t c_end, int64_t row_begin, int64_t row_end, float* out) {
  row_begin = std::clamp<int64_t>(row_begin, 0, ip.rows);
  row_end = std::clamp<int64_t>(row_end, row_begin, ip.rows);
  std::vector<float> scratch;
  for (int64_t c = c_begin; c < c_end; ++c) {
    const float* src = x + c * p.h * p.w;
    float* dst = out + c * ip.channel_stride;
    if (ip.layout == InputPlanes::Layout::padded) {
      fill_padded(ip, p, src, row_begin, row_end, dst);
    } else {
      fill_phases(ip, p, src, row_begin, row_end, dst, scratch);
    }
  }
}

}  // namespace onexn::detail
