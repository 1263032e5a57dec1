// Pictures of the 1xN block masks of pruned layers (`onexn inspect --png`).
//
// A picture shows one layer's block grid (onexn/block_grid.hpp): one cell per (output group,
// input channel), columns = the c_in / groups input channels of a conv group, rows = output groups
// of N consecutive output channels, conv group after conv group. A block spans all kh x kw taps,
// so a KxK conv has one column per input channel like a 1x1 conv. A cell is dark when its block
// holds at least one nonzero weight (kept) and light when all its weights are zero (pruned).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"
#include "onexn/pattern_stats.hpp"
#include "onexn/weight_shape.hpp"
#include "raster_image.hpp"

namespace onexn::cli {

inline constexpr Rgb kKeptColor{34, 49, 84};       // dark navy: a block with a nonzero weight
inline constexpr Rgb kPrunedColor{233, 236, 241};  // pale grey: a block of zeros
inline constexpr Rgb kGridLineColor{186, 193, 205};
inline constexpr Rgb kBackgroundColor{255, 255, 255};

// Which 1xN blocks of a weight tensor hold a nonzero weight.
struct BlockMask {
  int n = 1;
  int64_t out_groups = 0;     // rows: BlockGrid::num_out_groups()
  int64_t in_channels = 0;    // columns: c_in_per_group
  std::vector<uint8_t> kept;  // kept[g * in_channels + c] is 1 when block (g, c) has a nonzero

  bool is_kept(int64_t g, int64_t c) const { return kept[size_t(g * in_channels + c)] != 0; }
  int64_t kept_count() const;
};

BlockMask compute_block_mask(ConstWeightView w, int n);

// The N a picture uses when none is forced: the largest of 32, 16, 8, 4, 2 whose block fill is at
// least 0.99 (the layer's zeros follow that block size), else 1.
int pick_block_size(const PatternStats& stats);

// Everything one picture says about a layer.
struct LayerMaskInput {
  std::string name;
  LayerKind kind = LayerKind::kxk;
  WeightShape shape;
  double sparsity = 0.0;  // share of zero weights
  double fill = 1.0;      // block fill for mask.n
  BlockMask mask;
};

// Reads the layer's weights and builds its mask with N = `forced_n`, or pick_block_size when 0.
LayerMaskInput describe_layer_mask(const OnnxModel& model, const LayerSummary& layer, int forced_n);

// How one axis of a mask maps to pixels. When there are more cells than pixels to spare, each
// drawn unit covers `cells_per_unit` cells and is shaded by the share of them kept; otherwise a
// unit is one cell. Units are `unit_px` pixels wide, and a 1-pixel grid line is inserted before
// every `line_every`-th unit (0: no lines).
struct AxisScale {
  int64_t cells = 0;
  int64_t cells_per_unit = 1;
  int unit_px = 1;
  int64_t line_every = 0;

  int64_t units() const { return (cells + cells_per_unit - 1) / cells_per_unit; }
  // First pixel of a unit, counted from the start of the grid.
  int pixel_of_unit(int64_t unit) const;
  // First pixel of the unit holding cell `cell`, counted from the start of the grid.
  int pixel_of_cell(int64_t cell) const;
  int pixels() const;
};

// Scale for `cells` cells in at most `max_px` pixels (slightly more only for 1-pixel units with
// lines) and at least `min_px` when cells are few: units of `preferred_unit_px` where it fits, grid
// lines at the smallest power-of-two spacing of at least `line_spacing_px` pixels (0: no lines).
AxisScale fit_axis(int64_t cells, int min_px, int max_px, int preferred_unit_px,
                   int line_spacing_px);

// Where the mask's cells are on a rendered picture: cell (g, c) covers the pixels from
// (grid_left + x.pixel_of_cell(c), grid_top + y.pixel_of_cell(g)) over x.unit_px by y.unit_px.
struct MaskPlacement {
  int grid_left = 0;
  int grid_top = 0;
  AxisScale x;
  AxisScale y;
};

struct MaskPicture {
  RasterImage image;
  MaskPlacement placement;
};

// One layer, large: title, shape, N, sparsity, legend, axis labels; the grid is ~200..1200 px wide.
MaskPicture render_layer_mask(const LayerMaskInput& layer);

// Many layers as small labelled panels in rows, at most ~2400 px wide, under `title`.
RasterImage render_mask_overview(const std::vector<LayerMaskInput>& layers, std::string_view title);

}  // namespace onexn::cli
