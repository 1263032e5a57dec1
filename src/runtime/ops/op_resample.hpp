// Separable resampling, the arithmetic behind Resize and Upsample.
//
// Every ONNX interpolation mode (nearest, linear, cubic) is a tensor product of 1-D filters:
//     out[o_0, ..., o_{r-1}] = sum over taps t_d of  prod_d weight_d(o_d, t_d) * in[index_d(o_d,
//     t_d)]
// so each axis gets a table, built once, of the input positions each output position reads and
// their weights (indices already clamped into the input: ONNX's edge padding). The kernel walks
// the output row by row (all dims but the last): the taps of the leading axes select a few input
// rows and weights, and each of those rows is resampled along the last axis through its table
// (a gather for nearest, 2 taps for linear, 4 for cubic) and accumulated. Output rows that read
// the same input rows with the same weights as the row before (nearest upsampling repeats rows)
// are copied. Rows are split across threads in contiguous ranges.
#pragma once

#include <cstdint>
#include <vector>

namespace onexn::runtime::ops {

enum class ResampleMode { nearest, linear, cubic };

// How an output coordinate maps to an input coordinate (ONNX's coordinate_transformation_mode).
enum class CoordinateMode {
  half_pixel,
  pytorch_half_pixel,
  align_corners,
  asymmetric,
  tf_half_pixel_for_nn,
  tf_crop_and_resize,
};

// How nearest rounds a fractional input coordinate. `legacy` is Resize-10 / Upsample (no
// nearest_mode attribute): floor when the axis is upsampled, ceil when it is downsampled, as
// ONNX Runtime computes those opsets.
enum class NearestMode { round_prefer_floor, round_prefer_ceil, floor, ceil, legacy };

struct ResampleOptions {
  ResampleMode mode = ResampleMode::nearest;
  CoordinateMode coordinates = CoordinateMode::half_pixel;
  NearestMode nearest = NearestMode::round_prefer_floor;
  double cubic_a = -0.75;
  bool exclude_outside =
      false;                   // cubic: taps outside the input get weight 0, the rest renormalised
  float extrapolation = 0.0f;  // tf_crop_and_resize: the value of positions outside the input
};

// One axis: `in` -> `out` positions with the scale ONNX uses in its coordinate formulas (the
// scales input as given, or out / in when sizes are given) and, for tf_crop_and_resize, the
// region of interest in normalised input coordinates.
struct ResampleAxisSpec {
  int64_t in = 1, out = 1;
  double scale = 1.0;
  double roi_start = 0.0, roi_end = 1.0;
};

// The table of one axis: output position o reads input positions index[o * taps + t] with
// weights weight[o * taps + t]. taps is 1 (nearest, or every position on an input sample),
// 2 (linear) or 4 (cubic). outside[o] (empty when none is) marks tf_crop_and_resize positions
// outside the input, which are the extrapolation value.
struct ResampleAxis {
  int64_t in = 1, out = 1;
  int taps = 1;
  std::vector<int64_t> index;
  std::vector<float> weight;
  std::vector<uint8_t> outside;
  bool identity = false;  // out == in, one tap of weight 1 at index o
};

ResampleAxis make_resample_axis(const ResampleOptions& options, const ResampleAxisSpec& spec);

// The input coordinate ONNX maps output position x to (exposed for tests).
double resample_source_coordinate(CoordinateMode mode, int64_t x, const ResampleAxisSpec& spec);

struct ResamplePlan {
  std::vector<ResampleAxis> axes;  // one per dim
  float extrapolation = 0.0f;
  // Every axis one tap of weight 1 (nearest, or axes left as they are): the output is a gather
  // of input elements, valid for int64 data too.
  bool gather_only = false;
};

ResamplePlan make_resample_plan(const ResampleOptions& options,
                                const std::vector<ResampleAxisSpec>& axes);

// in and out are row-major with the plan's input and output dims. int64_t only for plans that
// gather_only (tf_crop_and_resize's extrapolation value is then truncated).
void run_resample(const ResamplePlan& plan, const float* in, float* out, int threads);
void run_resample(const ResamplePlan& plan, const int64_t* in, int64_t* out, int threads);

}  // namespace onexn::runtime::ops
