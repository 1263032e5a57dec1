// The work description shared by the sparse convolution operator (sparse_conv.cpp) and its
// SIMD tile kernels (spmm_tiles.cpp).
//
// A sparse convolution is a list of row groups. Row group g computes output channels
// row0[g] .. row0[g] + rows[g] - 1 as a sum over its steps s in [step_begin[g], step_begin[g+1]):
//   y[row0 + r][q] += weights[s * lane_stride + r] * planes[offset[s] + q]
// for every flattened output pixel q (see input_planes.hpp). A 1xN layer has one step per kept
// (block, tap) and lane_stride = N; the CSR baseline has one row per group, one step per nonzero
// weight and lane_stride = 1. Both run through the same tile kernels.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/conv_params.hpp"

namespace onexn::detail {

struct SpmmJob {
  // Input: prepared planes of one image, or the caller's image for the direct layout.
  const float* planes = nullptr;
  // Direct layout only: flattened pixels from tail_begin on are read from `tail_planes`, a copy
  // of those columns of every channel with a channel stride of `tail_stride` floats, using
  // tail_offset[] instead of offset[] (so no load runs past the caller's buffer).
  const float* tail_planes = nullptr;
  const int32_t* tail_offset = nullptr;
  int64_t tail_begin = INT64_MAX;

  // The program.
  const uint32_t* step_begin = nullptr;  // groups + 1
  const int32_t* offset = nullptr;       // per step
  const float* weights = nullptr;        // per step, lane_stride floats
  const int32_t* row0 = nullptr;         // per group
  const int32_t* rows = nullptr;         // per group, 1 .. max_rows
  int lane_stride = 1;
  int max_rows = 1;  // N, or 1 for CSR
  int tile_rows = 1;  // R of the tile (spmm_tile_info): divides lane_stride
  int vectors = 1;    // P of the tile
  int64_t q_chunk = INT64_MAX;  // flattened pixels swept by every group in turn (see RunTiles)

  // Output geometry: q -> (oy, ox) = (q / row_stride, q % row_stride), valid when ox < out_w.
  int64_t q_count = 0;
  int64_t row_stride = 0;
  int64_t out_w = 0;
  int64_t out_plane = 0;  // out_h * out_w: floats per output channel
  float* y = nullptr;     // one image, NCHW
  Epilogue epilogue;      // bias per channel; residual (one image) indexed like y
};

// The tile the best target of this CPU uses for groups of up to max_rows rows.
struct SpmmTileInfo {
  int rows = 0;     // R
  int vectors = 0;  // P
  int lanes = 0;    // L
  int64_t target = 0;
  int64_t pixels() const { return int64_t{vectors} * lanes; }  // flattened pixels per tile
  std::string name() const;                                    // e.g. "AVX3 8x3"
};
// The tile for a layer with groups of up to max_rows rows, q_count flattened pixels and on
// average steps_per_group steps per group. Work ranges handed to spmm_run start on multiples of
// its pixels().
SpmmTileInfo spmm_tile_info(int max_rows, int64_t q_count, double steps_per_group);
// Computes row groups [g_begin, g_end) for flattened pixels [q_begin, q_end) of job.
void spmm_run(const SpmmJob& job, int64_t g_begin, int64_t g_end, int64_t q_begin, int64_t q_end);

}  // namespace onexn::detail
