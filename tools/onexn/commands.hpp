// The subcommands of the onexn CLI. Each registers its subcommand and options on the app and
// returns it with the function that runs it once the command line is parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace onexn::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;  // returns the exit code; throws onexn::Error on failure
};

Command add_inspect_command(CLI::App& app);
Command add_prune_command(CLI::App& app);
Command add_bench_layers_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_train_command(CLI::App& app);

}  // namespace onexn::cli
