// `onexn inspect --png`: the renderer on synthetic masks in memory (cell colours against the mask
// that made them, sizes, merged cells, the font), then the CLI end to end on a 1x4-pruned
// ResNet-18: the file decodes with libpng, every cell's colour matches the weights, and bad input
// gives one line and exit code 1 or 2 without leaving a file behind.
#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <filesystem>

#include "bitmap_font.hpp"
#include "mask_png.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"
#include "onexn/pattern_stats.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;
using cli::LayerMaskInput;
using cli::MaskPlacement;
using cli::RasterImage;

// Brightness thresholds: kept cells must read as dark, pruned ones as light, in any viewer.
constexpr double kDarkBelow = 100.0;
constexpr double kLightAbove = 200.0;

// The pixel in the middle of block (g, c)'s cell: away from the grid lines at its edges.
cli::Rgb cell_centre(const RasterImage& image, const MaskPlacement& p, int64_t g, int64_t c) {
  const int x = p.grid_left + p.x.pixel_of_cell(c) + p.x.unit_px / 2;
  const int y = p.grid_top + p.y.pixel_of_cell(g) + p.y.unit_px / 2;
  return image.pixel(x, y);
}

// Weights whose block (g, c) of height n is nonzero exactly when `kept(g, c)`; only one weight
// of each kept block (its last row, last tap) is nonzero, so "any weight" is what is tested.
template <typename Kept>
std::vector<float> weights_with_blocks(const WeightShape& s, int n, Kept kept) {
  std::vector<float> w(size_t(s.numel()), 0.0f);
  const int64_t per_group = (s.c_out_per_group() + n - 1) / n;
  for (int64_t o = 0; o < s.c_out; ++o) {
    const int64_t cg = o / s.c_out_per_group(), local = o % s.c_out_per_group();
    const int64_t g = cg * per_group + local / n;
    const bool last_row = local % n == n - 1 || local == s.c_out_per_group() - 1;
    for (int64_t c = 0; c < s.c_in_per_group; ++c)
      if (last_row && kept(g, c)) w[size_t(s.index(o, c, s.kh - 1, s.kw - 1))] = 0.5f;
  }
  return w;
}

LayerMaskInput synthetic_layer(const WeightShape& shape, int n, const std::vector<float>& w) {
  LayerMaskInput in;
  in.name = "/synthetic/conv";
  in.shape = shape;
  in.mask = cli::compute_block_mask({w.data(), shape}, n);
  return in;
}

TEST(CliMaskPng, EveryCellIsDarkWhenItsBlockIsKeptAndLightWhenPruned) {
  // C_out 38 = 9 blocks of 4 + a short block of 2; a pattern with no symmetry to hide a swapped
  // axis.
  const auto kept = [](int64_t g, int64_t c) { return (g * 7 + c * 3) % 5 < 2; };
  for (const WeightShape shape :
       {WeightShape::conv(38, 24, 3, 3), WeightShape::conv(40, 12, 1, 1, 2)}) {
    const int n = 4;
    const auto w = weights_with_blocks(shape, n, kept);
    const LayerMaskInput layer = synthetic_layer(shape, n, w);
    ASSERT_EQ(layer.mask.in_channels, shape.c_in_per_group);
    ASSERT_EQ(layer.mask.out_groups, shape.groups * ((shape.c_out_per_group() + n - 1) / n));

    const cli::MaskPicture picture = cli::render_layer_mask(layer);
    const MaskPlacement& p = picture.placement;
    EXPECT_GE(p.x.pixels(), 200);
    EXPECT_LE(p.x.pixels(), 1240);
    EXPECT_EQ(p.x.cells_per_unit, 1);
    EXPECT_GE(p.x.unit_px, 2);
    EXPECT_GE(p.y.unit_px, 2);
    EXPECT_LE(p.grid_left + p.x.pixels(), picture.image.width);
    EXPECT_LE(p.grid_top + p.y.pixels(), picture.image.height);
    int64_t dark = 0;
    for (int64_t g = 0; g < layer.mask.out_groups; ++g) {
      for (int64_t c = 0; c < layer.mask.in_channels; ++c) {
        const double lum = cell_centre(picture.image, p, g, c).luminance();
        if (kept(g, c)) {
          EXPECT_LT(lum, kDarkBelow) << shape.to_string() << " block " << g << "," << c;
          ++dark;
        } else {
          EXPECT_GT(lum, kLightAbove) << shape.to_string() << " block " << g << "," << c;
        }
      }
    }
    EXPECT_EQ(dark, layer.mask.kept_count());
  }
}

