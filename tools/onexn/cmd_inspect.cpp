// onexn inspect MODEL.onnx [--json] [--full]: one row per Conv / Gemm / MatMul.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include <nlohmann/json.hpp>

#include "layer_table.hpp"
#include "onexn/error.hpp"
#include "onexn/session.hpp"
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
