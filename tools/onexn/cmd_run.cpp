// onexn run MODEL.onnx [--input X.npy|X.pb] [--output Y.npy] [--threads T] [--batch B] [--dense]
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <numeric>

#include "commands.hpp"
#include "model_inputs.hpp"
#include "onexn/error.hpp"
#include "onexn/npy.hpp"
#include "onexn/session.hpp"

namespace onexn::cli {
namespace {

// The k largest values of one row, as (index, value), largest first.
std::vector<std::pair<int64_t, float>> top_k(const float* row, int64_t n, int64_t k) {
  std::vector<int64_t> idx(n);
  std::iota(idx.begin(), idx.end(), int64_t{0});
  k = std::min(k, n);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int64_t a, int64_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
  std::vector<std::pair<int64_t, float>> out;
  for (int64_t i = 0; i < k; ++i) out.emplace_back(idx[i], row[idx[i]]);
  return out;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  struct Options {
    std::string model, input, output;
    int threads = 1;
    int64_t batch = 0;
    bool dense = false, no_tune = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("run", "Run an ONNX model on an input and print the top-5 of its output");
  sub->add_option("model", opt->model, "ONNX model file")->required();
  sub->add_option("--input", opt->input,
                  "input tensor (.npy or ONNX TensorProto .pb); default: fixed-seed random values");
  sub->add_option("--output", opt->output, "write the first output to this .npy file");
  sub->add_option("--threads", opt->threads, "threads")->capture_default_str()->check(CLI::Range(1, 1024));
  sub->add_option("--batch", opt->batch, "batch size (default: the model's, or the input's)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  sub->add_flag("--dense", opt->dense, "run every convolution with a dense kernel");
  sub->add_flag("--no-tune", opt->no_tune, "pick kernels by the cost model instead of timing them at load");
  return {sub, [opt] {
            std::vector<FloatTensor> given;
            if (!opt->input.empty()) given.push_back(read_input_tensor(opt->input));
            SessionOptions so;
            so.threads = opt->threads;
            so.dense = opt->dense;
            so.tune = !opt->no_tune;
            so.batch = opt->batch ? opt->batch : (given.empty() || given[0].dims.empty() ? 0 : given[0].dims[0]);
            const Session session = Session::load(opt->model, so);
            const std::vector<FloatTensor> inputs = complete_inputs(session, std::move(given));
            const std::vector<FloatTensor> outputs = session.run(inputs);
            const FloatTensor& y = outputs.front();
            std::cout << fmt::format("{}: output '{}' [{}]\n", opt->model, y.name, fmt::join(y.dims, ", "));
            const int64_t rows = y.dims.empty() ? 1 : y.dims[0];
            const int64_t per_row = rows ? static_cast<int64_t>(y.data.size()) / rows : 0;
            for (int64_t r = 0; r < rows && per_row > 0; ++r) {
              std::cout << (rows > 1 ? fmt::format("image {}: ", r) : std::string("top-5: "));
              bool first = true;
              for (const auto& [index, value] : top_k(y.data.data() + r * per_row, per_row, 5)) {
                std::cout << fmt::format("{}{} ({:.4f})", first ? "" : ", ", index, value);
                first = false;
              }
              std::cout << '\n';
            }
            if (!opt->output.empty()) {
              write_npy(opt->output, y);
              std::cout << fmt::format("wrote '{}'\n", opt->output);
            }
            return 0;
          }};
}

}  // namespace onexn::cli
