// Shapes and views of the weights onexn prunes.
//
// A conv weight is stored OIHW: W[c_out][c_in_per_group][kh][kw], the layout ONNX and PyTorch use.
// A linear (Gemm / MatMul) weight W[c_out][c_in] is treated as a 1x1 conv with one group.
// A ConvTranspose weight is stored IOHW (see oihw_from_iohw below); onexn computes its masks and
// statistics on the same weights in OIHW order, so its 1xN blocks are a conv's.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace onexn {

struct WeightShape {
  int64_t c_out = 0;
  int64_t c_in_per_group = 0;
  int64_t kh = 1;
  int64_t kw = 1;
  int64_t groups = 1;

  static WeightShape conv(int64_t c_out, int64_t c_in_per_group, int64_t kh, int64_t kw,
                          int64_t groups = 1) {
    return {c_out, c_in_per_group, kh, kw, groups};
  }
  static WeightShape linear(int64_t out_features, int64_t in_features) {
    return {out_features, in_features, 1, 1, 1};
  }
  // The OIHW shape of a ConvTranspose weight stored [c_in][c_out_per_group][kh][kw]; the caller
  // checks that groups divides c_in.
  static WeightShape transposed_conv(int64_t c_in, int64_t c_out_per_group, int64_t kh, int64_t kw,
                                     int64_t groups = 1) {
    return {c_out_per_group * groups, c_in / groups, kh, kw, groups};
  }

  int64_t taps() const { return kh * kw; }
  int64_t c_out_per_group() const { return c_out / groups; }
  int64_t c_in() const { return c_in_per_group * groups; }
  int64_t numel() const { return c_out * c_in_per_group * kh * kw; }
  // Flat index of W[o][i][y][x].
  int64_t index(int64_t o, int64_t i, int64_t y, int64_t x) const {
    return ((o * c_in_per_group + i) * kh + y) * kw + x;
  }
  bool operator==(const WeightShape&) const = default;

  // Throws InvalidArgument unless all extents are positive and groups divides c_out.
  void validate() const;
  // "[64, 64, 3, 3]" (with " g=32" when grouped).
  std::string to_string() const;
};

// A non-owning view of a weight tensor in OIHW order.
template <typename T>
struct BasicWeightView {
  T* data = nullptr;
  WeightShape shape;

  T& at(int64_t o, int64_t i, int64_t y, int64_t x) const {
    return data[shape.index(o, i, y, x)];
  }
  std::span<T> span() const { return {data, static_cast<size_t>(shape.numel())}; }
  operator BasicWeightView<const T>() const { return {data, shape}; }
};

using WeightView = BasicWeightView<float>;
using ConstWeightView = BasicWeightView<const float>;

// IOHW storage, per conv group: W[c_in][c_out / groups][kh][kw], where input channel c belongs to
// conv group g = c / c_in_per_group and W[c][j] is the tap set from input c to output channel
// g * c_out_per_group + j. ConvTranspose stores its weights so; Gemm with transB = 0 and MatMul
// store [c_in][c_out], the same layout with one group and one tap. These convert between that
// storage and OIHW (`shape` is the OIHW shape). Taps keep their stored order (no spatial flip):
// OIHW block (j, c) of N rows is the stored W[c][j*N : j*N + N][:][:], N consecutive output
// channels at one input channel. Throws InvalidArgument if the size is not shape.numel().
std::vector<float> oihw_from_iohw(std::span<const float> iohw, const WeightShape& shape);
std::vector<float> iohw_from_oihw(std::span<const float> oihw, const WeightShape& shape);

}  // namespace onexn
