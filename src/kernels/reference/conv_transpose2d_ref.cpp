#include <vector>

#include "kernels/reference/reference_conv.hpp"

namespace onexn {

void conv_transpose2d_ref(const ConvTransposeParams& p, const float* x, const float* w,
                          const Epilogue& epi, float* y) {
  p.validate();
  const int64_t oh = p.out_h(), ow = p.out_w();
  const int64_t cig = p.c_in / p.groups, cog = p.c_out / p.groups;
  std::vector<double> acc(static_cast<size_t>(p.c_out * oh * ow));
  for (int64_t n = 0; n < p.batch; ++n) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t c = 0; c < p.c_in; ++c) {
      const int64_t g = c / cig;
      for (int64_t iy = 0; iy < p.h; ++iy) {
        for (int64_t ix = 0; ix < p.w; ++ix) {
          const double v = x[((n * p.c_in + c) * p.h + iy) * p.w + ix];
          for (int64_t oo = 0; oo < cog; ++oo) {
            const int64_t o = g * cog + oo;
            for (int64_t ky = 0; ky < p.kh; ++ky) {
              const int64_t oy = iy * p.stride_h - p.pad_top + ky * p.dilation_h;
              if (oy < 0 || oy >= oh) continue;
              for (int64_t kx = 0; kx < p.kw; ++kx) {
                const int64_t ox = ix * p.stride_w - p.pad_left + kx * p.dilation_w;
                if (ox < 0 || ox >= ow) continue;
                acc[(o * oh + oy) * ow + ox] += v * double(w[((c * cog + oo) * p.kh + ky) * p.kw + kx]);
              }
            }
          }
        }
      }
    }
    for (int64_t o = 0; o < p.c_out; ++o) {
      for (int64_t q = 0; q < oh * ow; ++q) {
        const int64_t out = (n * p.c_out + o) * oh * ow + q;
        y[out] = epi.apply(static_cast<float>(acc[o * oh * ow + q]), o, out);
      }
    }
  }
}

}  // namespace onexn
