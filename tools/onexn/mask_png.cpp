#include "mask_png.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "bitmap_font.hpp"
#include "onexn/block_grid.hpp"

namespace onexn::cli {
namespace {

constexpr Rgb kTextColor{20, 24, 32};
constexpr Rgb kSecondaryTextColor{78, 86, 100};
constexpr Rgb kBorderColor{110, 118, 132};

constexpr int kMargin = 24;
constexpr int kTextScale = 2;  // 10x14-pixel capitals: readable without zooming in
constexpr int kLineGap = 10;

// One layer, large.
constexpr int kLayerGridMinWidth = 200;
constexpr int kLayerGridMaxWidth = 1200;
constexpr int kLayerGridMinHeight = 120;
constexpr int kLayerGridMaxHeight = 800;
constexpr int kLayerMaxCellWidth = 32;
constexpr int kLayerColumnLineSpacing = 32;  // px between vertical guide lines, at least
constexpr int kRowLineSpacing = 4;           // a line between every output group 4+ px tall

// Many layers, one small panel each.
constexpr int kOverviewMaxWidth = 2400;
constexpr int kPanelGridMinWidth = 120;
constexpr int kPanelGridMaxWidth = 340;
constexpr int kPanelGridMinHeight = 48;
constexpr int kPanelGridMaxHeight = 200;
constexpr int kPanelGap = 28;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

Rgb mix(Rgb from, Rgb to, double t) {
  auto channel = [t](uint8_t a, uint8_t b) { return uint8_t(a + (double(b) - a) * t + 0.5); };
  return {channel(from.r, to.r), channel(from.g, to.g), channel(from.b, to.b)};
}

std::string percent(double share) { return fmt::format("{:.1f}%", 100.0 * share); }

// "256x256x3x3", with " g32" for grouped convs: short enough for a panel label.
std::string compact_shape(const WeightShape& s) {
  std::string text = fmt::format("{}x{}x{}x{}", s.c_out, s.c_in_per_group, s.kh, s.kw);
  if (s.groups > 1) text += fmt::format(" g{}", s.groups);
  return text;
}

// Share of the blocks under unit (uy, ux) that are kept: 0 or 1 unless units cover several cells.
double kept_share(const BlockMask& m, const MaskPlacement& p, int64_t uy, int64_t ux) {
  const int64_t g0 = uy * p.y.cells_per_unit, g1 = std::min(g0 + p.y.cells_per_unit, m.out_groups);
  const int64_t c0 = ux * p.x.cells_per_unit, c1 = std::min(c0 + p.x.cells_per_unit, m.in_channels);
  int64_t kept = 0;
  for (int64_t g = g0; g < g1; ++g)
    for (int64_t c = c0; c < c1; ++c) kept += m.is_kept(g, c);
  return double(kept) / double((g1 - g0) * (c1 - c0));
}

// The cells, the grid lines between them (the background the units leave uncovered) and a border.
void draw_mask_grid(RasterImage& image, const BlockMask& mask, const MaskPlacement& p) {
  const int width = p.x.pixels(), height = p.y.pixels();
  image.fill_rect(p.grid_left, p.grid_top, width, height, kGridLineColor);
  for (int64_t uy = 0; uy < p.y.units(); ++uy) {
    for (int64_t ux = 0; ux < p.x.units(); ++ux) {
      const double share = kept_share(mask, p, uy, ux);
      image.fill_rect(p.grid_left + p.x.pixel_of_unit(ux), p.grid_top + p.y.pixel_of_unit(uy),
                      p.x.unit_px, p.y.unit_px, mix(kPrunedColor, kKeptColor, share));
    }
  }
  image.outline_rect(p.grid_left - 1, p.grid_top - 1, width + 2, height + 2, kBorderColor);
}

// Cells between two labels on an axis: a multiple of the grid-line spacing (so labels sit on
// lines), doubled until neighbouring labels are `min_px` apart.
int64_t label_step(const AxisScale& a, int min_px) {
  int64_t units = a.line_every ? a.line_every : 1;
  while (a.pixel_of_unit(units) - a.pixel_of_unit(0) < min_px && units < a.units()) units *= 2;
  return units * a.cells_per_unit;
}

// Input channel numbers under the grid, on the grid lines, and the channel count at the right end.
void draw_column_labels(RasterImage& image, const BlockMask& mask, const MaskPlacement& p,
                        int top) {
  const std::string last = std::to_string(mask.in_channels);
  const int min_px = text_width(last, kTextScale) + 16;
  const int64_t step = label_step(p.x, min_px);
  auto label_at = [&](int x_line, const std::string& text) {
    image.fill_rect(x_line, top - 8, 1, 5, kBorderColor);
    draw_text(image, x_line - text_width(text, kTextScale) / 2, top, text, kTextColor, kTextScale);
  };
  const int end = p.grid_left + p.x.pixels();
  for (int64_t c = 0; c < mask.in_channels; c += step) {
    const int x = p.grid_left + p.x.pixel_of_cell(c) - (c ? 1 : 0);
    if (end - x >= min_px || c == 0) label_at(x, std::to_string(c));
  }
  label_at(end, last);
}

// Output channel numbers left of the grid, at the top of output groups, and c_out at the bottom.
void draw_row_labels(RasterImage& image, const LayerMaskInput& layer, const MaskPlacement& p,
                     int right) {
  const BlockGrid grid(layer.shape, layer.mask.n);
  const int min_px = text_height(kTextScale) + 6;
  const int64_t step = label_step(p.y, min_px);
  auto label_at = [&](int y_line, const std::string& text) {
    image.fill_rect(right + 3, y_line, 5, 1, kBorderColor);
    draw_text(image, right - text_width(text, kTextScale), y_line - kGlyphHeight * kTextScale / 2,
              text, kTextColor, kTextScale);
  };
  const int end = p.grid_top + p.y.pixels();
  for (int64_t g = 0; g < layer.mask.out_groups; g += step) {
    const int y = p.grid_top + p.y.pixel_of_cell(g) - (g ? 1 : 0);
    if (end - y >= min_px || g == 0) label_at(y, std::to_string(grid.first_row(g)));
  }
  label_at(end, std::to_string(layer.shape.c_out));
}

// A legend entry: a swatch in `color` and its meaning; returns the x after it.
int draw_legend_entry(RasterImage& image, int x, int y, Rgb color, std::string_view text) {
  const int size = kGlyphHeight * kTextScale + 2;
  image.fill_rect(x, y - 1, size, size, color);
  image.outline_rect(x, y - 1, size, size, kBorderColor);
  x += size + 10;
  draw_text(image, x, y, text, kTextColor, kTextScale);
  return x + text_width(text, kTextScale);
}

// A layer name in at most two lines of `max_width` pixels, split after a '/' when it is too long
// for one: torch.onnx names ("/layer1/layer1.0/downsample/downsample.0/Conv") repeat their start,
// so a name cut to one line would lose the part that tells layers apart.
std::array<std::string, 2> wrap_name(std::string_view name, int max_width) {
  if (text_width(name, kTextScale) <= max_width) return {std::string(name), ""};
  for (size_t slash = name.rfind('/'); slash != std::string_view::npos && slash > 0;
       slash = name.rfind('/', slash - 1)) {
    const std::string_view head = name.substr(0, slash + 1);
    if (text_width(head, kTextScale) <= max_width)
      return {std::string(head), fit_text_left(name.substr(slash + 1), max_width, kTextScale)};
  }
  return {fit_text_left(name, max_width, kTextScale), ""};
}

// Output channels in a (full) block. Blocks never straddle conv groups, so a grouped conv with
// fewer output channels per group than N (a depthwise conv) has blocks of one group's channels.
int64_t block_rows(const LayerMaskInput& layer) {
  return std::min<int64_t>(layer.mask.n, layer.shape.c_out_per_group());
}

// Grid scales whose cells are about as tall as a block's channels, when that fits: the picture
// then keeps the proportions of the weight matrix. No taller than wide, or a layer with few input
// channels (a first conv) would be a thin pillar.
MaskPlacement fit_grid(const LayerMaskInput& layer, int min_width, int max_width,
                       int max_cell_width, int column_line_spacing, int min_height,
                       int max_height) {
  MaskPlacement p;
  p.x = fit_axis(layer.mask.in_channels, min_width, max_width, max_cell_width, column_line_spacing);
  const double px_per_channel = double(p.x.unit_px) / double(p.x.cells_per_unit);
  const int row_px = std::max(1, int(px_per_channel * double(block_rows(layer)) + 0.5));
  const int height_limit = std::clamp(p.x.pixels(), min_height, max_height);
  p.y = fit_axis(layer.mask.out_groups, min_height, height_limit, row_px, kRowLineSpacing);
  return p;
}

// What one block is, in words.
std::string block_words(const LayerMaskInput& layer) {
  const int64_t rows = block_rows(layer);
  std::string taps =
      layer.shape.taps() > 1 ? fmt::format(" x {}x{} taps", layer.shape.kh, layer.shape.kw) : "";
  return fmt::format("{} output channel{} x 1 input channel{}", rows, rows > 1 ? "s" : "", taps);
}

}  // namespace

int64_t BlockMask::kept_count() const { return std::count(kept.begin(), kept.end(), uint8_t{1}); }

BlockMask compute_block_mask(ConstWeightView w, int n) {
  const BlockGrid grid(w.shape, n);
  BlockMask mask;
  mask.n = n;
  mask.out_groups = grid.num_out_groups();
  mask.in_channels = w.shape.c_in_per_group;
  mask.kept.assign(size_t(mask.out_groups * mask.in_channels), 0);
  const int64_t taps = w.shape.taps();
  for (int64_t g = 0; g < mask.out_groups; ++g) {
    for (int64_t c = 0; c < mask.in_channels; ++c) {
      bool any = false;
      for (int64_t r = 0; r < grid.rows(g) && !any; ++r) {
        const float* v = &w.at(grid.first_row(g) + r, c, 0, 0);
        any = std::any_of(v, v + taps, [](float x) { return x != 0.0f; });
      }
      mask.kept[size_t(g * mask.in_channels + c)] = any;
    }
  }
  return mask;
}

int pick_block_size(const PatternStats& stats) {
  for (int n : {32, 16, 8, 4, 2})
    if (stats.fill_for(n) >= 0.99) return n;
  return 1;
}

LayerMaskInput describe_layer_mask(const OnnxModel& model, const LayerSummary& layer,
                                   int forced_n) {
  const std::vector<float> weights = model.read_weights(layer.layer);
  const ConstWeightView view{weights.data(), layer.layer.shape};
  LayerMaskInput in;
  in.name = layer.layer.node_name;
  in.kind = layer.layer.kind;
  in.shape = layer.layer.shape;
  in.sparsity = layer.stats.sparsity();
  const int n = forced_n ? forced_n : pick_block_size(layer.stats);
  in.fill = layer.stats.fill_for(n);
  in.mask = compute_block_mask(view, n);
  return in;
}

int AxisScale::pixel_of_unit(int64_t unit) const {
  return int(unit * unit_px + (line_every ? unit / line_every : 0));
}

int AxisScale::pixel_of_cell(int64_t cell) const { return pixel_of_unit(cell / cells_per_unit); }

int AxisScale::pixels() const { return cells ? pixel_of_unit(units() - 1) + unit_px : 0; }

AxisScale fit_axis(int64_t cells, int min_px, int max_px, int preferred_unit_px,
                   int line_spacing_px) {
  AxisScale a;
  a.cells = cells;
  a.cells_per_unit = std::max<int64_t>(1, ceil_div(cells, max_px));
  a.unit_px = int(std::min<int64_t>(preferred_unit_px, max_px / a.units()));
  a.unit_px = int(std::max<int64_t>({a.unit_px, ceil_div(min_px, a.units()), 1}));
  auto place_lines = [&] {
    a.line_every = 0;
    if (line_spacing_px <= 0) return;
    int64_t every = 1;
    while (every * a.unit_px < line_spacing_px) every *= 2;
    if (every < a.units()) a.line_every = every;
  };
  place_lines();
  // Lines add pixels: shrink the units, then merge cells, until the axis fits again. One-pixel
  // units with lines every 32+ units may stay up to ~3% over `max_px`, which is harmless.
  while (a.pixels() > max_px && !(a.unit_px == 1 && a.pixels() - max_px <= max_px / 32)) {
    if (a.unit_px > 1) {
      --a.unit_px;
    } else {
      ++a.cells_per_unit;
    }
    place_lines();
  }
  return a;
}

MaskPicture render_layer_mask(const LayerMaskInput& layer) {
  const BlockMask& mask = layer.mask;
  MaskPlacement p = fit_grid(layer, kLayerGridMinWidth, kLayerGridMaxWidth, kLayerMaxCellWidth,
                             kLayerColumnLineSpacing, kLayerGridMinHeight, kLayerGridMaxHeight);

  const std::string title = layer.name;
  const std::string info = fmt::format(
      "{} {}   sparsity {}   1x{} blocks (fill {:.3f})   {} of {} blocks kept ({})",
      to_string(layer.kind), layer.shape.to_string(), percent(layer.sparsity), mask.n, layer.fill,
      mask.kept_count(), mask.kept.size(),
      percent(mask.kept.empty() ? 0.0 : double(mask.kept_count()) / double(mask.kept.size())));
  const std::string kept_text = "kept block: " + block_words(layer) + ", some weight nonzero";
  const std::string pruned_text = "pruned block: all its weights zero";
  std::string scale_note;
  if (p.x.cells_per_unit > 1 || p.y.cells_per_unit > 1) {
    scale_note = fmt::format(
        "each drawn cell merges {} x {} blocks (rows x columns), shaded by the share kept",
        p.y.cells_per_unit, p.x.cells_per_unit);
  }
  const std::string y_title = "output channel";
  const std::string x_title =
      "input channel" + std::string(layer.shape.groups > 1 ? " (within its group)" : "");

  const int line = text_height(kTextScale);
  const int label_width = text_width(std::to_string(layer.shape.c_out), kTextScale);
  int y = kMargin;
  const int title_y = y;
  y += line + kLineGap;
  const int info_y = y;
  y += line + kLineGap;
  const int kept_y = y;
  y += line + kLineGap;
  const int pruned_y = y;
  y += line + kLineGap;
  const int note_y = y;
  if (!scale_note.empty()) y += line + kLineGap;
  const int y_title_y = y + 6;
  y += line + kLineGap + 12;
  p.grid_left = kMargin + label_width + 12;
  p.grid_top = y;
  const int grid_bottom = p.grid_top + p.y.pixels();
  const int x_labels_y = grid_bottom + 12;
  const int x_title_y = x_labels_y + line + kLineGap;
  const int height = x_title_y + line + kMargin;

  const int overhang = text_width(std::to_string(mask.in_channels), kTextScale) / 2 + 2;
  int content_right = p.grid_left + p.x.pixels() + overhang;
  for (std::string_view text : {title, info, scale_note})
    content_right = std::max(content_right, kMargin + text_width(text, kTextScale));
  const int swatch = kGlyphHeight * kTextScale + 12;
  for (std::string_view text : {kept_text, pruned_text})
    content_right = std::max(content_right, kMargin + swatch + text_width(text, kTextScale));
  const int width = content_right + kMargin;

  MaskPicture picture{RasterImage(width, height, kBackgroundColor), p};
  RasterImage& image = picture.image;
  draw_text(image, kMargin, title_y, title, kTextColor, kTextScale);
  draw_text(image, kMargin, info_y, info, kSecondaryTextColor, kTextScale);
  draw_legend_entry(image, kMargin, kept_y, kKeptColor, kept_text);
  draw_legend_entry(image, kMargin, pruned_y, kPrunedColor, pruned_text);
  if (!scale_note.empty())
    draw_text(image, kMargin, note_y, scale_note, kSecondaryTextColor, kTextScale);
  draw_text(image, kMargin, y_title_y, y_title, kTextColor, kTextScale);
  draw_mask_grid(image, mask, p);
  draw_row_labels(image, layer, p, p.grid_left - 10);
  draw_column_labels(image, mask, p, x_labels_y);
  const int x_title_x = p.grid_left + (p.x.pixels() - text_width(x_title, kTextScale)) / 2;
  draw_text(image, std::max(kMargin, x_title_x), x_title_y, x_title, kTextColor, kTextScale);
  return picture;
}

RasterImage render_mask_overview(const std::vector<LayerMaskInput>& layers,
                                 std::string_view title) {
  struct Panel {
    const LayerMaskInput* layer;
    MaskPlacement placement;  // relative to the panel's top-left corner
    int height;
  };
  const int line = text_height(kTextScale);
  const int slot_width = kPanelGridMaxWidth + 2;
  std::vector<Panel> panels;
  for (const LayerMaskInput& layer : layers) {
    MaskPlacement p = fit_grid(layer, kPanelGridMinWidth, kPanelGridMaxWidth, 16, 0,
                               kPanelGridMinHeight, kPanelGridMaxHeight);
    p.grid_left = 1;
    p.grid_top = 3 * (line + 6) + 1;  // two lines of name, one of shape, N and sparsity
    panels.push_back({&layer, p, p.grid_top + p.y.pixels() + 1});
  }

  const int columns = int(
      std::clamp<size_t>((kOverviewMaxWidth - 2 * kMargin + kPanelGap) / (slot_width + kPanelGap),
                         1, std::max<size_t>(panels.size(), 1)));
  const std::string legend_kept = "kept block (some weight nonzero)";
  const std::string legend_pruned = "pruned block (all zero)";
  const std::string legend_axes = "rows: output channels in blocks of N   columns: input channels";
  int y = kMargin;
  const int title_y = y;
  y += line + kLineGap;
  const int legend_y = y;
  y += line + kLineGap;
  const int axes_y = y;
  y += line + kLineGap + 10;
  std::vector<int> row_tops;
  for (size_t i = 0; i < panels.size(); i += size_t(columns)) {
    row_tops.push_back(y);
    int row_height = 0;
    for (size_t j = i; j < std::min(panels.size(), i + size_t(columns)); ++j)
      row_height = std::max(row_height, panels[j].height);
    y += row_height + kPanelGap;
  }
  const int height = y - kPanelGap + kMargin;
  const int swatch = kGlyphHeight * kTextScale + 12;
  int width = 2 * kMargin + columns * slot_width + (columns - 1) * kPanelGap;
  width = std::max(
      {width, 2 * kMargin + text_width(title, kTextScale),
       2 * kMargin + text_width(legend_axes, kTextScale),
       2 * kMargin + 2 * swatch + 40 + text_width(legend_kept + legend_pruned, kTextScale)});

  RasterImage image(width, height, kBackgroundColor);
  draw_text(image, kMargin, title_y, title, kTextColor, kTextScale);
  const int after_kept = draw_legend_entry(image, kMargin, legend_y, kKeptColor, legend_kept);
  draw_legend_entry(image, after_kept + 40, legend_y, kPrunedColor, legend_pruned);
  draw_text(image, kMargin, axes_y, legend_axes, kSecondaryTextColor, kTextScale);
  for (size_t i = 0; i < panels.size(); ++i) {
    const Panel& panel = panels[i];
    const int left = kMargin + int(i % size_t(columns)) * (slot_width + kPanelGap);
    const int top = row_tops[i / size_t(columns)];
    const LayerMaskInput& layer = *panel.layer;
    const auto name_lines = wrap_name(layer.name, slot_width);
    draw_text(image, left, top, name_lines[0], kTextColor, kTextScale);
    draw_text(image, left, top + line + 6, name_lines[1], kTextColor, kTextScale);
    const std::string info = fmt::format("{} 1x{} {}", compact_shape(layer.shape), layer.mask.n,
                                         percent(layer.sparsity));
    draw_text(image, left, top + 2 * (line + 6), fit_text_left(info, slot_width, kTextScale),
              kSecondaryTextColor, kTextScale);
    MaskPlacement p = panel.placement;
    p.grid_left += left;
    p.grid_top += top;
    draw_mask_grid(image, layer.mask, p);
  }
  return image;
}

}  // namespace onexn::cli
