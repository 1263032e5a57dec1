// Graph-wide rearrangement on small hand-built graphs: which channel sets are permuted in each
// mode, why the others are not, and that the permuted model computes the same function (run by
// the runtime on the original and the permuted model).
#include <gtest/gtest.h>

#include <algorithm>

#include "onexn/error.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"
#include "onexn/rearrange_model.hpp"
#include "onexn/session.hpp"
#include "support/test_support.hpp"
#include "tiny_models.hpp"

namespace onexn {
namespace {

using test::add_node;
using test::float_tensor;
using test::random_values;
using test::set_int;

void add_conv(onnx::ModelProto& m, const std::string& name, const std::string& in, const std::string& out,
              int64_t c_in, int64_t c_out, int64_t k, uint32_t seed, bool bias = true, int64_t groups = 1) {
  auto* g = m.mutable_graph();
  *g->add_initializer() = float_tensor(name + ".w", {c_out, c_in / groups, k, k},
                                       random_values(c_out * (c_in / groups) * k * k, seed));
  std::vector<std::string> inputs = {in, name + ".w"};
  if (bias) {
    *g->add_initializer() = float_tensor(name + ".b", {c_out}, random_values(c_out, seed + 1000));
    inputs.push_back(name + ".b");
  }
  auto& n = add_node(m, "Conv", name, inputs, {out});
  if (k > 1) {
    auto* a = n.add_attribute();
    a->set_name("pads");
    a->set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < 4; ++i) a->add_ints(k / 2);
  }
  if (groups > 1) set_int(n, "group", groups);
}

void add_bn(onnx::ModelProto& m, const std::string& name, const std::string& in, const std::string& out,
            int64_t c, uint32_t seed) {
  auto* g = m.mutable_graph();
  std::vector<float> var = random_values(c, seed + 3);
  for (float& v : var) v = 0.5f + std::abs(v);
  *g->add_initializer() = float_tensor(name + ".scale", {c}, random_values(c, seed));
  *g->add_initializer() = float_tensor(name + ".bias", {c}, random_values(c, seed + 1));
  *g->add_initializer() = float_tensor(name + ".mean", {c}, random_values(c, seed + 2));
  *g->add_initializer() = float_tensor(name + ".var", {c}, var);
  add_node(m, "BatchNormalization", name, {in, name + ".scale", name + ".bias", name + ".mean", name + ".var"},
           {out});
}

OnnxModel parse(const onnx::ModelProto& m) {
  const std::vector<uint8_t> bytes = test::serialize(m);
  return OnnxModel::parse(bytes, "tiny");
}

std::vector<float> run(const OnnxModel& model, const std::vector<float>& x) {
  const std::vector<uint8_t> bytes = model.serialize();
  const Session s = Session::from_bytes(bytes, "tiny", {.tune = false});
  return s.run({{s.inputs()[0].name, s.inputs()[0].shape, x}}).at(0).data;
}

// Rearranges a copy of `m` and checks the function is unchanged; returns the result.
RearrangeResult rearrange_and_compare(const onnx::ModelProto& m, RearrangeMode mode, int64_t input_size) {
  const OnnxModel original = parse(m);
  OnnxModel permuted = parse(m);
  const RearrangeResult r = rearrange_model(permuted, mode);
  const std::vector<float> x = random_values(input_size, 77);
  const std::vector<float> a = run(original, x), b = run(permuted, x);
  EXPECT_LE(test::max_relative_error(b, a), 1e-5) << to_string(mode);
  return r;
}

std::vector<float> initializer(const OnnxModel& model, const std::string& name) {
  for (const auto& layer : model.weighted_layers())
    if (layer.weight_tensor == name) return model.read_weights(layer);
  ADD_FAILURE() << "no layer with weights " << name;
  return {};
}

const ChannelSetSummary* set_produced_by(const RearrangeResult& r, const std::string& node) {
  for (const ChannelSetSummary& s : r.sets)
    if (std::find(s.producers.begin(), s.producers.end(), node) != s.producers.end()) return &s;
  return nullptr;
}

// x -> conv a (BN, ReLU) -> conv b (ReLU) -> conv c -> y: two inner sets, one producer each.
onnx::ModelProto chain_model() {
  onnx::ModelProto m = test::empty_model(4, 6, 6);
  add_conv(m, "a", "x", "a_out", 4, 8, 3, 1);
  add_bn(m, "a_bn", "a_out", "a_bn_out", 8, 2);
  add_node(m, "Relu", "a_relu", {"a_bn_out"}, {"a_act"});
  add_conv(m, "b", "a_act", "b_out", 8, 8, 1, 3);
  add_node(m, "Relu", "b_relu", {"b_out"}, {"b_act"});
  add_conv(m, "c", "b_act", "y", 8, 6, 1, 4);
  test::add_output(m, "y");
  return m;
}

TEST(RearrangeModel, ChainIsPermutedAndKeepsItsFunction) {
  const onnx::ModelProto m = chain_model();
  for (RearrangeMode mode : {RearrangeMode::paper, RearrangeMode::graph}) {
    const RearrangeResult r = rearrange_and_compare(m, mode, 4 * 36);
    EXPECT_EQ(r.permuted_sets, 2) << to_string(mode);
    ASSERT_NE(set_produced_by(r, "a"), nullptr);
    EXPECT_TRUE(set_produced_by(r, "a")->permuted);
    EXPECT_FALSE(set_produced_by(r, "c")->permuted);  // the graph output
    EXPECT_NE(set_produced_by(r, "c")->reason.find("graph output"), std::string::npos);
  }
}

TEST(RearrangeModel, FiltersEndUpInDescendingL1Order) {
  OnnxModel model = parse(chain_model());
  const std::vector<float> before = initializer(model, "a.w");
  rearrange_model(model, RearrangeMode::graph);
  const std::vector<float> after = initializer(model, "a.w");
  EXPECT_NE(before, after);
  const size_t per_filter = 4 * 9;
  double last = INFINITY;
  for (size_t f = 0; f < 8; ++f) {
    double l1 = 0;
    for (size_t k = 0; k < per_filter; ++k) l1 += std::abs(after[f * per_filter + k]);
    EXPECT_LE(l1, last + 1e-6) << "filter " << f;
    last = l1;
  }
}

TEST(RearrangeModel, NoneChangesNothing) {
  OnnxModel model = parse(chain_model());
  const std::vector<uint8_t> before = model.serialize();
  const RearrangeResult r = rearrange_model(model, RearrangeMode::none);
  EXPECT_EQ(r.permuted_sets, 0);
  EXPECT_EQ(model.serialize(), before);
}

// Residual add, squeeze-and-excitation scale, a depthwise conv, Concat of two convs, then
// GlobalAveragePool -> Flatten -> Gemm.
onnx::ModelProto block_model() {
  onnx::ModelProto m = test::empty_model(4, 5, 5);
  auto* g = m.mutable_graph();
  add_conv(m, "c1", "x", "c1_out", 4, 8, 3, 10);
  add_node(m, "Relu", "r1", {"c1_out"}, {"r1_out"});
  add_conv(m, "c2", "r1_out", "c2_out", 8, 8, 3, 11);
  add_node(m, "Add", "res", {"r1_out", "c2_out"}, {"s"});
  add_node(m, "GlobalAveragePool", "se_pool", {"s"}, {"se_p"});
  add_conv(m, "se1", "se_p", "se1_out", 8, 4, 1, 12);
  add_node(m, "Relu", "se_relu", {"se1_out"}, {"se_r"});
  add_conv(m, "se2", "se_r", "se2_out", 4, 8, 1, 13);
  add_node(m, "HardSigmoid", "se_gate", {"se2_out"}, {"se_g"});
  add_node(m, "Mul", "se_scale", {"s", "se_g"}, {"t"});
  add_conv(m, "dw", "t", "dw_out", 8, 8, 3, 14, true, 8);
  // a per-channel constant [8, 1, 1] added after the depthwise conv
  *g->add_initializer() = float_tensor("shift", {8, 1, 1}, random_values(8, 15));
  add_node(m, "Add", "shift_add", {"dw_out", "shift"}, {"dw_s"});
  add_conv(m, "c5", "dw_s", "u", 8, 6, 1, 16);
  add_conv(m, "c6", "dw_s", "v", 8, 5, 1, 17);
  auto& cat = add_node(m, "Concat", "cat", {"u", "v"}, {"w"});
  set_int(cat, "axis", 1);
  add_conv(m, "c7", "w", "c7_out", 11, 6, 1, 18);
  add_node(m, "Relu", "r7", {"c7_out"}, {"r7_out"});
  add_node(m, "GlobalAveragePool", "gap", {"r7_out"}, {"gap_out"});
  add_node(m, "Flatten", "flat", {"gap_out"}, {"flat_out"});
  *g->add_initializer() = float_tensor("fc.w", {3, 6}, random_values(18, 19));
  *g->add_initializer() = float_tensor("fc.b", {3}, random_values(3, 20));
  auto& fc = add_node(m, "Gemm", "fc", {"flat_out", "fc.w", "fc.b"}, {"y"});
  set_int(fc, "transB", 1);
  test::add_output(m, "y");
  return m;
}

TEST(RearrangeModel, GraphModePermutesTiedSetsPaperModeDoesNot) {
  const onnx::ModelProto m = block_model();
  const RearrangeResult paper = rearrange_and_compare(m, RearrangeMode::paper, 4 * 25);
  const RearrangeResult graph = rearrange_and_compare(m, RearrangeMode::graph, 4 * 25);
  // c1, c2 and se2 are tied by the residual add and the SE scale (the depthwise conv and the
  // per-channel constant pass the set on to c5 / c6).
  const ChannelSetSummary* tied = set_produced_by(graph, "c1");
  ASSERT_NE(tied, nullptr);
  EXPECT_TRUE(tied->tied);
  EXPECT_EQ(tied->producers.size(), 3u);
  EXPECT_EQ(set_produced_by(graph, "c2"), tied);
  EXPECT_EQ(set_produced_by(graph, "se2"), tied);
  EXPECT_TRUE(tied->permuted);
  EXPECT_FALSE(set_produced_by(paper, "c1")->permuted);
  EXPECT_NE(set_produced_by(paper, "c1")->reason.find("tied"), std::string::npos);
  // se1, c5, c6 (the two halves of the Concat) and c7 (into the Gemm): one producer each.
  for (const char* node : {"se1", "c5", "c6", "c7"}) {
    EXPECT_TRUE(set_produced_by(paper, node)->permuted) << node;
    EXPECT_TRUE(set_produced_by(graph, node)->permuted) << node;
  }
  EXPECT_EQ(paper.permuted_sets, 4);
  EXPECT_EQ(graph.permuted_sets, 5);
}

TEST(RearrangeModel, FlattenSpreadsChannelsOverGemmColumns) {
  // [1, 4, 2, 2] -> conv (4 -> 6) -> Flatten -> [1, 24] -> Gemm (transB = 0): each channel owns
  // four consecutive rows of B.
  onnx::ModelProto m = test::empty_model(4, 2, 2);
  add_conv(m, "c", "x", "c_out", 4, 6, 1, 30);
  add_node(m, "Flatten", "flat", {"c_out"}, {"f"});
  *m.mutable_graph()->add_initializer() = float_tensor("fc.w", {24, 5}, random_values(120, 31));
  add_node(m, "Gemm", "fc", {"f", "fc.w"}, {"y"});
  test::add_output(m, "y");
  const RearrangeResult r = rearrange_and_compare(m, RearrangeMode::graph, 16);
  EXPECT_TRUE(set_produced_by(r, "c")->permuted);
}

onnx::ModelProto shared_weights_model() {
  // conv A and conv B read the same weight tensor; a Transpose after conv C.
  onnx::ModelProto m = test::empty_model(4, 4, 4);
  auto* g = m.mutable_graph();
  add_conv(m, "c0", "x", "c0_out", 4, 8, 1, 40);
  *g->add_initializer() = float_tensor("shared.w", {8, 8, 1, 1}, random_values(64, 41));
  add_node(m, "Conv", "convA", {"c0_out", "shared.w"}, {"a_out"});
  add_node(m, "Conv", "convB", {"a_out", "shared.w"}, {"b_out"});
  add_conv(m, "convC", "b_out", "c_out", 8, 6, 1, 42);
  auto& t = add_node(m, "Transpose", "tr", {"c_out"}, {"y"});
  auto* perm = t.add_attribute();
  perm->set_name("perm");
  perm->set_type(onnx::AttributeProto::INTS);
  for (int64_t p : {0, 2, 3, 1}) perm->add_ints(p);
  test::add_output(m, "y");
  return m;
}

TEST(RearrangeModel, SharedWeightsAreCopiedSoEachLayerCanBePermuted) {
  const RearrangeResult r = rearrange_and_compare(shared_weights_model(), RearrangeMode::graph, 64);
  EXPECT_EQ(r.unshared_tensors, 1);
  for (const char* node : {"c0", "convA", "convB"}) {
    const ChannelSetSummary* s = set_produced_by(r, node);
    ASSERT_NE(s, nullptr) << node;
    EXPECT_TRUE(s->permuted) << node << ": " << s->reason;
  }
  OnnxModel model = parse(shared_weights_model());
  rearrange_model(model, RearrangeMode::graph);
  EXPECT_NE(model.weighted_layers()[1].weight_tensor, model.weighted_layers()[2].weight_tensor);
}

TEST(RearrangeModel, ChannelsIntoATransposeStayFixed) {
  const RearrangeResult r = rearrange_and_compare(shared_weights_model(), RearrangeMode::graph, 64);
  const ChannelSetSummary* c = set_produced_by(r, "convC");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->permuted);
  EXPECT_NE(c->reason.find("Transpose"), std::string::npos) << c->reason;
  EXPECT_EQ(r.permuted_sets, 3);
}

