#include "train_forward.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "cli_main.hpp"

namespace onexn::cli {

std::filesystem::path training_executable() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute("onexn", ec);
  return self.parent_path() / "onexn-train";
}

void add_train_forward_command(CLI::App& app) {
  app.add_subcommand("train",
                     "Train a CNN on Fashion-MNIST with LibTorch: dense, rearrange, 1xN masks, "
                     "fine-tune (runs onexn-train; docs/training.md)")
      ->allow_extras();
}

int forward_train(int argc, char** argv) {
  const std::filesystem::path exe = training_executable();
  if (access(exe.c_str(), X_OK) != 0) {
    return fail(1, "train: training is the separate executable onexn-train, which is not beside this onexn (looked for " +
                       exe.string() + "); install it (Debian package onexn-train) or build with LibTorch (-DONEXN_WITH_TRAINING=ON)");
  }
  std::vector<char*> args;
  std::string name = exe.string();
  args.push_back(name.data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(exe.c_str(), args.data());
  return fail(1, "train: cannot start " + exe.string() + ": " + std::strerror(errno));
}

}  // namespace onexn::cli
