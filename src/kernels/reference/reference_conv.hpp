// Scalar reference convolutions. Kept simple on purpose: they are the oracles every fast kernel is
// tested against, so they favour obvious loops over speed. Tensors are NCHW, weights OIHW.
#pragma once

#include "kernels/conv_params.hpp"
#include "onexn/packed_1xn.hpp"

namespace onexn {

// y[n][o][oy][ox] = epilogue(sum over i, ky, kx of w[o][i][ky][kx] * x[n][g*cig + i][iy][ix]),
// iy = oy*stride_h - pad_top + ky*dilation_h (likewise ix); out-of-range input reads as zero.
// Any groups (depthwise included), stride, padding and dilation.
void conv2d_dense_ref(const ConvParams& p, const float* x, const float* w, const Epilogue& epi,
                      float* y);

// The same convolution with weights in the packed 1xN format; only kept blocks are visited.
// packed.shape must equal p.weight_shape().
void conv2d_1xn_ref(const ConvParams& p, const float* x, const Packed1xN& packed,
                    const Epilogue& epi, float* y);

// Transposed convolution from its definition: every input pixel scatters x * W[c][o][ky][kx] to
// output (iy*stride_h - pad_top + ky*dilation_h, ix*stride_w - pad_left + kx*dilation_w) when
// that lies inside the output; then the epilogue. w: W[c_in][c_out/groups][kh][kw].
void conv_transpose2d_ref(const ConvTransposeParams& p, const float* x, const float* w,
                          const Epilogue& epi, float* y);

}  // namespace onexn