TEST(CliMaskPng, WideLayersMergeCellsAndShadeThemByTheShareKept) {
  // 3000 input channels cannot get a pixel each; every other block kept -> mid-grey units.
  const WeightShape shape = WeightShape::linear(64, 3000);
  const auto w = weights_with_blocks(shape, 16, [](int64_t, int64_t c) { return c % 2 == 0; });
  const cli::MaskPicture picture = cli::render_layer_mask(synthetic_layer(shape, 16, w));
  const MaskPlacement& p = picture.placement;
  EXPECT_GT(p.x.cells_per_unit, 1);
  EXPECT_LE(p.x.pixels(), 1240);
  EXPECT_LE(picture.image.width, 1400);
  const double lum = cell_centre(picture.image, p, 0, 0).luminance();
  EXPECT_GT(lum, kDarkBelow);
  EXPECT_LT(lum, kLightAbove);
}

TEST(CliMaskPng, OverviewPanelsStayWithin2400PixelsWide) {
  const WeightShape shape = WeightShape::conv(256, 256, 3, 3);
  const auto w =
      weights_with_blocks(shape, 16, [](int64_t g, int64_t c) { return (g + c) % 3 == 0; });
  const std::vector<LayerMaskInput> layers(20, synthetic_layer(shape, 16, w));
  const RasterImage image = cli::render_mask_overview(layers, "twenty layers");
  EXPECT_LE(image.width, 2400);
  EXPECT_GE(image.width, 1200);  // several panels side by side, not one long column
  EXPECT_GT(image.height, 400);
}

TEST(CliMaskPng, BlockSizeIsTheLargestNTheZerosFollow) {
  // Whole 1x16 blocks zeroed or kept, as pruning leaves them: N = 16 (1x32 blocks would mix).
  const WeightShape shape = WeightShape::conv(64, 32, 3, 3);
  std::vector<float> blocks16(size_t(shape.numel()));
  for (int64_t o = 0; o < shape.c_out; ++o)
    for (int64_t c = 0; c < shape.c_in_per_group; ++c)
      for (int64_t t = 0; t < shape.taps(); ++t)
        blocks16[size_t(shape.index(o, c, 0, 0) + t)] = (o / 16 + c) % 2 ? 1.0f : 0.0f;
  EXPECT_EQ(cli::pick_block_size(analyze_pattern({blocks16.data(), shape})), 16);
  // One nonzero weight per kept block is 1x16 structure too, but every block is mostly zeros.
  const auto sparse_blocks =
      weights_with_blocks(shape, 16, [](int64_t g, int64_t c) { return (g + c) % 2; });
  EXPECT_EQ(cli::pick_block_size(analyze_pattern({sparse_blocks.data(), shape})), 1);
  const auto random = test::random_values(shape.numel(), 7, 0.5);
  EXPECT_EQ(cli::pick_block_size(analyze_pattern({random.data(), shape})), 1);
}

TEST(CliMaskPng, FontHasEveryPrintableAsciiCharacterAndWellFormedGlyphs) {
  for (int c = 32; c < 127; ++c) {
    EXPECT_TRUE(cli::font_has_glyph(char(c))) << "no glyph for '" << char(c) << "'";
    const cli::Glyph& g = cli::glyph_for(char(c));
    ASSERT_EQ(g.rows.size(), size_t(cli::kGlyphHeight * (cli::kGlyphWidth + 1) - 1)) << char(c);
    for (int row = 1; row < cli::kGlyphHeight; ++row)
      EXPECT_EQ(g.rows[size_t(row) * 6 - 1], '|') << char(c);
  }
  EXPECT_EQ(&cli::glyph_for('\x7f'), &cli::glyph_for('?'));
  EXPECT_EQ(
      cli::fit_text_left("/layer3/layer3.0/conv2/Conv", cli::text_width("...conv2/Conv", 2), 2),
      "...conv2/Conv");
}

// ---- End to end through the CLI. ----

struct DecodedPng {
  int width = 0, height = 0;
  RasterImage image;
};

// Decodes with libpng itself, independently of the writer.
DecodedPng decode_png(const fs::path& path) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.c_str())) {
    ADD_FAILURE() << "libpng cannot read " << path << ": " << png.message;
    return {};
  }
  png.format = PNG_FORMAT_RGB;
  DecodedPng out{int(png.width), int(png.height), RasterImage(int(png.width), int(png.height), {})};
  if (!png_image_finish_read(&png, nullptr, out.image.rgb.data(), 0, nullptr)) {
    ADD_FAILURE() << "libpng cannot decode " << path << ": " << png.message;
    png_image_free(&png);
    return {};
  }
  return out;
}

class CliInspectPng : public ::testing::Test {
 protected:
  // One pruned model for the suite: ResNet-18 with its layer3 convs pruned 1x4 at 50%.
  static void SetUpTestSuite() {
    dir_ = new fs::path(test::scratch_dir("cli-inspect-png"));
    model_ = new fs::path(*dir_ / "layer3-1x4.onnx");
    const auto r =
        test::run_cli("prune '" + (test::models_dir() / "resnet18.onnx").string() + "' -o '" +
                      model_->string() + "' --pattern 1x4 --sparsity 0.5 --layers layer3");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete model_;
  }
  static std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }
  static int entries_in(const fs::path& dir) {
    int n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
    return n;
  }

  static fs::path* dir_;
  static fs::path* model_;
};
fs::path* CliInspectPng::dir_ = nullptr;
fs::path* CliInspectPng::model_ = nullptr;