// ConvTranspose weights are [C_in][C_out/g][k][k]: input channels on axis 0, filters on axis 1.
void add_conv_transpose(onnx::ModelProto& m, const std::string& name, const std::string& in,
                        const std::string& out, int64_t c_in, int64_t c_out, int64_t k, int64_t stride,
                        int64_t pad, uint32_t seed, bool bias = true, int64_t groups = 1) {
  auto* g = m.mutable_graph();
  *g->add_initializer() = float_tensor(name + ".w", {c_in, c_out / groups, k, k},
                                       random_values(c_in * (c_out / groups) * k * k, seed));
  std::vector<std::string> inputs = {in, name + ".w"};
  if (bias) {
    *g->add_initializer() = float_tensor(name + ".b", {c_out}, random_values(c_out, seed + 1000));
    inputs.push_back(name + ".b");
  }
  auto& n = add_node(m, "ConvTranspose", name, inputs, {out});
  test::set_ints(n, "strides", {stride, stride});
  if (pad > 0) test::set_ints(n, "pads", {pad, pad, pad, pad});
  if (groups > 1) set_int(n, "group", groups);
}

// A U-Net step: x -> c1 (ReLU) -> down (stride 2, ReLU) -> up (ConvTranspose, stride 2, BN, ReLU)
// -> Concat with c1's output -> up2 (ConvTranspose 14 -> 8) + c1's output (residual add) ->
// dwct (depthwise ConvTranspose) -> head -> y.
onnx::ModelProto unet_step_model() {
  onnx::ModelProto m = test::empty_model(4, 4, 4);
  add_conv(m, "c1", "x", "c1_out", 4, 8, 3, 60);
  add_node(m, "Relu", "r1", {"c1_out"}, {"c1_act"});
  add_conv(m, "down", "c1_act", "down_out", 8, 8, 3, 61);
  for (auto& n : *m.mutable_graph()->mutable_node())
    if (n.name() == "down") test::set_ints(n, "strides", {2, 2});
  add_node(m, "Relu", "rd", {"down_out"}, {"down_act"});
  add_conv_transpose(m, "up", "down_act", "up_out", 8, 6, 2, 2, 0, 62);
  add_bn(m, "up_bn", "up_out", "up_bn_out", 6, 63);
  add_node(m, "Relu", "up_relu", {"up_bn_out"}, {"up_act"});
  auto& cat = add_node(m, "Concat", "cat", {"up_act", "c1_act"}, {"cat_out"});
  set_int(cat, "axis", 1);
  add_conv_transpose(m, "up2", "cat_out", "up2_out", 14, 8, 3, 1, 1, 64);
  add_node(m, "Add", "res", {"up2_out", "c1_act"}, {"res_out"});
  add_conv_transpose(m, "dwct", "res_out", "dw_out", 8, 8, 3, 1, 1, 65, true, 8);
  add_conv(m, "head", "dw_out", "y", 8, 3, 1, 66);
  test::add_output(m, "y");
  return m;
}

