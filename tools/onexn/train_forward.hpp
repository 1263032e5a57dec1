// `onexn train`: the lean onexn links no LibTorch; training is the onexn-train executable beside
// it (same folder), which this runs with the same arguments.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>

namespace onexn::cli {

// The training executable onexn runs: onexn-train in the folder of the running onexn.
std::filesystem::path training_executable();

// Lists `train` in onexn --help; the command line itself never reaches it (see forward_train).
void add_train_forward_command(CLI::App& app);

// Replaces this process with `onexn-train train ARGS...` for argv = {onexn, train, ARGS...}.
// Returns only on failure, with the exit code after printing one line: 1 when onexn-train is not
// there or cannot be started.
int forward_train(int argc, char** argv);

}  // namespace onexn::cli