TEST_F(CliInspectPng, OneLayerPictureShowsEveryBlockOfTheWeights) {
  const std::string name = "/layer3/layer3.0/conv2/Conv";
  const fs::path png = *dir_ / "one-layer.png";
  const auto r =
      test::run_cli("inspect " + quoted(*model_) + " --png " + quoted(png) + " --layer " + name);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1x4 blocks"), std::string::npos) << r.out;
  const DecodedPng decoded = decode_png(png);
  ASSERT_GT(decoded.width, 0);

  // Where the cells are: the same layout, computed in this process from the same layer.
  const OnnxModel model = OnnxModel::load(*model_);
  const auto summaries = inspect_model(model);
  const auto it = std::find_if(summaries.begin(), summaries.end(),
                               [&](const LayerSummary& l) { return l.layer.node_name == name; });
  ASSERT_NE(it, summaries.end());
  const LayerMaskInput layer = cli::describe_layer_mask(model, *it, 0);
  ASSERT_EQ(layer.mask.n, 4);
  const cli::MaskPicture expected = cli::render_layer_mask(layer);
  EXPECT_EQ(decoded.width, expected.image.width);
  EXPECT_EQ(decoded.height, expected.image.height);
  const MaskPlacement& p = expected.placement;
  EXPECT_GE(p.x.pixels(), 200);
  EXPECT_LE(p.x.pixels(), 1240);
  EXPECT_GT(decoded.width, p.x.pixels());

  // Expected colours straight from the weights: block (g, c) = rows 4g..4g+3 at input channel c.
  const auto w = model.read_weights(it->layer);
  const WeightShape& s = it->layer.shape;
  int64_t kept = 0, pruned = 0, wrong = 0;
  for (int64_t g = 0; g < s.c_out / 4; ++g) {
    for (int64_t c = 0; c < s.c_in_per_group; ++c) {
      bool any = false;
      for (int64_t o = 4 * g; o < 4 * g + 4; ++o)
        for (int64_t t = 0; t < s.taps(); ++t) any |= w[size_t(s.index(o, c, 0, 0) + t)] != 0.0f;
      const double lum = cell_centre(decoded.image, p, g, c).luminance();
      (any ? kept : pruned) += 1;
      wrong += any ? !(lum < kDarkBelow) : !(lum > kLightAbove);
    }
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(kept, 0);
  EXPECT_GT(pruned, 0);
}

TEST_F(CliInspectPng, OverviewDrawsThePrunedLayersOrTheDefaultSetOfAnUnprunedModel) {
  const fs::path png = *dir_ / "overview.png";
  auto r = test::run_cli("inspect " + quoted(*model_) + " --png " + quoted(png));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": 5 layers"), std::string::npos) << r.out;  // layer3: 4 KxK + 1 pointwise
  DecodedPng decoded = decode_png(png);
  EXPECT_GT(decoded.width, 0);
  EXPECT_LE(decoded.width, 2400);

  r = test::run_cli("inspect " + quoted(test::models_dir() / "resnet18.onnx") + " --png " +
                    quoted(png) + " --n 16");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": 19 layers"), std::string::npos) << r.out;  // the default set
  decoded = decode_png(png);
  EXPECT_LE(decoded.width, 2400);
  EXPECT_GT(decoded.height, decoded.width / 2);  // 19 panels take several rows
}

TEST_F(CliInspectPng, UnknownLayerFailsWithOneLineNamingItAndWritesNothing) {
  const fs::path out_dir = *dir_ / "unknown-layer";
  fs::create_directories(out_dir);
  const auto r = test::run_cli("inspect " + quoted(*model_) + " --png " +
                               quoted(out_dir / "x.png") + " --layer /no/such/Conv");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("onexn: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("'/no/such/Conv'"), std::string::npos) << r.err;
  EXPECT_EQ(entries_in(out_dir), 0);
}

TEST_F(CliInspectPng, UnwritablePathFailsWithExit1AndOptionMisuseWithExit2) {
  auto r = test::run_cli("inspect " + quoted(*model_) + " --png " +
                         quoted(*dir_ / "missing-dir" / "x.png"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("missing-dir/x.png"), std::string::npos) << r.err;

  // An existing directory where the picture should go: nothing replaced, no temporary file left.
  const fs::path out_dir = *dir_ / "busy";
  fs::create_directories(out_dir / "x.png");
  r = test::run_cli("inspect " + quoted(*model_) + " --png " + quoted(out_dir / "x.png"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(fs::is_directory(out_dir / "x.png"));
  EXPECT_EQ(entries_in(out_dir), 1);

  for (const std::string args : {" --layer /layer3/layer3.0/conv2/Conv", " --n 16",
                                 " --png a.png --json", " --png a.png --n 3"}) {
    r = test::run_cli("inspect " + quoted(*model_) + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  }
}

}  // namespace
}  // namespace onexn