TEST(RearrangeModel, ConvTransposeProducesAndConsumesChannelsLikeAConv) {
  const onnx::ModelProto m = unet_step_model();
  const RearrangeResult graph = rearrange_and_compare(m, RearrangeMode::graph, 4 * 16);
  const RearrangeResult paper = rearrange_and_compare(m, RearrangeMode::paper, 4 * 16);
  // c1's channels reach up2's input (second half of the Concat) and are tied to up2's output
  // by the residual add; the depthwise ConvTranspose passes them on to the head.
  const ChannelSetSummary* tied = set_produced_by(graph, "c1");
  ASSERT_NE(tied, nullptr);
  EXPECT_EQ(set_produced_by(graph, "up2"), tied);
  EXPECT_TRUE(tied->tied);
  EXPECT_TRUE(tied->permuted) << tied->reason;
  EXPECT_FALSE(set_produced_by(paper, "c1")->permuted);
  for (const char* node : {"down", "up"}) {
    EXPECT_TRUE(set_produced_by(graph, node)->permuted) << node << ": " << set_produced_by(graph, node)->reason;
    EXPECT_TRUE(set_produced_by(paper, node)->permuted) << node;
  }
  EXPECT_EQ(graph.permuted_sets, 3);
  EXPECT_EQ(paper.permuted_sets, 2);
}

