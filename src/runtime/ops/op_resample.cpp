#include "runtime/ops/op_resample.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "runtime/ops/op_util.hpp"

namespace onexn::runtime::ops {
namespace {

// Keys' cubic convolution kernel with parameter a (ONNX's cubic_coeff_a; -0.75 as PyTorch,
// -0.5 as TensorFlow) at distance s.
double cubic_weight(double s, double a) {
  s = std::abs(s);
  if (s <= 1.0) return ((a + 2.0) * s - (a + 3.0)) * s * s + 1.0;
  if (s < 2.0) return ((a * s - 5.0 * a) * s + 8.0 * a) * s - 4.0 * a;
  return 0.0;
}

int64_t nearest_index(double x, NearestMode mode, bool downsampling) {
  const double f = std::floor(x);
  switch (mode) {
    case NearestMode::round_prefer_floor:
      return static_cast<int64_t>(x - f == 0.5 ? f : std::round(x));
    case NearestMode::round_prefer_ceil:
      return static_cast<int64_t>(x - f == 0.5 ? f + 1.0 : std::round(x));
    case NearestMode::floor:
      return static_cast<int64_t>(f);
    case NearestMode::ceil:
      return static_cast<int64_t>(std::ceil(x));
    case NearestMode::legacy:
      return static_cast<int64_t>(downsampling ? std::ceil(x) : std::trunc(x));
  }
  return 0;
}

}  // namespace

double resample_source_coordinate(CoordinateMode mode, int64_t x, const ResampleAxisSpec& s) {
  const double xr = static_cast<double>(x);
  const double in1 = static_cast<double>(s.in - 1), out1 = static_cast<double>(s.out - 1);
  switch (mode) {
    case CoordinateMode::half_pixel:
      return (xr + 0.5) / s.scale - 0.5;
    case CoordinateMode::pytorch_half_pixel:
      return s.out > 1 ? (xr + 0.5) / s.scale - 0.5 : 0.0;
    case CoordinateMode::align_corners:
      // The integer output length, as ONNX Runtime and PyTorch compute it. ONNX's reference
      // implementation uses in * scale instead, which differs when the scales input does not
      // give a whole number of positions (see ops_resize_test).
      return s.out == 1 ? 0.0 : xr * in1 / out1;
    case CoordinateMode::asymmetric:
      return xr / s.scale;
    case CoordinateMode::tf_half_pixel_for_nn:
      return (xr + 0.5) / s.scale;
    case CoordinateMode::tf_crop_and_resize:
      return s.out > 1 ? s.roi_start * in1 + xr * (s.roi_end - s.roi_start) * in1 / out1
                       : 0.5 * (s.roi_start + s.roi_end) * in1;
  }
  return 0.0;
}

ResampleAxis make_resample_axis(const ResampleOptions& options, const ResampleAxisSpec& spec) {
  ResampleAxis a;
  a.in = spec.in;
  a.out = spec.out;
  const int taps = options.mode == ResampleMode::nearest  ? 1
                   : options.mode == ResampleMode::linear ? 2
                                                          : 4;
  std::vector<int64_t> index(static_cast<size_t>(spec.out) * taps, 0);
  std::vector<float> weight(index.size(), 0.0f);
  std::vector<uint8_t> outside(spec.out, 0);
  bool any_outside = false, single = true;  // single: at most one nonzero tap everywhere
  const double last = static_cast<double>(spec.in - 1);
  // An axis left as it is (scale 1) keeps its positions. Every coordinate mode but two maps it
  // so anyway; tf_half_pixel_for_nn would shift it by half a position (and nearest with ceil
  // would read the next channel), which ONNX Runtime does not do. tf_crop_and_resize may crop it.
  const bool kept = spec.in == spec.out && spec.scale == 1.0 &&
                    options.coordinates != CoordinateMode::tf_crop_and_resize;
  for (int64_t o = 0; o < spec.out; ++o) {
    double x =
        kept ? static_cast<double>(o) : resample_source_coordinate(options.coordinates, o, spec);
    if (options.coordinates == CoordinateMode::tf_crop_and_resize && !(x >= 0.0 && x <= last)) {
      outside[o] = 1;  // TensorFlow's CropAndResize: the extrapolation value, no taps
      any_outside = true;
      continue;
    }
    // Far outside the input every tap clamps to the edge anyway; bounding x keeps the integer
    // conversions below in range.
    x = std::clamp(x, -4.0, last + 4.0);
    int64_t idx[4] = {0, 0, 0, 0};
    double w[4] = {0, 0, 0, 0};
    if (options.mode == ResampleMode::nearest) {
      idx[0] = nearest_index(x, options.nearest, spec.scale < 1.0);
      w[0] = 1.0;
    } else {
      const double f = std::floor(x), t = x - f;
      const int64_t i0 = static_cast<int64_t>(f);
      if (options.mode == ResampleMode::linear) {
        idx[0] = i0;
        idx[1] = i0 + 1;
        w[0] = 1.0 - t;
        w[1] = t;
      } else {
        for (int k = 0; k < 4; ++k) {
          idx[k] = i0 - 1 + k;
          w[k] = cubic_weight(t + 1.0 - k, options.cubic_a);
        }
        if (options.exclude_outside) {
          double sum = 0.0;
          for (int k = 0; k < 4; ++k) {
            if (idx[k] < 0 || idx[k] >= spec.in) w[k] = 0.0;
            sum += w[k];
          }
          if (sum != 0.0)
            for (double& v : w) v /= sum;
        }
      }
    }
    // Edge padding: taps outside the input read its first or last element; taps that land on
    // the same element are merged, so that e.g. linear's two clamped taps become one of weight 1.
    int nonzero = 0;
    for (int k = 0; k < taps; ++k) {
      idx[k] = std::clamp<int64_t>(idx[k], 0, spec.in - 1);
      for (int j = 0; j < k; ++j) {
        if (idx[j] == idx[k] && w[k] != 0.0) {
          w[j] += w[k];
          w[k] = 0.0;
        }
      }
    }
    for (int k = 0; k < taps; ++k) {
      index[o * taps + k] = idx[k];
      weight[o * taps + k] = static_cast<float>(w[k]);
      nonzero += w[k] != 0.0;
    }
    single &= nonzero <= 1;
  }
  if (single && taps > 1) {  // every position on an input sample: one tap per position
    a.taps = 1;
    a.index.assign(spec.out, 0);
    a.weight.assign(spec.out, 0.0f);
    for (int64_t o = 0; o < spec.out; ++o) {
      for (int k = 0; k < taps; ++k) {
        if (weight[o * taps + k] != 0.0f) {
          a.index[o] = index[o * taps + k];
          a.weight[o] = weight[o * taps + k];
        }
      }
    }
  } else {
    a.taps = taps;
    a.index = std::move(index);
    a.weight = std::move(weight);
  }
  if (any_outside) a.outside = std::move(outside);
  a.identity = a.out == a.in && a.taps == 1 && !any_outside;
  for (int64_t o = 0; a.identity && o < a.out; ++o)
    a.identity = a.index[o] == o && a.weight[o] == 1.0f;
  return a;
}

ResamplePlan make_resample_plan(const ResampleOptions& options,
                                const std::vector<ResampleAxisSpec>& axes) {
  ResamplePlan p;
  p.extrapolation = options.extrapolation;
  p.gather_only = true;
  for (const ResampleAxisSpec& s : axes) {
    p.axes.push_back(make_resample_axis(options, s));
    const ResampleAxis& a = p.axes.back();
    p.gather_only &= a.taps == 1;
    for (int64_t o = 0; p.gather_only && o < a.out; ++o)
      p.gather_only = a.weight[o] == 1.0f || (!a.outside.empty() && a.outside[o]);
  }
  return p;
}

namespace {

// An input row (offset of its first element) and its weight in the output row being made.
struct RowTap {
  int64_t offset;
  float weight;
  bool operator==(const RowTap& o) const { return offset == o.offset && weight == o.weight; }
};

// Element o of input row `src` resampled along the last axis: kTaps = 0 when that axis is
// left as it is.
template <int kTaps>
inline float last_axis_at(const float* src, const ResampleAxis& a, int64_t o) {
  if constexpr (kTaps == 0) {
    return src[o];
  } else {
    const int64_t* i = a.index.data() + o * kTaps;
    const float* w = a.weight.data() + o * kTaps;
    float s = src[i[0]] * w[0];
    for (int k = 1; k < kTaps; ++k) s += src[i[k]] * w[k];
    return s;
  }
}

// One output row as the weighted sum of its input rows, each resampled along the last axis.
template <int kTaps>
void weighted_row(const float* in, const std::vector<RowTap>& taps, const ResampleAxis& last,
                  float* y) {
  const int64_t n = last.out;
  const float* s0 = in + taps[0].offset;
  const float w0 = taps[0].weight;
  if (taps.size() == 1) {
    for (int64_t o = 0; o < n; ++o) y[o] = w0 * last_axis_at<kTaps>(s0, last, o);
    return;
  }
  const float* s1 = in + taps[1].offset;
  const float w1 = taps[1].weight;
  for (int64_t o = 0; o < n; ++o)
    y[o] = w0 * last_axis_at<kTaps>(s0, last, o) + w1 * last_axis_at<kTaps>(s1, last, o);
  for (size_t k = 2; k < taps.size(); ++k) {
    const float* s = in + taps[k].offset;
    const float w = taps[k].weight;
    for (int64_t o = 0; o < n; ++o) y[o] += w * last_axis_at<kTaps>(s, last, o);
  }
}

// Output rows [r0, r1): rows are all dims but the last, in row-major order.
template <typename T>
void resample_rows(const ResamplePlan& p, const T* in, T* out, int64_t r0, int64_t r1) {
  const size_t rank = p.axes.size();
  const ResampleAxis& last = p.axes[rank - 1];
  const int64_t width = last.out;
  std::vector<int64_t> in_stride(rank, 1);
  for (size_t d = rank - 1; d-- > 0;) in_stride[d] = in_stride[d + 1] * p.axes[d + 1].in;
  // Multi-index of row r0 over the leading dims.
  std::vector<int64_t> pos(rank, 0);
  for (int64_t rest = r0, d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
    pos[d] = rest % p.axes[d].out;
    rest /= p.axes[d].out;
  }
  const T fill = static_cast<T>(p.extrapolation);
  std::vector<RowTap> taps, next, previous;
  bool previous_valid = false;
  for (int64_t r = r0; r < r1; ++r) {
    T* y = out + r * width;
    bool outside = false;
    taps.assign(1, RowTap{0, 1.0f});
    for (size_t d = 0; d + 1 < rank && !outside; ++d) {
      const ResampleAxis& a = p.axes[d];
      const int64_t o = pos[d];
      if (!a.outside.empty() && a.outside[o]) {
        outside = true;
        break;
      }
      if (a.taps == 1 && a.weight[o] == 1.0f) {
        for (RowTap& t : taps) t.offset += a.index[o] * in_stride[d];
        continue;
      }
      next.clear();
      for (const RowTap& t : taps) {
        for (int k = 0; k < a.taps; ++k) {
          const float w = a.weight[o * a.taps + k];
          if (w != 0.0f)
            next.push_back({t.offset + a.index[o * a.taps + k] * in_stride[d], t.weight * w});
        }
      }
      std::swap(taps, next);
    }
    // Next row's multi-index.
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      if (++pos[d] < p.axes[d].out) break;
      pos[d] = 0;
    }
    if (outside || taps.empty()) {
      std::fill_n(y, width, fill);
      previous_valid = false;
      continue;
    }
    if (previous_valid && taps == previous) {
      std::memcpy(y, y - width, static_cast<size_t>(width) * sizeof(T));
      continue;
    }
    if (p.gather_only) {
      const T* src = in + taps[0].offset;
      if (last.identity) {
        std::memcpy(y, src, static_cast<size_t>(width) * sizeof(T));
      } else {
        for (int64_t o = 0; o < width; ++o) y[o] = src[last.index[o]];
      }
    } else if constexpr (std::is_same_v<T, float>) {
      if (last.identity) {
        weighted_row<0>(in, taps, last, y);
      } else if (last.taps == 1) {
        weighted_row<1>(in, taps, last, y);
      } else if (last.taps == 2) {
        weighted_row<2>(in, taps, last, y);
      } else {
        weighted_row<4>(in, taps, last, y);
      }
    }
    if (!last.outside.empty()) {
      for (int64_t o = 0; o < width; ++o)
        if (last.outside[o]) y[o] = fill;
    }
    std::swap(previous, taps);
    previous_valid = true;
  }
}

template <typename T>
void resample(const ResamplePlan& p, const T* in, T* out, int threads) {
  int64_t rows = 1, total = 1, taps = 1;
  for (size_t d = 0; d < p.axes.size(); ++d) {
    if (d + 1 < p.axes.size()) rows *= p.axes[d].out;
    total *= p.axes[d].out;
    taps *= p.axes[d].taps;
  }
  if (total == 0) return;
  const int64_t parts =
      total * taps > kParallelMin ? std::min<int64_t>(std::max(threads, 1), rows) : 1;
#pragma omp parallel for num_threads(threads) if (parts > 1) schedule(static)
  for (int64_t c = 0; c < parts; ++c)
    resample_rows(p, in, out, rows * c / parts, rows * (c + 1) / parts);
}

}  // namespace

void run_resample(const ResamplePlan& plan, const float* in, float* out, int threads) {
  resample(plan, in, out, threads);
}

void run_resample(const ResamplePlan& plan, const int64_t* in, int64_t* out, int threads) {
  if (!plan.gather_only)
    throw std::logic_error("run_resample: int64 data needs a gather-only plan");
  resample(plan, in, out, threads);
}

}  // namespace onexn::runtime::ops
