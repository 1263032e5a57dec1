// onexn prune IN.onnx [-o OUT.onnx] --pattern 1x4 --sparsity 0.5 [--full] [--layers RE]
//                     [--exclude RE] [--global] [--json]
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "layer_table.hpp"
#include "onexn/error.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"

namespace onexn::cli {
namespace {

namespace fs = std::filesystem;

// IN.onnx -> IN.pruned.onnx beside it.
fs::path default_output(const fs::path& in) {
  fs::path out = in;
  out.replace_extension();
  out += ".pruned.onnx";
  return out;
}

// Fails before any work is done when OUT cannot possibly be written.
void check_output_path(const fs::path& out) {
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(fmt::format("cannot write '{}': directory '{}' does not exist", out.string(), dir.string()));
  }
  if (fs::is_directory(out, ec)) throw Error(fmt::format("cannot write '{}': it is a directory", out.string()));
  if (::access(dir.c_str(), W_OK) != 0) {
    throw Error(fmt::format("cannot write '{}': directory '{}' is not writable", out.string(), dir.string()));
  }
}

}  // namespace

Command add_prune_command(CLI::App& app) {
  struct Options {
    std::string input, output, pattern = "1x4", layers, exclude;
    std::optional<double> sparsity;
    bool full = false, global = false, json = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("prune", "Prune an ONNX model's weights to a sparsity pattern");
  sub->add_option("model", opt->input, "ONNX model to prune")->required();
  sub->add_option("-o,--output", opt->output, "where to write the pruned model (default: IN.pruned.onnx)");
  sub->add_option("--pattern", opt->pattern,
                  "1xN (N in 1,2,4,8,16,32), balanced-1xN, unstructured, filter, or N:M such as 2:4")
      ->capture_default_str();
  sub->add_option("--sparsity", opt->sparsity,
                  "share of each layer's blocks / weights / filters to zero, in [0, 1) (default 0.5; "
                  "N:M fixes it at 1 - N/M)");
  sub->add_flag("--full", opt->full, "also prune fully connected (Gemm / MatMul) layers");
  sub->add_option("--layers", opt->layers,
                  "prune exactly the layers whose node or weight name matches this regex");
  sub->add_option("--exclude", opt->exclude, "do not prune layers whose name matches this regex");
  sub->add_flag("--global", opt->global,
                "rank units of all selected layers together (one threshold) instead of per layer");
  sub->add_flag("--json", opt->json, "print the result as one JSON object per layer per line");
  return {sub, [opt] {
            const auto start = std::chrono::steady_clock::now();
            PruneOptions po;
            po.pattern = Pattern::parse(opt->pattern);
            po.sparsity = opt->sparsity.value_or(po.pattern.implied_sparsity().value_or(0.5));
            po.pattern.check_sparsity(po.sparsity);
            po.layers = {opt->full, opt->layers, opt->exclude};
            po.global_ranking = opt->global;
            const fs::path out = opt->output.empty() ? default_output(opt->input) : fs::path(opt->output);
            check_output_path(out);

            OnnxModel model = OnnxModel::load(opt->input);
            const PruneResult result = prune_model(model, po);
            model.save(out);
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (opt->json) {
              print_layer_json(std::cout, result.layers, out.string(), "pruned");
            } else {
              std::cout << out.string() << '\n';
              print_layer_table(std::cout, result.layers, "pruned");
              std::cout << fmt::format(
                  "pruned {} layers with {} at sparsity {}{}: {} weights zeroed; wrote '{}' in {:.2f} s\n",
                  result.pruned_layers, po.pattern.to_string(), po.sparsity,
                  po.global_ranking ? " (global ranking)" : "", result.pruned_weights, out.string(),
                  seconds);
            }
            return 0;
          }};
}

}  // namespace onexn::cli
