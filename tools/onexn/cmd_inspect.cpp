// onexn inspect MODEL.onnx [--json] [--full]: one row per Conv / Gemm / MatMul.
// onexn inspect MODEL.onnx --png OUT.png [--layer NAME] [--n N]: pictures of the 1xN block masks.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "layer_table.hpp"
#include "mask_png.hpp"
#include "onexn/error.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"
#include "onexn/session.hpp"
#include "png_file.hpp"

namespace onexn::cli {
namespace {

// The layers an overview shows: those with zeros, or, in a model nobody pruned yet, the layers
// the default set would prune (so the picture still says which layers `prune` would touch).
std::vector<const LayerSummary*> overview_layers(const std::vector<LayerSummary>& layers) {
  std::vector<const LayerSummary*> shown;
  for (const auto& l : layers)
    if (l.stats.sparsity() > 0.0) shown.push_back(&l);
  if (!shown.empty()) return shown;
  for (const auto& l : layers)
    if (l.selected) shown.push_back(&l);
  return shown;
}

const LayerSummary& find_layer(const std::vector<LayerSummary>& layers, const std::string& name,
                               const std::string& model_path) {
  for (const auto& l : layers)
    if (l.layer.node_name == name) return l;
  for (const auto& l : layers)
    if (l.layer.weight_tensor == name) return l;
  throw Error(fmt::format(
      "inspect: no Conv / Gemm / MatMul layer named '{}' in '{}' (`onexn inspect {}` lists them)",
      name, model_path, model_path));
}

// Renders the picture and writes it through a temporary file; prints one line saying what it drew.
void write_mask_picture(const OnnxModel& model, const std::vector<LayerSummary>& layers,
                        const std::string& model_path, const std::string& png_path,
                        const std::string& layer_name, int forced_n) {
  RasterImage image;
  std::string what;
  if (!layer_name.empty()) {
    const LayerMaskInput input =
        describe_layer_mask(model, find_layer(layers, layer_name, model_path), forced_n);
    image = render_layer_mask(input).image;
    what = fmt::format("layer '{}', 1x{} blocks", input.name, input.mask.n);
  } else {
    const auto shown = overview_layers(layers);
    if (shown.empty())
      throw Error(
          fmt::format("inspect: '{}' has no Conv / Gemm / MatMul layer to draw", model_path));
    std::vector<LayerMaskInput> inputs;
    for (const LayerSummary* l : shown) inputs.push_back(describe_layer_mask(model, *l, forced_n));
    const bool any_pruned = shown.front()->stats.sparsity() > 0.0;
    const std::string n_rule =
        forced_n ? fmt::format("N = {} for every layer", forced_n)
                 : std::string("N per layer: the largest with block fill >= 0.99");
    const std::string title =
        fmt::format("{}: {} {} layers ({})", std::filesystem::path(model_path).filename().string(),
                    inputs.size(), any_pruned ? "pruned" : "unpruned default-set", n_rule);
    image = render_mask_overview(inputs, title);
    what = fmt::format("{} layers", inputs.size());
  }
  write_png_file(png_path, image);
  std::cout << fmt::format("wrote {} ({}x{} px): {}\n", png_path, image.width, image.height, what);
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  struct Options {
    std::string model;
    bool json = false;
    bool full = false;
    std::string png;
    std::string layer;
    int n = 0;  // 0: pick N per layer from its block fill
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "inspect",
      "List the weighted layers of an ONNX model: kind, shape, sparsity, 1xN block fill");
  sub->add_option("model", opt->model, "ONNX model file")->required();
  CLI::Option* json = sub->add_flag("--json", opt->json, "one JSON object per layer per line");
  sub->add_flag("--full", opt->full, "count fully connected layers in the default layer set");
  CLI::Option* png = sub->add_option(
      "--png", opt->png, "draw the 1xN block masks of the pruned layers as a PNG picture");
  png->excludes(json);
  sub->add_option("--layer", opt->layer,
                  "with --png: draw only this layer (node or weight name), large")
      ->needs(png);
  sub->add_option(
         "--n", opt->n,
         "with --png: draw blocks of N output channels (default: per layer, the largest N whose "
         "block fill is >= 0.99)")
      ->check(CLI::IsMember({1, 2, 4, 8, 16, 32}))
      ->needs(png);
  return {sub, [opt] {
            const OnnxModel model = OnnxModel::load(opt->model);
            LayerSelection sel;
            sel.full = opt->full;
            const auto layers = inspect_model(model, sel);
            if (!opt->png.empty()) {
              write_mask_picture(model, layers, opt->model, opt->png, opt->layer, opt->n);
              return 0;
            }
            // Which nodes the runtime could not run, all at once.
            std::vector<std::string> unsupported;
            std::string import_problem;
            try {
              unsupported = unsupported_nodes(model);
            } catch (const Error& e) {
              import_problem = e.what();
            }
            if (opt->json) {
              print_layer_json(std::cout, layers, opt->model, "default_prunes");
              nlohmann::ordered_json j;
              j["model"] = opt->model;
              j["unsupported_nodes"] = unsupported;
              if (!import_problem.empty()) j["runtime_problem"] = import_problem;
              std::cout << j.dump() << '\n';
            } else {
              std::cout << opt->model << '\n';
              print_layer_table(std::cout, layers, "default");
              if (!import_problem.empty()) {
                std::cout << "onexn run cannot load this model: " << import_problem << '\n';
              } else if (unsupported.empty()) {
                std::cout << "every node is supported by onexn run\n";
              } else {
                std::cout << unsupported.size() << " node(s) onexn run does not support:\n";
                for (const auto& n : unsupported) std::cout << "  " << n << '\n';
              }
            }
            return 0;
          }};
}

}  // namespace onexn::cli
