// onexn run MODEL.onnx [--input [NAME=]FILE]... [--shape [NAME=]D,D,...]... [--output Y.npy|DIR/]
//                      [--threads T] [--batch B] [--dense] [--no-tune] [--tuning-cache FILE|off]
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <numeric>
#include <set>

#include "commands.hpp"
#include "model_inputs.hpp"
#include "onexn/error.hpp"
#include "onexn/npy.hpp"
#include "onexn/session.hpp"

namespace onexn::cli {
namespace {

namespace fs = std::filesystem;

// The k largest values of one row, as (index, value), largest first.
std::vector<std::pair<int64_t, float>> top_k(const float* row, int64_t n, int64_t k) {
  std::vector<int64_t> idx(n);
  std::iota(idx.begin(), idx.end(), int64_t{0});
  k = std::min(k, n);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) {
    return row[a] > row[b] || (row[a] == row[b] && a < b);
  });
  std::vector<std::pair<int64_t, float>> out;
  for (int64_t i = 0; i < k; ++i) out.emplace_back(idx[i], row[idx[i]]);
  return out;
}

// Scores per class of each image: float [B, K] or [B, K, 1, 1].
bool is_class_vector(const Tensor& y) {
  if (y.type != ElementType::float32 || y.data.empty()) return false;
  return y.dims.size() == 2 || (y.dims.size() == 4 && y.dims[2] == 1 && y.dims[3] == 1);
}

void print_top5(const Tensor& y) {
  const int64_t rows = y.dims[0];
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
}

// "min A, max B, mean C" over every element (integers printed exactly).
std::string summary(const Tensor& y) {
  if (y.stored() == 0) return "empty";
  if (y.type == ElementType::float32) {
    const auto [lo, hi] = std::minmax_element(y.data.begin(), y.data.end());
    double sum = 0;
    for (float v : y.data) sum += v;
    return fmt::format("min {:.6g}, max {:.6g}, mean {:.6g}", *lo, *hi,
                       sum / static_cast<double>(y.data.size()));
  }
  const auto [lo, hi] = std::minmax_element(y.ints.begin(), y.ints.end());
  double sum = 0;
  for (int64_t v : y.ints) sum += static_cast<double>(v);
  return fmt::format("min {}, max {}, mean {:.6g}", *lo, *hi,
                     sum / static_cast<double>(y.ints.size()));
}

// An output name as a file name: letters, digits, '.', '-' and '_' kept, anything else '_' (and a
// leading '.', so no file is hidden); a name already used gets "_2", "_3", ...
std::string file_name_for(const std::string& name, std::set<std::string>& used) {
  std::string base;
  for (char c : name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    base += keep ? c : '_';
  }
  if (base.empty() || base[0] == '.') base = "_" + base;
  std::string file = base;
  for (int k = 2; !used.insert(file).second; ++k) file = fmt::format("{}_{}", base, k);
  return file + ".npy";
}

}  // namespace

Command add_run_command(CLI::App& app) {
  struct Options {
    std::string model, output, tuning_cache;
    InputArgs inputs;
    int threads = 1;
    int64_t batch = 0;
    bool dense = false, no_tune = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "run",
      "Run an ONNX model and print the top-5 of each class-score output, a summary of the others");
  sub->add_option("model", opt->model, "ONNX model file")->required();
  add_input_options(sub, opt->inputs);
  sub->add_option(
      "--output", opt->output,
      "Y.npy: write the first output there; DIR/ (or an existing directory): write every output "
      "as DIR/NAME.npy");
  sub->add_option("--threads", opt->threads, "threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  sub->add_option("--batch", opt->batch, "batch size (default: the model's, or the inputs')")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  sub->add_flag("--dense", opt->dense, "run every convolution with a dense kernel");
  sub->add_flag("--no-tune", opt->no_tune,
                "pick kernels by the cost model instead of timing them at load");
  sub->add_option("--tuning-cache", opt->tuning_cache, "FILE: keep the kernel choices tuning times there, read them back on later loads; off: time every load (default: $ONEXN_TUNING_CACHE, else ~/.cache/onexn/tuning-cache-v1.json)");
  return {sub, [opt] {
            GivenInputs given = read_given_inputs(opt->inputs);
            SessionOptions so;
            so.threads = opt->threads;
            so.dense = opt->dense;
            so.tune = !opt->no_tune;
            so.tuning_cache = opt->tuning_cache;
            const OnnxModel model = OnnxModel::load(opt->model);
            so.batch = opt->batch ? opt->batch : batch_of_given(model_inputs(model), given);
            const Session session = Session::from_model(model, so);
            const std::vector<Tensor> inputs = complete_inputs(session, std::move(given));
            const std::vector<Tensor> outputs = session.run(inputs);
            for (const Tensor& y : outputs) {
              const std::string head =
                  fmt::format("{}: output '{}' [{}]", opt->model, y.name, fmt::join(y.dims, ", "));
              if (is_class_vector(y)) {
                std::cout << head << '\n';
                print_top5(y);
              } else {
                std::cout << fmt::format("{} {}: {}\n", head, to_string(y.type), summary(y));
              }
            }
            if (opt->output.empty()) return 0;
            const bool to_dir = opt->output.back() == '/' || fs::is_directory(opt->output);
            if (!to_dir) {
              write_npy(opt->output, outputs.front());
              std::cout << fmt::format("wrote '{}'\n", opt->output);
              return 0;
            }
            std::error_code ec;
            fs::create_directories(opt->output, ec);
            if (ec)
              throw Error(fmt::format("--output '{}': cannot create the directory: {}", opt->output,
                                      ec.message()));
            std::set<std::string> used;
            for (const Tensor& y : outputs) {
              const fs::path path = fs::path(opt->output) / file_name_for(y.name, used);
              write_npy(path, y);
              std::cout << fmt::format("wrote '{}'\n", path.string());
            }
            return 0;
          }};
}

}  // namespace onexn::cli
