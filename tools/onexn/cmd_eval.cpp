// onexn eval MODEL.onnx [--threads T] [--batch B] [--limit K] [--dense] [--json]: the Fashion-MNIST
// test set through the runtime; top-1 accuracy, overall and per class, and throughput.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "onexn/error.hpp"
#include "onexn/fashion_mnist.hpp"
#include "onexn/session.hpp"

namespace onexn::cli {
namespace {

// The model must map [N, 1, rows, cols] images to [N, 10] scores (trailing 1s allowed, as in
// [N, 10, 1, 1]). Throws Error naming the model and both shapes otherwise.
void check_model_shapes(const Session& s, const std::string& model, const ImageSet& images) {
  const std::string expected_in = fmt::format("[N, 1, {}, {}]", images.rows, images.cols);
  if (s.inputs().size() != 1) {
    throw Error(fmt::format("{}: has {} inputs; onexn eval needs one input of shape {} (Fashion-MNIST images)",
                            model, s.inputs().size(), expected_in));
  }
  const TensorInfo& in = s.inputs().front();
  if (in.shape.size() != 4 || in.shape[1] != 1 || in.shape[2] != images.rows || in.shape[3] != images.cols) {
    throw Error(fmt::format("{}: input '{}' is [{}]; onexn eval needs {} (Fashion-MNIST images)", model, in.name,
                            fmt::join(in.shape, ", "), expected_in));
  }
  const TensorInfo& out = s.outputs().front();
  int64_t per_image = 1;
  for (size_t k = 1; k < out.shape.size(); ++k) per_image *= out.shape[k];
  if (out.shape.size() < 2 || out.shape[0] != in.shape[0] || per_image != kFashionClasses) {
    throw Error(fmt::format("{}: output '{}' is [{}] for input [{}]; onexn eval needs [N, {}] (one score per "
                            "Fashion-MNIST class)",
                            model, out.name, fmt::join(out.shape, ", "), fmt::join(in.shape, ", "),
                            kFashionClasses));
  }
}

// Index of the largest of `n` scores; the first one on ties.
int argmax(const float* scores, int n) { return static_cast<int>(std::max_element(scores, scores + n) - scores); }

struct EvalCounts {
  std::array<int64_t, kFashionClasses> images{}, correct{};
  int64_t total_correct = 0;
  double ms = 0;  // running the batches, normalization included, loading excluded
};

// Runs every image through `session` in batches of the session's batch size; the last batch is
// padded with zeros whose scores are ignored.
EvalCounts evaluate(const Session& session, const ImageSet& images) {
  const TensorInfo& info = session.inputs().front();
  const int64_t batch = info.shape[0];
  const int64_t pixels = images.rows * images.cols;
  FloatTensor x{.name = info.name, .dims = info.shape, .data = {}};
  EvalCounts counts;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < images.count; first += batch) {
    const int64_t n = std::min(batch, images.count - first);
    x.data.assign(static_cast<size_t>(batch * pixels), 0.0f);
    for (int64_t i = 0; i < n; ++i) normalize_image(images, first + i, x.data.data() + i * pixels);
    const std::vector<FloatTensor> y = session.run({x});
    for (int64_t i = 0; i < n; ++i) {
      const int label = images.labels[first + i];
      const int predicted = argmax(y.front().data.data() + i * kFashionClasses, kFashionClasses);
      ++counts.images[label];
      if (predicted == label) {
        ++counts.correct[label];
        ++counts.total_correct;
      }
    }
  }
  counts.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return counts;
}

double share(int64_t part, int64_t whole) { return whole ? double(part) / double(whole) : 0.0; }

}  // namespace

Command add_eval_command(CLI::App& app) {
  struct Options {
    std::string model, tuning_cache;
    int threads = 1;
    int64_t batch = 100, limit = 0;
    bool dense = false, no_tune = false, json = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "eval", "Top-1 accuracy of a [N,1,28,28] -> [N,10] model on the Fashion-MNIST test set, per class too");
  sub->add_option("model", opt->model, "ONNX model file")->required();
  sub->add_option("--threads", opt->threads, "threads")->capture_default_str()->check(CLI::Range(1, 1024));
  sub->add_option("--batch", opt->batch, "images per run")->capture_default_str()->check(CLI::Range(1, 100000));
  sub->add_option("--limit", opt->limit, "use only the first K test images (default: all 10,000)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  sub->add_flag("--dense", opt->dense, "run every convolution with a dense kernel");
  sub->add_flag("--no-tune", opt->no_tune, "pick kernels by the cost model instead of timing them at load");
  sub->add_option("--tuning-cache", opt->tuning_cache, "FILE: keep the kernel choices tuning times there, read them back on later loads; off: time every load (default: $ONEXN_TUNING_CACHE, else ~/.cache/onexn/tuning-cache-v1.json)");
  sub->add_flag("--json", opt->json, "print one JSON object instead of the table");
  return {sub, [opt] {
            const ImageSet images = load_fashion_mnist(DataSplit::test, opt->limit);
            if (images.count == 0) throw Error(fmt::format("{}: no test images", fashion_mnist_dir().string()));
            SessionOptions so;
            so.threads = opt->threads;
            so.batch = std::min(opt->batch, images.count);
            so.dense = opt->dense;
            so.tune = !opt->no_tune;
            so.tuning_cache = opt->tuning_cache;
            const Session session = Session::load(opt->model, so);
            check_model_shapes(session, opt->model, images);
            const EvalCounts c = evaluate(session, images);
            const double accuracy = share(c.total_correct, images.count);
            if (opt->json) {
              nlohmann::ordered_json j;
              j["model"] = opt->model;
              j["images"] = images.count;
              j["correct"] = c.total_correct;
              j["accuracy"] = accuracy;
              j["per_class"] = nlohmann::ordered_json::array();
              for (int k = 0; k < kFashionClasses; ++k) {
                nlohmann::ordered_json row;
                row["class"] = k;
                row["name"] = kFashionClassNames[k];
                row["count"] = c.images[k];
                row["correct"] = c.correct[k];
                row["accuracy"] = c.images[k] ? nlohmann::ordered_json(share(c.correct[k], c.images[k])) : nullptr;
                j["per_class"].push_back(row);
              }
              j["threads"] = opt->threads;
              j["batch"] = so.batch;
              j["ms"] = c.ms;
              std::cout << j.dump() << '\n';
              return 0;
            }
            std::cout << fmt::format("{}: {} Fashion-MNIST test images, batch {}, {} thread{}\n", opt->model,
                                     images.count, so.batch, opt->threads, opt->threads == 1 ? "" : "s");
            std::cout << fmt::format("accuracy: {:.4f}\n", accuracy);
            std::cout << fmt::format("{:<3}  {:<12}  {:>6}  {:>8}\n", "", "class", "count", "accuracy");
            for (int k = 0; k < kFashionClasses; ++k) {
              std::cout << fmt::format("{:<3}  {:<12}  {:>6}  {:>8}\n", k, kFashionClassNames[k], c.images[k],
                                       c.images[k] ? fmt::format("{:.4f}", share(c.correct[k], c.images[k])) : "-");
            }
            std::cout << fmt::format("{:.1f} images/s ({:.1f} ms)\n", c.ms > 0 ? images.count / (c.ms / 1000) : 0.0,
                                     c.ms);
            return 0;
          }};
}

}  // namespace onexn::cli