TEST(RearrangeModel, ConvTransposeFiltersAreOrderedAlongAxisOne) {
  OnnxModel model = parse(unet_step_model());
  rearrange_model(model, RearrangeMode::graph);
  // up's set has one producer, so its filters W[:][j] end up in descending L1 order.
  const WeightedLayer* up = nullptr;
  for (const auto& l : model.weighted_layers())
    if (l.node_name == "up") up = &l;
  ASSERT_NE(up, nullptr);
  const std::vector<float> oihw = model.read_weights(*up);  // [6][8][2][2]
  double last = INFINITY;
  for (int64_t j = 0; j < 6; ++j) {
    double l1 = 0;
    for (int64_t k = 0; k < 8 * 4; ++k) l1 += std::abs(oihw[j * 32 + k]);
    EXPECT_LE(l1, last + 1e-6) << "filter " << j;
    last = l1;
  }
}

TEST(RearrangeModel, GroupedConvTransposeIsABarrierAndDilatedConvsPermute) {
  // stem -> up (ConvTranspose) -> up_g (grouped ConvTranspose) -> dw_up (depthwise) -> dil
  // (dilated conv) -> head: stem's and dil's sets are permuted, up's is fixed by up_g.
  const RearrangeResult r = rearrange_and_compare(test::conv_transpose_model(), RearrangeMode::graph, 4 * 25);
  EXPECT_TRUE(set_produced_by(r, "stem")->permuted) << set_produced_by(r, "stem")->reason;
  EXPECT_TRUE(set_produced_by(r, "dil")->permuted) << set_produced_by(r, "dil")->reason;
  const ChannelSetSummary* up = set_produced_by(r, "up");
  ASSERT_NE(up, nullptr);
  EXPECT_FALSE(up->permuted);
  EXPECT_NE(up->reason.find("grouped"), std::string::npos) << up->reason;
  EXPECT_EQ(r.permuted_sets, 2);
}

