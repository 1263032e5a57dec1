#include "support/test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

namespace onexn::test {

std::vector<float> random_values(int64_t count, uint32_t seed, double zero_share) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::vector<float> v(count);
  for (float& x : v) {
    x = value(rng);
    if (zero_share > 0.0 && coin(rng) < zero_share) x = 0.0f;
  }
  return v;
}

double max_relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double scale = 1e-30, diff = 0.0;
  for (float x : b) scale = std::max(scale, double(std::abs(x)));
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    // A NaN on one side only (an output never written, when the caller filled it with NaN) is
    // an infinite error; std::max would skip it.
    if (std::isnan(a[i]) != std::isnan(b[i])) return INFINITY;
    diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
  }
  if (a.size() != b.size()) return INFINITY;
  return diff / scale;
}

std::filesystem::path models_dir() { return ONEXN_TEST_MODELS_DIR; }
std::filesystem::path onnx_testdata_dir() { return ONEXN_ONNX_TESTDATA_DIR; }
std::filesystem::path cli_path() { return ONEXN_CLI_PATH; }
std::filesystem::path source_dir() { return ONEXN_SOURCE_DIR; }

std::filesystem::path scratch_dir(const std::string& name) {
  // The process id keeps tests that ctest runs in parallel (one process each) apart.
  const auto dir = std::filesystem::temp_directory_path() /
                   ("onexn-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

CommandResult run_command(const std::string& command_line) {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const auto out_path = dir / ("onexn-cmd-" + tag + ".out");
  const auto err_path = dir / ("onexn-cmd-" + tag + ".err");
  const std::string full =
      command_line + " >'" + out_path.string() + "' 2>'" + err_path.string() + "'";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return r;
}

CommandResult run_cli(const std::string& args) { return run_cli_env("", args); }

CommandResult run_cli_env(const std::string& env, const std::string& args) {
  return run_command((env.empty() ? "" : "env " + env + " ") + "'" + cli_path().string() + "' " + args);
}

}  // namespace onexn::test
