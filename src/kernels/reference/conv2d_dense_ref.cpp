#include "onexn/error.hpp"
#include "kernels/reference/reference_conv.hpp"

namespace onexn {

void conv2d_dense_ref(const ConvParams& p, const float* x, const float* w, const Epilogue& epi,
                      float* y) {
  p.validate();
  const int64_t oh = p.out_h(), ow = p.out_w();
  const int64_t cig = p.c_in / p.groups, cog = p.c_out / p.groups;
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t o = 0; o < p.c_out; ++o) {
      const int64_t g = o / cog;
      for (int64_t oy = 0; oy < oh; ++oy) {
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = 0.0;
          for (int64_t i = 0; i < cig; ++i) {
            const int64_t ci = g * cig + i;
            for (int64_t ky = 0; ky < p.kh; ++ky) {
              const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
              if (iy < 0 || iy >= p.h) continue;
              for (int64_t kx = 0; kx < p.kw; ++kx) {
                const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
                if (ix < 0 || ix >= p.w) continue;
                acc += double(w[((o * cig + i) * p.kh + ky) * p.kw + kx]) *
                       double(x[((n * p.c_in + ci) * p.h + iy) * p.w + ix]);
              }
            }
          }
          const int64_t out = ((n * p.c_out + o) * oh + oy) * ow + ox;
          y[out] = epi.apply(static_cast<float>(acc), o, out);
        }
      }
    }
  }
}

}  // namespace onexn
