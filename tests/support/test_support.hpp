// Shared helpers for onexn's tests: deterministic random data, paths to test data, running the CLI.
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "onexn/weight_shape.hpp"

namespace onexn::test {

// Uniform values in [-1, 1) from a fixed seed; with `zero_share` > 0 that share of entries is 0.
std::vector<float> random_values(int64_t count, uint32_t seed, double zero_share = 0.0);

// Maximum of |a - b| / max(max |b|, tiny): the relative error used across the tests.
double max_relative_error(const std::vector<float>& a, const std::vector<float>& b);

std::filesystem::path models_dir();         // models exported by scripts/export-torchvision.py
std::filesystem::path onnx_testdata_dir();  // /usr/share/libonnx-testdata/data
std::filesystem::path cli_path();           // the onexn binary
std::filesystem::path source_dir();

// A fresh empty directory for one test process, removed by the caller or left for inspection.
std::filesystem::path scratch_dir(const std::string& name);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs a shell command line, capturing stdout and stderr.
CommandResult run_command(const std::string& command_line);
// Runs the onexn CLI with the given arguments (already shell-quoted where needed).
CommandResult run_cli(const std::string& args);
// The same with environment assignments (`NAME=VALUE ...`, already shell-quoted) for that run.
CommandResult run_cli_env(const std::string& env, const std::string& args);

}  // namespace onexn::test
