// onexn prune IN.onnx [-o OUT.onnx] --pattern 1x4 --sparsity 0.5 [--full] [--layers RE]
//                     [--exclude RE] [--global] [--rearrange graph|paper|none] [--recipe FILE.json]
//                     [--report FILE.json] [--json]
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
#include "onexn/file_io.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/onnx_model.hpp"
#include "onexn/recipe.hpp"
#include "prune_report.hpp"

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
    std::string input, output, pattern, layers, exclude, rearrange, recipe, report, save_rearranged;
    std::optional<double> sparsity;
    bool full = false, global = false, json = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("prune", "Prune an ONNX model's weights to a sparsity pattern");
  sub->add_option("model", opt->input, "ONNX model to prune")->required();
  sub->add_option("-o,--output", opt->output, "where to write the pruned model (default: IN.pruned.onnx)");
  sub->add_option("--pattern", opt->pattern,
                  "1xN (N in 1,2,4,8,16,32), balanced-1xN, unstructured, filter, or N:M such as 2:4 "
                  "(default 1x4)");
  sub->add_option("--sparsity", opt->sparsity,
                  "share of each layer's blocks / weights / filters to zero, in [0, 1) (default 0.5; "
                  "N:M fixes it at 1 - N/M; 0 with rearrangement only permutes)");
  CLI::Option* full = sub->add_flag("--full", opt->full, "also prune fully connected (Gemm / MatMul) layers");
  CLI::Option* layers = sub->add_option("--layers", opt->layers,
                                        "prune exactly the layers whose node or weight name matches this regex");
  CLI::Option* exclude = sub->add_option("--exclude", opt->exclude, "do not prune layers whose name matches this regex");
  CLI::Option* global = sub->add_flag(
      "--global", opt->global, "rank units of all selected layers together (one threshold) instead of per layer");
  sub->add_option("--rearrange", opt->rearrange,
                  "filter rearrangement before pruning: graph (every permutable channel set, residual-tied "
                  "ones too; default), paper (sets fed by one conv only) or none");
  sub->add_option("--recipe", opt->recipe,
                  "JSON file with these options and per-layer rules (docs/recipes.md); the command line "
                  "wins over it");
  sub->add_option("--report", opt->report,
                  "write the per-layer report (L1 kept with / without rearrangement, channel sets) as JSON");
  sub->add_option("--save-rearranged", opt->save_rearranged,
                  "also write the rearranged model before pruning (same function as IN)");
  sub->add_flag("--json", opt->json, "print the result as one JSON object per layer per line");
  return {sub, [opt, full, layers, exclude, global] {
            const auto start = std::chrono::steady_clock::now();
            const Recipe recipe = opt->recipe.empty() ? Recipe{} : load_recipe(opt->recipe);
            PruneOptionOverrides cli;
            if (!opt->pattern.empty()) cli.pattern = Pattern::parse(opt->pattern);
            cli.sparsity = opt->sparsity;
            if (full->count()) cli.full = opt->full;
            if (global->count()) cli.global_ranking = opt->global;
            if (layers->count()) cli.include = opt->layers;
            if (exclude->count()) cli.exclude = opt->exclude;
            if (!opt->rearrange.empty()) cli.rearrange = parse_rearrange_mode(opt->rearrange);
            PruneOptions po = resolve_prune_options(recipe, cli);
            po.pattern.check_sparsity(po.sparsity);
            if (!opt->save_rearranged.empty()) {
              check_output_path(opt->save_rearranged);
              po.on_rearranged = [path = opt->save_rearranged](const OnnxModel& m) { m.save(path); };
            }
            const fs::path out = opt->output.empty() ? default_output(opt->input) : fs::path(opt->output);
            check_output_path(out);
            if (!opt->report.empty()) check_output_path(opt->report);

            OnnxModel model = OnnxModel::load(opt->input);
            const PruneResult result = prune_model(model, po);
            model.save(out);
            if (!opt->report.empty()) {
              write_file_atomically(opt->report, prune_report_json(result, po, opt->input, out.string()));
            }
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (opt->json) {
              print_layer_json(std::cout, result.layers, out.string(), "pruned");
            } else {
              std::cout << out.string() << '\n';
              print_layer_table(std::cout, result.layers, "pruned");
              std::cout << '\n';
              print_prune_report(std::cout, result, po.rearrange);
              std::cout << fmt::format(
                  "pruned {} layers with {} at sparsity {}{}{}, rearrangement {}: {} weights zeroed; wrote '{}' in "
                  "{:.2f} s\n",
                  result.pruned_layers, po.pattern.to_string(), po.sparsity,
                  po.global_ranking ? " (global ranking)" : "",
                  po.rules.empty() ? "" : fmt::format(" ({} recipe rules)", po.rules.size()),
                  to_string(po.rearrange), result.pruned_weights, out.string(), seconds);
            }
            return 0;
          }};
}

}  // namespace onexn::cli
