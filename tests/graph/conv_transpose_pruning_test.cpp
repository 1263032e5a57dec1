// ConvTranspose (and dilated Conv) layers through layer finding and pruning. A ConvTranspose
// stores W[C_in][C_out/g][kH][kW]; its 1xN blocks are W[c][j*N : j*N + N][:][:], N consecutive
// output channels (axis 1) at one input channel, per conv group. The checks below read the
// initializers' bytes as stored and test that structure on that layout directly.
#include <gtest/gtest.h>
#include <onnx/checker.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "onexn/error.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"
#include "support/structure_checks.hpp"
#include "support/test_support.hpp"
#include "tiny_models.hpp"

namespace onexn {
namespace {

OnnxModel parse(const onnx::ModelProto& m) {
  return OnnxModel::parse(test::serialize(m), "tiny-ct");
}

const WeightedLayer& layer_named(const OnnxModel& model, const std::string& name) {
  for (const auto& l : model.weighted_layers())
    if (l.node_name == name) return l;
  throw std::runtime_error("no layer " + name);
}

// An initializer's values and dims as stored (raw_data, as tiny_models writes them).
struct Stored {
  std::vector<int64_t> dims;
  std::vector<float> values;
};

Stored stored(const OnnxModel& model, const std::string& name) {
  for (const auto& t : model.proto().graph().initializer()) {
    if (t.name() != name) continue;
    Stored s{{t.dims().begin(), t.dims().end()}, {}};
    s.values.resize(t.raw_data().size() / sizeof(float));
    std::memcpy(s.values.data(), t.raw_data().data(), t.raw_data().size());
    return s;
  }
  ADD_FAILURE() << "no initializer " << name;
  return {};
}

// Whole 1xN blocks of a ConvTranspose weight zeroed, floor(blocks * p) of them, all else
// bit-identical. Returns the number of zero blocks (p < 0: the count is not checked).
int64_t expect_transposed_1xn(const Stored& before, const Stored& after, int64_t groups, int n,
                              double p, const std::string& name) {
  const auto& d = before.dims;
  const int64_t c_in = d[0], out_pg = d[1], taps = d[2] * d[3];
  EXPECT_EQ(after.dims, d) << name;
  int64_t blocks = 0, zero_blocks = 0;
  for (int64_t c = 0; c < c_in; ++c) {  // each input channel belongs to one conv group
    for (int64_t j0 = 0; j0 < out_pg; j0 += n) {
      const int64_t rows = std::min<int64_t>(n, out_pg - j0);
      bool all_zero = true, all_same = true;
      for (int64_t j = j0; j < j0 + rows; ++j)
        for (int64_t t = 0; t < taps; ++t) {
          const int64_t i = (c * out_pg + j) * taps + t;
          all_zero &= after.values[i] == 0.0f;
          all_same &= std::memcmp(&after.values[i], &before.values[i], sizeof(float)) == 0;
        }
      EXPECT_TRUE(all_zero || all_same)
          << name << ": block at input " << c << ", outputs " << j0 << ".. is partly pruned";
      ++blocks;
      zero_blocks += all_zero;
    }
  }
  EXPECT_EQ(blocks % groups, 0);
  if (p >= 0) {
    EXPECT_EQ(zero_blocks, static_cast<int64_t>(std::floor(blocks * p + 1e-9))) << name;
  }
  return zero_blocks;
}

TEST(ConvTransposeLayers, KindsAndOihwShapes) {
  const OnnxModel model = parse(test::conv_transpose_model());
  ASSERT_EQ(model.weighted_layers().size(), 6u);
  const WeightedLayer& up = layer_named(model, "up");
  EXPECT_EQ(up.op_type, "ConvTranspose");
  EXPECT_EQ(up.kind, LayerKind::transposed);
  EXPECT_STREQ(to_string(up.kind), "transposed");
  EXPECT_TRUE(up.stored_transposed);
  EXPECT_EQ(up.shape, WeightShape::conv(6, 8, 2, 2));  // 6 outputs, 8 inputs
  EXPECT_EQ(up.stored_dims, (std::vector<int64_t>{8, 6, 2, 2}));
  const WeightedLayer& up_g = layer_named(model, "up_g");
  EXPECT_EQ(up_g.kind, LayerKind::transposed);
  EXPECT_EQ(up_g.shape, WeightShape::conv(10, 3, 3, 3, 2));
  const WeightedLayer& dw = layer_named(model, "dw_up");
  EXPECT_EQ(dw.kind, LayerKind::depthwise);
  EXPECT_EQ(dw.shape, WeightShape::conv(10, 1, 3, 3, 10));
  EXPECT_EQ(layer_named(model, "stem").kind, LayerKind::first);
  EXPECT_EQ(layer_named(model, "dil").kind, LayerKind::kxk);  // dilation does not change the kind
  EXPECT_EQ(layer_named(model, "head").kind, LayerKind::pointwise);
  EXPECT_TRUE(in_default_layer_set(LayerKind::transposed, false));
}

TEST(ConvTransposeLayers, FirstWhenItSeesTheGraphInput) {
  onnx::ModelProto m = test::empty_model(4, 3, 3);
  *m.mutable_graph()->add_initializer() =
      test::float_tensor("w", {4, 8, 3, 3}, test::random_values(288, 1));
  test::add_node(m, "ConvTranspose", "ct", {"x", "w"}, {"y"});
  test::add_output(m, "y");
  EXPECT_EQ(parse(m).weighted_layers().at(0).kind, LayerKind::first);
}

TEST(ConvTransposeLayers, ReadsOihwAndWritesTheStoredLayoutBack) {
  OnnxModel model = parse(test::conv_transpose_model());
  const WeightedLayer up_g = layer_named(model, "up_g");
  const Stored s = stored(model, "up_g.w");  // [6][5][3][3], 3 input channels per group
  const std::vector<float> oihw = model.read_weights(up_g);
  for (int64_t c = 0; c < 6; ++c)
    for (int64_t j = 0; j < 5; ++j)
      for (int64_t t = 0; t < 9; ++t) {
        const int64_t out = (c / 3) * 5 + j, in = c % 3;
        ASSERT_EQ(oihw[(out * 3 + in) * 9 + t], s.values[(c * 5 + j) * 9 + t]);
      }
  model.write_weights(up_g, oihw);
  EXPECT_EQ(stored(model, "up_g.w").values, s.values);
}

TEST(ConvTransposeLayers, GroupThatDoesNotDivideTheInputsIsAnError) {
  onnx::ModelProto m = test::conv_transpose_model();
  for (auto& n : *m.mutable_graph()->mutable_node()) {
    if (n.name() != "up_g") continue;
    for (auto& a : *n.mutable_attribute())
      if (a.name() == "group") a.set_i(4);  // 6 input channels
  }
  try {
    parse(m);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'up_g'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("group=4"), std::string::npos) << e.what();
  }
}

class ConvTransposePruning : public ::testing::TestWithParam<std::tuple<int, double>> {};

TEST_P(ConvTransposePruning, DefaultSetPrunesTransposedLayersOnAxisOne) {
  const auto [n, p] = GetParam();
  const OnnxModel original = parse(test::conv_transpose_model());
  OnnxModel model = parse(test::conv_transpose_model());
  PruneOptions options;
  options.pattern = Pattern::one_by_n(n);
  options.sparsity = p;
  const PruneResult r = prune_model(model, options);
  EXPECT_EQ(r.pruned_layers, 4);  // up, up_g, dil, head; not stem (first) or dw_up (depthwise)
  expect_transposed_1xn(stored(original, "up.w"), stored(model, "up.w"), 1, n, p, "up");
  expect_transposed_1xn(stored(original, "up_g.w"), stored(model, "up_g.w"), 2, n, p, "up_g");
  for (const char* conv : {"dil", "head"}) {
    const WeightedLayer& l = layer_named(model, conv);
    test::expect_exact_1xn(original.read_weights(l), model.read_weights(l), l.shape, n, p, conv);
  }
  for (const char* untouched : {"stem.w", "dw_up.w", "up.b", "up_g.b"}) {
    EXPECT_EQ(stored(original, untouched).values, stored(model, untouched).values) << untouched;
  }
  // The per-layer report names the transposed layers with their kept L1.
  std::map<std::string, double> kept;
  for (const PrunedLayerReport& l : r.pruned) kept[l.node_name] = l.l1_kept_rearranged;
  ASSERT_EQ(kept.count("up"), 1u);
  ASSERT_EQ(kept.count("up_g"), 1u);
  if (p > 0) {
    EXPECT_LT(kept["up"], 1.0);
  }
  EXPECT_GT(kept["up"], 0.0);
  // inspect's statistics see the OIHW blocks, so the fill of N is exact.
  for (const LayerSummary& l : r.layers) {
    if (l.layer.node_name == "up" || l.layer.node_name == "up_g") {
      EXPECT_TRUE(l.selected);
      EXPECT_EQ(l.stats.fill_for(n), 1.0) << l.layer.node_name;
    }
  }
  const OnnxModel reloaded = OnnxModel::parse(model.serialize(), "pruned");
  EXPECT_NO_THROW(onnx::checker::check_model(reloaded.proto()));
}

// 1x4 and 1x8 leave short last runs (6 outputs of "up", 5 per group of "up_g").
INSTANTIATE_TEST_SUITE_P(Patterns, ConvTransposePruning,
                         ::testing::Values(std::make_tuple(4, 0.5), std::make_tuple(8, 0.7),
                                           std::make_tuple(2, 0.3), std::make_tuple(1, 0.9),
                                           std::make_tuple(4, 0.0)));

TEST(ConvTransposePruning, RecipeRuleAndGlobalRanking) {
  const OnnxModel original = parse(test::conv_transpose_model());
  OnnxModel model = parse(test::conv_transpose_model());
  PruneOptions options;
  options.pattern = Pattern::one_by_n(4);
  options.sparsity = 0.5;
  options.rules.push_back({"^up_g$", Pattern::one_by_n(2), 0.8, false});
  options.rules.push_back({"^up$", std::nullopt, std::nullopt, true});
  const PruneResult r = prune_model(model, options);
  EXPECT_EQ(r.pruned_layers, 3);
  EXPECT_EQ(stored(original, "up.w").values, stored(model, "up.w").values);
  expect_transposed_1xn(stored(original, "up_g.w"), stored(model, "up_g.w"), 2, 2, 0.8, "up_g");

  // One threshold over every block of the four selected layers.
  OnnxModel global = parse(test::conv_transpose_model());
  options.rules.clear();
  options.global_ranking = true;
  prune_model(global, options);
  int64_t zero =
      expect_transposed_1xn(stored(original, "up.w"), stored(global, "up.w"), 1, 4, -1, "up") +
      expect_transposed_1xn(stored(original, "up_g.w"), stored(global, "up_g.w"), 2, 4, -1, "up_g");
  int64_t blocks = 8 * 2 + 6 * 2;  // up: 8 inputs x 2 runs; up_g: 6 inputs x 2 runs per group
  for (const char* conv : {"dil", "head"}) {
    const WeightedLayer& l = layer_named(global, conv);
    const auto w = global.read_weights(l);
    const int64_t runs = (l.shape.c_out + 3) / 4;
    blocks += runs * l.shape.c_in_per_group;
    for (int64_t g = 0; g < runs; ++g)
      for (int64_t c = 0; c < l.shape.c_in_per_group; ++c) {
        bool all_zero = true;
        for (int64_t o = g * 4; o < std::min<int64_t>(g * 4 + 4, l.shape.c_out); ++o)
          for (int64_t t = 0; t < l.shape.taps(); ++t)
            all_zero &= w[l.shape.index(o, c, 0, 0) + t] == 0.0f;
        zero += all_zero;
      }
  }
  EXPECT_EQ(zero, blocks / 2);
}

}  // namespace
}  // namespace onexn
