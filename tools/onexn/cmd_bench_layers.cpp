// onexn bench-layers --shapes FILE [--pattern 1x16[,1x8...]] [--sparsity 0.5,0.7,0.8,0.9]
//                    [--threads 1,2] [--runs 15] [--no-xnnpack] [--json]
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/layer_bench.hpp"
#include "commands.hpp"
#include "onexn/error.hpp"
#include "onexn/pattern.hpp"

namespace onexn::cli {
namespace {

void print_row(const bench::LayerBenchRow& r) {
  std::cout << fmt::format(
      "{:<28} 1x{:<2} {:>4.2f} {:>2}  {:>8.3f} {:>8.3f} {:>8.3f} {:>8}  {:>5.2f}x {:>5.2f}x {:>5.2f}  "
      "{:>5.2f}x  {:>5.0f} {:>5.0f}\n",
      r.shape.substr(0, 28), r.n, r.sparsity, r.threads, r.dense_ms, r.sparse_ms, r.csr_ms,
      r.xnnpack_ms ? fmt::format("{:.3f}", *r.xnnpack_ms) : "-", r.speedup_vs_dense(), r.ideal(),
      r.fraction_of_ideal(), r.speedup_vs_csr(), r.dense_gflops, r.sparse_actual_gflops);
}

nlohmann::ordered_json row_json(const bench::LayerBenchRow& r) {
  nlohmann::ordered_json j;
  j["shape"] = r.shape;
  j["desc"] = r.text;
  j["n"] = r.n;
  j["sparsity"] = r.sparsity;
  j["threads"] = r.threads;
  j["dense_ms"] = r.dense_ms;
  j["sparse_ms"] = r.sparse_ms;
  j["csr_ms"] = r.csr_ms;
  j["xnnpack_ms"] = r.xnnpack_ms ? nlohmann::ordered_json(*r.xnnpack_ms) : nlohmann::ordered_json();
  j["speedup_vs_dense"] = r.speedup_vs_dense();
  j["ideal_speedup"] = r.ideal();
  j["fraction_of_ideal"] = r.fraction_of_ideal();
  j["speedup_vs_csr"] = r.speedup_vs_csr();
  j["dense_gflops"] = r.dense_gflops;
  j["sparse_effective_gflops"] = r.sparse_effective_gflops;
  j["sparse_actual_gflops"] = r.sparse_actual_gflops;
  j["dense_impl"] = r.dense_impl;
  j["sparse_kernel"] = r.sparse_kernel;
  j["csr_kernel"] = r.csr_kernel;
  j["max_error"] = r.max_error;
  return j;
}

// Geometric means per (N, p, threads) over the shapes.
struct Summary {
  int count = 0;
  double log_speedup = 0, log_fraction = 0, log_vs_csr = 0, log_vs_xnnpack = 0;
  int xnnpack_count = 0;
  void add(const bench::LayerBenchRow& r) {
    ++count;
    log_speedup += std::log(r.speedup_vs_dense());
    log_fraction += std::log(r.fraction_of_ideal());
    log_vs_csr += std::log(r.speedup_vs_csr());
    if (r.xnnpack_ms) {
      ++xnnpack_count;
      log_vs_xnnpack += std::log(*r.xnnpack_ms / r.sparse_ms);
    }
  }
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

Command add_bench_layers_command(CLI::App& app) {
  struct Options {
    std::string shapes, patterns = "1x16", sparsities = "0.5,0.7,0.8,0.9", threads = "1";
    int runs = 15;
    bool json = false, no_xnnpack = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "bench-layers", "Time 1xN sparse convolutions against oneDNN dense, our CSR and XNNPACK");
  sub->add_option("--shapes", opt->shapes, "shape file (benchdnn conv syntax, e.g. bench/shapes/resnet50.txt)")
      ->required();
  sub->add_option("--pattern", opt->patterns, "1xN patterns, comma-separated")->capture_default_str();
  sub->add_option("--sparsity", opt->sparsities, "sparsities, comma-separated")->capture_default_str();
  sub->add_option("--threads", opt->threads, "thread counts, comma-separated")->capture_default_str();
  sub->add_option("--runs", opt->runs, "timed runs per implementation (median reported)")
      ->capture_default_str()
      ->check(CLI::Range(10, 100000));
  sub->add_flag("--no-xnnpack", opt->no_xnnpack, "skip the XNNPACK baseline");
  sub->add_flag("--json", opt->json, "one JSON object per row per line, then one per summary");
  return {sub, [opt] {
            bench::LayerBenchOptions o;
            o.runs = opt->runs;
            o.xnnpack = !opt->no_xnnpack;
            o.block_sizes.clear();
            o.sparsities.clear();
            o.threads.clear();
            for (const auto& text : split_list(opt->patterns)) {
              const Pattern pattern = Pattern::parse(text);
              if (pattern.kind != PatternKind::one_by_n) {
                throw InvalidArgument("bench-layers --pattern takes 1xN patterns, got '" + text + "'");
              }
              o.block_sizes.push_back(pattern.n);
            }
            for (const auto& text : split_list(opt->sparsities)) {
              double p = 0;
              try {
                size_t used = 0;
                p = std::stod(text, &used);
                if (used != text.size()) throw std::invalid_argument(text);
              } catch (const std::exception&) {
                throw InvalidArgument("--sparsity: '" + text + "' is not a number");
              }
              Pattern::one_by_n(4).check_sparsity(p);
              o.sparsities.push_back(p);
            }
            for (const auto& text : split_list(opt->threads)) {
              int t = 0;
              try {
                size_t used = 0;
                t = std::stoi(text, &used);
                if (used != text.size()) throw std::invalid_argument(text);
              } catch (const std::exception&) {
                throw InvalidArgument("--threads: '" + text + "' is not a number");
              }
              if (t < 1 || t > 1024) throw InvalidArgument("--threads: " + text + " is outside 1..1024");
              o.threads.push_back(t);
            }
            const auto shapes = read_conv_shapes(opt->shapes);
            if (!opt->json) {
              std::cout << fmt::format("{}: {} shapes; hardware threads: {}\n", opt->shapes, shapes.size(),
                                       std::thread::hardware_concurrency());
              std::cout << fmt::format("{:<28} {:<4} {:>4} {:>2}  {:>8} {:>8} {:>8} {:>8}  {:>6} {:>6} {:>5}  {:>6}  {:>5} {:>5}\n",
                                       "shape", "N", "p", "T", "dense", "1xN", "csr", "xnnpack", "speed",
                                       "ideal", "frac", "vs_csr", "GF/s", "GF/s");
              std::cout << fmt::format("{:<28} {:<4} {:>4} {:>2}  {:>8} {:>8} {:>8} {:>8}  {:>6} {:>6} {:>5}  {:>6}  {:>5} {:>5}\n",
                                       "", "", "", "", "ms", "ms", "ms", "ms", "up", "", "", "", "dense", "1xN");
            }
            std::map<std::tuple<int, double, int>, Summary> summaries;
            bool wrong = false;
            for (const ConvShape& shape : shapes) {
              for (const auto& r : bench::bench_layer(shape, o)) {
                summaries[{r.n, r.sparsity, r.threads}].add(r);
                wrong |= r.max_error > 1e-3 || r.csr_kernel.find("WRONG") != std::string::npos;
                if (opt->json) {
                  std::cout << row_json(r).dump() << '\n';
                } else {
                  print_row(r);
                }
                std::cout.flush();
              }
            }
            if (!opt->json) std::cout << "\ngeometric means over the shapes:\n";
            for (const auto& [key, s] : summaries) {
              const auto& [n, p, threads] = key;
              const double speedup = std::exp(s.log_speedup / s.count);
              const double fraction = std::exp(s.log_fraction / s.count);
              const double vs_csr = std::exp(s.log_vs_csr / s.count);
              if (opt->json) {
                nlohmann::ordered_json j;
                j["summary"] = opt->shapes;
                j["n"] = n;
                j["sparsity"] = p;
                j["threads"] = threads;
                j["shapes"] = s.count;
                j["geomean_speedup_vs_dense"] = speedup;
                j["geomean_fraction_of_ideal"] = fraction;
                j["geomean_speedup_vs_csr"] = vs_csr;
                if (s.xnnpack_count) {
                  j["geomean_speedup_vs_xnnpack"] = std::exp(s.log_vs_xnnpack / s.xnnpack_count);
                }
                std::cout << j.dump() << '\n';
              } else {
                std::cout << fmt::format(
                    "summary 1x{} p={} threads={}: speedup vs oneDNN {:.2f}x (ideal {:.2f}x, {:.2f} of "
                    "ideal), vs CSR {:.2f}x{}  [{} shapes]\n",
                    n, p, threads, speedup, 1.0 / (1.0 - p), fraction, vs_csr,
                    s.xnnpack_count ? fmt::format(", vs XNNPACK {:.2f}x ({} shapes)",
                                                  std::exp(s.log_vs_xnnpack / s.xnnpack_count), s.xnnpack_count)
                                    : "",
                    s.count);
              }
            }
            if (wrong) throw Error("a sparse output differed from oneDNN's by more than 1e-3 (see max_error)");
            return 0;
          }};
}

}  // namespace onexn::cli
