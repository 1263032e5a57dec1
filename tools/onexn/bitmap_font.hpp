// A tiny built-in 5x7 bitmap font for labels in the PNG pictures, so drawing text needs no font
// files or font libraries. Printable ASCII only; any other byte is drawn as '?'.
//
// Each glyph is 5 columns x 7 rows. Capitals and digits fill all 7 rows; lowercase letters use rows
// 2..6. Letters with a descender (g, p, q, y) are drawn 2 rows lower, so a text line is 9 rows tall
// and characters advance 6 columns (one blank column between them).
#pragma once

#include <string>
#include <string_view>

#include "raster_image.hpp"

namespace onexn::cli {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;
inline constexpr int kGlyphDescent = 2;
inline constexpr int kGlyphAdvance = kGlyphWidth + 1;
inline constexpr int kTextLineHeight = kGlyphHeight + kGlyphDescent;

struct Glyph {
  char ch = '?';
  // 7 rows of 5 characters, '#' for ink, '.' for paper, rows separated by '|'.
  std::string_view rows;
  bool descends = false;

  bool ink(int column, int row) const {
    return rows[size_t(row) * (kGlyphWidth + 1) + column] == '#';
  }
};

// The glyph drawn for `c`: its own, or '?' when the font has none.
const Glyph& glyph_for(char c);
bool font_has_glyph(char c);

// Width and height in pixels of `text` drawn at `scale` (each font pixel a scale x scale square).
int text_width(std::string_view text, int scale);
inline int text_height(int scale) { return kTextLineHeight * scale; }

// Draws `text` with the top of its capitals at (x, y). Pixels off the image are skipped.
void draw_text(RasterImage& image, int x, int y, std::string_view text, Rgb color, int scale);

// `text` shortened from the left with a leading "..." so it fits in `max_width` pixels; layer
// names differ most at their end (".../conv2/Conv"), so that is the part kept.
std::string fit_text_left(std::string_view text, int max_width, int scale);

}  // namespace onexn::cli
