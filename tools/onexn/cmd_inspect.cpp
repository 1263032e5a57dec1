// onexn inspect MODEL.onnx [--json] [--full]: one row per Conv / Gemm / MatMul.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "layer_table.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"

namespace onexn::cli {

Command add_inspect_command(CLI::App& app) {
  struct Options {
    std::string model;
    bool json = false;
    bool full = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "inspect", "List the weighted layers of an ONNX model: kind, shape, sparsity, 1xN block fill");
  sub->add_option("model", opt->model, "ONNX model file")->required();
  sub->add_flag("--json", opt->json, "one JSON object per layer per line");
  sub->add_flag("--full", opt->full, "count fully connected layers in the default layer set");
  return {sub, [opt] {
            const OnnxModel model = OnnxModel::load(opt->model);
            LayerSelection sel;
            sel.full = opt->full;
            const auto layers = inspect_model(model, sel);
            if (opt->json) {
              print_layer_json(std::cout, layers, opt->model, "default_prunes");
            } else {
              std::cout << opt->model << '\n';
              print_layer_table(std::cout, layers, "default");
            }
            return 0;
          }};
}

}  // namespace onexn::cli
