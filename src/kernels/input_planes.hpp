// Input planes: the input of a convolution rearranged so that every tap of every output pixel is a
// fixed offset from the pixel's index. Then a KxK conv is a sum of shifted 1x1 convs, and a kernel
// that loads a vector of consecutive output pixels loads a vector of consecutive inputs per tap.
//
// Dilation d spreads the taps: tap (ky, kx) reads the padded input at (oy*s + ky*d_h, ox*s + kx*d_w).
//
// Output pixels are numbered q = oy * row_stride + ox in "flattened" coordinates; a q is valid when
// ox < out_w (the columns out_w .. row_stride-1 of each row are computed and thrown away). For
// input channel c and tap (ky, kx), the input value under valid q is
//   planes[c * channel_stride + tap_offset[ky * kw + kx] + q].
//
// Three layouts, picked from the conv's geometry:
//  - direct: 1x1, stride 1, no padding. The caller's NCHW image is used as it is: row_stride = W,
//    channel_stride = H*W, all q valid. Nothing is copied.
//  - padded (stride 1): each row holds pad_left zeros, then the W inputs; the row stride is
//    W + max(pad_left, pad_right), so a row's right padding reuses the next row's left zeros and
//    only max(pad) columns per row are wasted (a tap reading past a row's end lands in the next
//    row's left zeros, dilated or not); at least out_w, when pads on both sides reach past the
//    kernel's span (a padded 1x1 conv), so that every output column has a place of its own. pad_top / pad_bottom zero rows above and below.
//  - phases (stride s > 1): the zero-padded input split into s*s phase images (py, px) holding
//    padded rows py, py+s, ... and columns px, px+s, ...; tap (ky, kx) reads phase (ky%s, kx%s)
//    at row +ky/s, column +kx/s (dilated: phase (ky*d_h % s, kx*d_w % s), row +ky*d_h/s). Together the phases are about the size of the padded input
//    (a 1x1 kernel needs phase (0, 0) only: the subsampled input).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/conv_params.hpp"

namespace onexn::detail {

struct InputPlanes {
  enum class Layout { direct, padded, phases };
  Layout layout = Layout::direct;
  int64_t stride = 1;          // conv stride (equal in both directions for non-direct layouts)
  int64_t rows = 0;            // rows per plane (padded rows, or rows of one phase), slack included
  int64_t row_stride = 0;      // floats per plane row; also the flattened output row length
  int64_t plane_floats = 0;    // floats per plane (one phase of one channel)
  int64_t channel_stride = 0;  // floats per channel (all its phases)
  int64_t data_offset = 0;     // padded layout: where input (0, 0) sits in its plane
  int64_t phases_h = 1, phases_w = 1;  // phases layout: min(stride, kernel) along each axis
  int64_t out_h = 0, out_w = 0;
  int64_t q_count = 0;         // out_h * row_stride: flattened output pixels to compute
  std::vector<int32_t> tap_offset;  // kh*kw offsets, relative to the channel's base

  // Floats of prepared planes for one image (0 for the direct layout), without slack.
  int64_t prepared_floats(int64_t c_in) const { return layout == Layout::direct ? 0 : c_in * channel_stride; }
};

// Picks the layout for p. Throws InvalidArgument for what the fast kernels do not cover:
// different strides along H and W.
InputPlanes plan_input_planes(const ConvParams& p);

// Fills rows [row_begin, row_end) (of `rows`, in every phase) of channels [c_begin, c_end) of the
// prepared planes `out` (prepared_floats(c_in) floats, plus any slack the caller adds) from one
// NCHW image `x` (c_in * h * w floats). Not for the direct layout. Threads that split the pixels
// of a layer fill the rows they will read, so the planes are in their own caches.
void fill_input_planes(const InputPlanes& planes, const ConvParams& p, const float* x,
                       int64_t c_begin, int64_t c_end, int64_t row_begin, int64_t row_end,
                       float* out);

}  // namespace onexn::detail
