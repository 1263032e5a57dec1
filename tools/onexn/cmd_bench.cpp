// onexn bench MODEL.onnx [--input [NAME=]FILE]... [--shape [NAME=]D,D,...]... [--threads T]
//             [--batch B] [--runs R] [--tuning-cache FILE|off] [--json]: the model with the kernels onexn picks against the
// same runtime forced dense, in one run, layer by layer.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "bench/timing.hpp"
#include "commands.hpp"
#include "model_inputs.hpp"
#include "onexn/session.hpp"

namespace onexn::cli {
namespace {

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Median time of each layer over `runs` profiled runs.
std::vector<double> layer_medians(const Session& s, const std::vector<Tensor>& in, int runs) {
  std::vector<std::vector<double>> per_layer;
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    s.run_profiled(in, ms);
    per_layer.resize(ms.size());
    for (size_t k = 0; k < ms.size(); ++k) per_layer[k].push_back(ms[k]);
  }
  std::vector<double> out;
  for (auto& v : per_layer) out.push_back(median(v));
  return out;
}

std::string megabytes(int64_t bytes) { return fmt::format("{:.1f} MB", double(bytes) / 1e6); }

}  // namespace

Command add_bench_command(CLI::App& app) {
  struct Options {
    std::string model, tuning_cache;
    InputArgs inputs;
    int threads = 1, runs = 20;
    int64_t batch = 0;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "bench", "Time a model with onexn's kernel choice against the same runtime forced dense");
  sub->add_option("model", opt->model, "ONNX model file")->required();
  sub->add_option("--threads", opt->threads, "threads")->capture_default_str()->check(CLI::Range(1, 1024));
  add_input_options(sub, opt->inputs);
  sub->add_option("--batch", opt->batch, "batch size (default: the model's, or the inputs')")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  sub->add_option("--runs", opt->runs, "timed runs of each variant (median reported)")
      ->capture_default_str()
      ->check(CLI::Range(20, 100000));
  sub->add_option("--tuning-cache", opt->tuning_cache, "FILE: keep the kernel choices tuning times there, read them back on later loads; off: time every load (default: $ONEXN_TUNING_CACHE, else ~/.cache/onexn/tuning-cache-v1.json)");
  sub->add_flag("--json", opt->json, "one JSON object per layer per line, then the summary");
  return {sub, [opt] {
            GivenInputs given = read_given_inputs(opt->inputs);
            SessionOptions so;
            so.threads = opt->threads;
            so.tuning_cache = opt->tuning_cache;
            const OnnxModel model = OnnxModel::load(opt->model);
            so.batch = opt->batch ? opt->batch : batch_of_given(model_inputs(model), given);
            const Session sparse = Session::from_model(model, so);
            so.dense = true;
            const Session dense = Session::from_model(model, so);
            const std::vector<Tensor> inputs = complete_inputs(sparse, std::move(given));
            // Whole-model latency: both variants in rounds, after warm-up.
            const std::vector<double> ms = bench::blocked_median_ms(
                {[&] { sparse.run(inputs); }, [&] { dense.run(inputs); }}, 3, opt->runs);
            const double sparse_ms = ms[0], dense_ms = ms[1];
            const std::vector<double> sparse_layers = layer_medians(sparse, inputs, std::max(5, opt->runs / 4));
            const std::vector<double> dense_layers = layer_medians(dense, inputs, std::max(5, opt->runs / 4));
            double layer_total = 0;
            for (double t : sparse_layers) layer_total += t;
            // The plans of these inputs' shapes (the runs above built them when not built at load).
            const std::vector<LayerReport> layers = sparse.layers(), dense_layer_reports = dense.layers();
            const int64_t batch = inputs.front().dims.empty() ? 1 : inputs.front().dims[0];
            if (opt->json) {
              for (size_t k = 0; k < layers.size(); ++k) {
                nlohmann::ordered_json j;
                j["layer"] = layers[k].name;
                j["op"] = layers[k].op;
                j["kind"] = layers[k].kind;
                j["kernel"] = layers[k].kernel;
                j["dense_kernel"] = dense_layer_reports[k].kernel;
                j["n"] = layers[k].block_size;
                j["sparsity"] = layers[k].sparsity;
                j["sparse_ms"] = sparse_layers[k];
                j["dense_ms"] = dense_layers[k];
                j["share"] = layer_total > 0 ? sparse_layers[k] / layer_total : 0.0;
                std::cout << j.dump() << '\n';
              }
              nlohmann::ordered_json s;
              s["model"] = opt->model;
              s["threads"] = opt->threads;
              s["batch"] = batch;
              s["dense_ms"] = dense_ms;
              s["sparse_ms"] = sparse_ms;
              s["speedup"] = dense_ms / sparse_ms;
              s["runs"] = opt->runs;
              s["peak_activation_bytes"] = sparse.peak_activation_bytes();
              s["weight_bytes_dense"] = sparse.weight_bytes_dense();
              s["weight_bytes_stored"] = sparse.weight_bytes_stored();
              std::cout << s.dump() << '\n';
              return 0;
            }
            std::cout << fmt::format("{}: batch {}, {} thread{}\n", opt->model, batch, opt->threads,
                                     opt->threads == 1 ? "" : "s");
            size_t name_width = 5;
            for (const auto& l : layers) name_width = std::max(name_width, std::min<size_t>(l.name.size(), 40));
            std::cout << fmt::format("{:<{}}  {:<17}  {:<10}  {:<40}  {:>3}  {:>5}  {:>8}  {:>8}  {:>6}\n", "layer",
                                     name_width, "op", "kind", "kernel", "N", "p", "ms", "dense ms", "share");
            for (size_t k = 0; k < layers.size(); ++k) {
              std::string name = layers[k].name;
              if (name.size() > name_width) name = "..." + name.substr(name.size() - name_width + 3);
              std::cout << fmt::format(
                  "{:<{}}  {:<17}  {:<10}  {:<40}  {:>3}  {:>5}  {:>8.3f}  {:>8.3f}  {:>5.1f}%\n", name,
                  name_width, layers[k].op.substr(0, 17), layers[k].kind, layers[k].kernel.substr(0, 40),
                  layers[k].block_size ? std::to_string(layers[k].block_size) : "-",
                  !layers[k].kind.empty() ? fmt::format("{:.2f}", layers[k].sparsity) : "-", sparse_layers[k],
                  dense_layers[k], layer_total > 0 ? 100.0 * sparse_layers[k] / layer_total : 0.0);
            }
            std::cout << fmt::format(
                "\nlatency (median of {} runs each): onexn {:.3f} ms, dense {:.3f} ms: {:.2f}x faster\n"
                "peak activation memory {}; weights dense {}, as stored {}\n",
                opt->runs, sparse_ms, dense_ms, dense_ms / sparse_ms, megabytes(sparse.peak_activation_bytes()),
                megabytes(sparse.weight_bytes_dense()), megabytes(sparse.weight_bytes_stored()));
            return 0;
          }};
}

}  // namespace onexn::cli
