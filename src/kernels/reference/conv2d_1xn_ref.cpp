#include <vector>

#include "onexn/error.hpp"
#include "kernels/reference/reference_conv.hpp"

namespace onexn {

// Visits output group by output group, and within a group only the kept blocks: for kept block b
// at input channel c, lane r adds values[b][tap][r] * x[c][iy][ix] to output channel first_row + r.
void conv2d_1xn_ref(const ConvParams& p, const float* x, const Packed1xN& packed,
                    const Epilogue& epi, float* y) {
  p.validate();
  if (!(packed.shape == p.weight_shape())) {
    throw InvalidArgument("conv2d_1xn_ref: packed weights " + packed.shape.to_string() +
                          " do not fit convolution " + p.to_string());
  }
  packed.validate();
  const BlockGrid grid = packed.grid();
  const int64_t oh = p.out_h(), ow = p.out_w();
  const int64_t cig = p.c_in / p.groups;
  const int64_t groups_per_conv_group = grid.groups_per_conv_group();
  std::vector<double> acc(packed.n);
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t g = 0; g < grid.num_out_groups(); ++g) {
      const int64_t conv_group = g / groups_per_conv_group;
      const int64_t row0 = grid.first_row(g), rows = grid.rows(g);
      for (int64_t oy = 0; oy < oh; ++oy) {
        for (int64_t ox = 0; ox < ow; ++ox) {
          std::fill(acc.begin(), acc.end(), 0.0);
          for (uint32_t b = packed.block_begin[g]; b < packed.block_begin[g + 1]; ++b) {
            const int64_t ci = conv_group * cig + packed.channel[b];
            const float* v = packed.block_values(b);
            for (int64_t ky = 0; ky < p.kh; ++ky) {
              const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
              if (iy < 0 || iy >= p.h) continue;
              for (int64_t kx = 0; kx < p.kw; ++kx) {
                const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
                if (ix < 0 || ix >= p.w) continue;
                const double in = x[((n * p.c_in + ci) * p.h + iy) * p.w + ix];
                const float* lanes = v + (ky * p.kw + kx) * packed.n;
                for (int64_t r = 0; r < rows; ++r) acc[r] += double(lanes[r]) * in;
              }
            }
          }
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t out = ((n * p.c_out + row0 + r) * oh + oy) * ow + ox;
            y[out] = epi.apply(static_cast<float>(acc[r]), row0 + r, out);
          }
        }
      }
    }
  }
}

}  // namespace onexn
