// Shapes and views of the weights onexn prunes.
//
// A conv weight is stored OIHW: W[c_out][c_in_per_group][kh][kw], the layout ONNX and PyTorch use.
// A linear (Gemm / MatMul) weight W[c_out][c_in] is treated as a 1x1 conv with one group.
#pragma once

#include <cstdint>
#include <span>
#include <string>

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

}  // namespace onexn