TEST(RearrangeModel, PruningConvTransposeLayersNeverLosesL1ToRearrangement) {
  OnnxModel model = parse(unet_step_model());
  PruneOptions o;
  o.pattern = Pattern::one_by_n(4);
  o.sparsity = 0.5;
  o.rearrange = RearrangeMode::graph;
  const PruneResult r = prune_model(model, o);
  int transposed = 0;
  for (const PrunedLayerReport& l : r.pruned) {
    EXPECT_GE(l.l1_kept_rearranged, l.l1_kept_plain - 1e-9) << l.node_name;
    transposed += l.node_name == "up" || l.node_name == "up2";
  }
  EXPECT_EQ(transposed, 2);
  // The rearranged, pruned model still runs; the pruned ConvTranspose weights are exact 1x4
  // blocks of their OIHW view.
  const std::vector<float> x = random_values(4 * 16, 5);
  EXPECT_EQ(run(model, x).size(), 3u * 16u);
  for (const WeightedLayer& l : model.weighted_layers()) {
    if (l.node_name != "up" && l.node_name != "up2") continue;
    EXPECT_EQ(r.layers.at(&l - model.weighted_layers().data()).stats.fill_for(4), 1.0) << l.node_name;
  }
}

TEST(RearrangeModel, ParsesModes) {
  EXPECT_EQ(parse_rearrange_mode("graph"), RearrangeMode::graph);
  EXPECT_EQ(parse_rearrange_mode("paper"), RearrangeMode::paper);
  EXPECT_EQ(parse_rearrange_mode("none"), RearrangeMode::none);
  EXPECT_THROW(parse_rearrange_mode("all"), InvalidArgument);
}

TEST(RearrangeModel, PruneReportsKeptL1WithAndWithoutRearrangement) {
  OnnxModel model = parse(chain_model());
  PruneOptions o;
  o.pattern = Pattern::one_by_n(4);
  o.sparsity = 0.5;
  o.layers.include = "^(b|c)$";
  o.rearrange = RearrangeMode::graph;
  const PruneResult r = prune_model(model, o);
  ASSERT_EQ(r.pruned.size(), 2u);
  for (const PrunedLayerReport& l : r.pruned) {
    EXPECT_GT(l.l1_kept_plain, 0.0);
    EXPECT_LE(l.l1_kept_plain, 1.0);
    EXPECT_GT(l.l1_kept_rearranged, 0.0);
    EXPECT_LE(l.l1_kept_rearranged, 1.0);
  }
  EXPECT_EQ(r.rearrangement.permuted_sets, 2);
  // Layer b's own filters were reordered (set produced by b), so its block grouping changed.
  EXPECT_NE(r.pruned[0].l1_kept_plain, r.pruned[0].l1_kept_rearranged);
}

}  // namespace
}  // namespace onexn
