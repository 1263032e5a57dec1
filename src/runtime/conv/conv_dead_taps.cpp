#include "runtime/conv/conv_dead_taps.hpp"

namespace onexn::runtime {
namespace {

// Whether tap k of one axis reads input index oy*s - pad + k*d in [0, in) for some oy < out.
bool alive(int64_t k, int64_t in, int64_t out, int64_t s, int64_t d, int64_t pad) {
  const int64_t base = k * d - pad;  // input index for oy = 0
  const int64_t first = base >= 0 ? 0 : (-base + s - 1) / s;  // first oy reading index >= 0
  return first < out && first * s + base < in;
}

// The first and last live taps of one axis, and the pads that keep the output size; false when
// nothing can be cropped.
bool crop_axis(int64_t k, int64_t in, int64_t out, int64_t s, int64_t d, int64_t pad_begin,
               int64_t pad_end, int64_t& first, int64_t& last, int64_t& new_begin, int64_t& new_end) {
  first = 0;
  last = k - 1;
  while (first < k && !alive(first, in, out, s, d, pad_begin)) ++first;
  if (first == k) return false;  // no tap reads the input: the output is the bias, left as it is
  while (!alive(last, in, out, s, d, pad_begin)) --last;
  new_begin = pad_begin - first * d;
  new_end = pad_end - (k - 1 - last) * d;
  return (first > 0 || last < k - 1) && new_begin >= 0 && new_end >= 0;
}

}  // namespace

bool crop_dead_taps(ConvParams& p, std::vector<float>& w) {
  int64_t y0, y1, top, bottom, x0, x1, left, right;
  const bool crop_h = crop_axis(p.kh, p.h, p.out_h(), p.stride_h, p.dilation_h, p.pad_top,
                                p.pad_bottom, y0, y1, top, bottom);
  const bool crop_w = crop_axis(p.kw, p.w, p.out_w(), p.stride_w, p.dilation_w, p.pad_left,
                                p.pad_right, x0, x1, left, right);
  if (!crop_h && !crop_w) return false;
  if (!crop_h) y0 = 0, y1 = p.kh - 1, top = p.pad_top, bottom = p.pad_bottom;
  if (!crop_w) x0 = 0, x1 = p.kw - 1, left = p.pad_left, right = p.pad_right;
  const WeightShape old_shape = p.weight_shape();
  ConvParams q = p;
  q.kh = y1 - y0 + 1;
  q.kw = x1 - x0 + 1;
  q.pad_top = top;
  q.pad_bottom = bottom;
  q.pad_left = left;
  q.pad_right = right;
  if (q.kh == 1) q.dilation_h = 1;  // a single tap has no spacing
  if (q.kw == 1) q.dilation_w = 1;
  const WeightShape ws = q.weight_shape();
  std::vector<float> cropped(static_cast<size_t>(ws.numel()));
  for (int64_t o = 0; o < ws.c_out; ++o)
    for (int64_t i = 0; i < ws.c_in_per_group; ++i)
      for (int64_t ky = 0; ky < q.kh; ++ky)
        for (int64_t kx = 0; kx < q.kw; ++kx)
          cropped[ws.index(o, i, ky, kx)] = w[old_shape.index(o, i, y0 + ky, x0 + kx)];
  p = q;
  w = std::move(cropped);
  return true;
}

}  // namespace onexn::runtime
