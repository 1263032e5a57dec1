// Pruning recipes: parsing, the errors of malformed files, precedence of the command line, and
// per-layer rules applied by prune_model.
#include <gtest/gtest.h>

#include <map>

#include "onexn/error.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"
#include "onexn/recipe.hpp"
#include "support/test_support.hpp"
#include "tiny_models.hpp"

namespace onexn {
namespace {

std::string error_of(std::string_view json) {
  try {
    parse_recipe(json, "r.json");
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

TEST(Recipe, ParsesEveryField) {
  const Recipe r = parse_recipe(R"({"pattern": "1x16", "sparsity": 0.7, "full": true, "global": false,
      "rearrange": "paper", "include": "conv", "exclude": "fc",
      "rules": [{"match": "conv1", "pattern": "1x8", "sparsity": 0.5}, {"match": "conv0", "skip": true}]})",
                                "r.json");
  EXPECT_EQ(r.pattern, Pattern::one_by_n(16));
  EXPECT_EQ(r.sparsity, 0.7);
  EXPECT_EQ(r.full, true);
  EXPECT_EQ(r.global_ranking, false);
  EXPECT_EQ(r.rearrange, RearrangeMode::paper);
  EXPECT_EQ(r.include, "conv");
  EXPECT_EQ(r.exclude, "fc");
  ASSERT_EQ(r.rules.size(), 2u);
  EXPECT_EQ(r.rules[0].pattern, Pattern::one_by_n(8));
  EXPECT_EQ(r.rules[0].sparsity, 0.5);
  EXPECT_TRUE(r.rules[1].skip);
}

TEST(Recipe, MalformedFilesNameTheProblem) {
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"sparsty": 0.5})").find("unknown field 'sparsty'"), std::string::npos);
  EXPECT_NE(error_of(R"({"sparsity": 1.5})").find("outside [0, 1)"), std::string::npos);
  EXPECT_NE(error_of(R"({"sparsity": "0.5"})").find("must be a number"), std::string::npos);
  EXPECT_NE(error_of(R"({"pattern": "1x3"})").find("1x3"), std::string::npos);
  EXPECT_NE(error_of(R"({"rearrange": "all"})").find("all"), std::string::npos);
  EXPECT_NE(error_of(R"({"rules": {}})").find("array"), std::string::npos);
  EXPECT_NE(error_of(R"({"rules": [{"pattern": "1x4"}]})").find("rules[0]"), std::string::npos);
  EXPECT_NE(error_of(R"({"rules": [{"match": "a"}]})").find("sets nothing"), std::string::npos);
  EXPECT_NE(error_of(R"({"rules": [{"match": "a", "n": 4}]})").find("unknown field 'n'"), std::string::npos);
  EXPECT_NE(error_of("[1, 2]").find("expected a JSON object"), std::string::npos);
}

TEST(Recipe, CommandLineWinsOverRecipeWinsOverDefaults) {
  const Recipe r = parse_recipe(R"({"pattern": "1x16", "sparsity": 0.7, "rearrange": "paper"})", "r.json");
  PruneOptionOverrides cli;
  cli.sparsity = 0.5;
  const PruneOptions o = resolve_prune_options(r, cli);
  EXPECT_EQ(o.pattern, Pattern::one_by_n(16));
  EXPECT_EQ(o.sparsity, 0.5);
  EXPECT_EQ(o.rearrange, RearrangeMode::paper);
  const PruneOptions d = resolve_prune_options(Recipe{}, {});
  EXPECT_EQ(d.pattern, Pattern::one_by_n(4));
  EXPECT_EQ(d.sparsity, 0.5);
  EXPECT_EQ(d.rearrange, RearrangeMode::graph);
  // N:M takes its implied sparsity unless one is given.
  PruneOptionOverrides nm;
  nm.pattern = Pattern::n_of_m(2, 4);
  EXPECT_EQ(resolve_prune_options(Recipe{}, nm).sparsity, 0.5);
}

TEST(Recipe, RulesSetPatternSparsityOrSkipPerLayer) {
  // mixed_weights_model: conv0 (first conv, not in the default set), conv1, Gemm fc, MatMul proj.
  const std::vector<uint8_t> bytes = test::serialize(test::mixed_weights_model());
  OnnxModel model = OnnxModel::parse(bytes, "tiny");
  PruneOptions o;
  o.pattern = Pattern::one_by_n(4);
  o.sparsity = 0.5;
  o.layers.include = "conv|fc|proj";
  o.rules = {{"conv0", Pattern::one_by_n(2), 0.25, false}, {"proj", std::nullopt, std::nullopt, true},
             {"conv", std::nullopt, 0.75, false}};
  const PruneResult r = prune_model(model, o);
  std::map<std::string, const PrunedLayerReport*> by_name;
  for (const auto& l : r.pruned) by_name[l.node_name] = &l;
  ASSERT_TRUE(by_name.count("conv0"));
  EXPECT_EQ(by_name["conv0"]->pattern, Pattern::one_by_n(2));  // the first matching rule wins
  EXPECT_EQ(by_name["conv0"]->sparsity, 0.25);
  ASSERT_TRUE(by_name.count("conv1"));
  EXPECT_EQ(by_name["conv1"]->pattern, Pattern::one_by_n(4));
  EXPECT_EQ(by_name["conv1"]->sparsity, 0.75);
  EXPECT_TRUE(by_name.count("fc"));
  EXPECT_FALSE(by_name.count("proj"));
  for (const LayerSummary& s : r.layers) {
    if (s.layer.node_name == "conv1") {
      EXPECT_NEAR(s.stats.sparsity(), 0.75, 1e-9);
    }
    if (s.layer.node_name == "proj") {
      EXPECT_EQ(s.stats.sparsity(), 0.0);
    }
  }
}

TEST(Recipe, TheDocumentedExampleParses) {
  const Recipe r = load_recipe(test::source_dir() / "docs/examples/resnet50-recipe.json");
  EXPECT_EQ(r.pattern, Pattern::one_by_n(16));
  EXPECT_EQ(r.rules.size(), 3u);
  EXPECT_THROW(load_recipe(test::source_dir() / "docs/examples/missing.json"), Error);
}

TEST(Recipe, GlobalRankingRejectsPerLayerSparsity) {
  const std::vector<uint8_t> bytes = test::serialize(test::mixed_weights_model());
  OnnxModel model = OnnxModel::parse(bytes, "tiny");
  PruneOptions o;
  o.pattern = Pattern::one_by_n(4);
  o.global_ranking = true;
  o.layers.include = "conv";
  o.rules = {{"conv1", std::nullopt, 0.75, false}};
  EXPECT_THROW(prune_model(model, o), InvalidArgument);
}

}  // namespace
}  // namespace onexn
