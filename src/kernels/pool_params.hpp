// The geometry of a 2-D pooling window over one NCHW plane (a 1-D pool is one of height 1), as
// the runtime resolves it from an ONNX MaxPool / AveragePool node: pads explicit, output size
// known (ceil_mode and auto_pad already applied).
#pragma once

#include <cstdint>
#include <string>

namespace onexn {

enum class PoolKind {
  max,
  average,            // divides by the taps inside the input
  average_count_pad,  // divides by the taps inside the padded input (count_include_pad = 1)
};

// Output (oy, ox) reads input (oy * stride_h - pad_top + ky * dilation_h, likewise x) for the
// taps ky < kh, kx < kw that fall inside the input. A tap inside the padded input
// [-pad_top, in_h + pad_bottom) x [-pad_left, in_w + pad_right) counts for average_count_pad; a
// window may reach past the end pads (ceil_mode), and those taps count for nothing.
struct PoolParams {
  PoolKind kind = PoolKind::max;
  int64_t in_h = 1, in_w = 1, out_h = 1, out_w = 1;
  int64_t kh = 1, kw = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;

  // e.g. "max 3x3 s2x2 d1x1 pads 1,1,1,1 on 112x112 -> 56x56".
  std::string to_string() const;
};

// The taps [first, last) of one window along one dimension that fall inside [0, in), and the
// number inside [-pad_begin, in + pad_end): for the window starting at `start` (in input
// coordinates) with `kernel` taps `dilation` apart.
struct PoolTaps {
  int64_t first = 0, last = 0, padded = 0;
};
PoolTaps pool_taps(int64_t start, int64_t kernel, int64_t dilation, int64_t in, int64_t pad_begin,
                   int64_t pad_end);

}  // namespace onexn
