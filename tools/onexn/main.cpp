// onexn: prune, inspect (and later run and train) CNNs with 1xN block sparsity.
//
// Exit codes: 0 success, 1 failure (unreadable or invalid files, I/O errors), 2 usage error
// (unknown options, bad option values such as an unknown pattern or a sparsity outside [0, 1)).
// Every failure prints exactly one line on stderr starting with "onexn: ".
#include <CLI/CLI.hpp>
#include <iostream>
#include <new>

#include "commands.hpp"
#include "onexn/error.hpp"

namespace {

int fail(int code, const std::string& message) {
  std::string line = message;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::cerr << "onexn: " << line << '\n';
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"onexn: 1xN block-sparse pruning and inference for CNNs", "onexn"};
  app.set_version_flag("--version", "onexn 0.1.0");
  app.require_subcommand(0, 1);
  const onexn::cli::Command commands[] = {
      onexn::cli::add_inspect_command(app),
      onexn::cli::add_prune_command(app),
      onexn::cli::add_bench_layers_command(app),
      onexn::cli::add_run_command(app),
      onexn::cli::add_bench_command(app),
      onexn::cli::add_eval_command(app),
      onexn::cli::add_train_command(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    return fail(2, std::string(e.what()) + " (see onexn --help)");
  }
  try {
    for (const auto& command : commands)
      if (command.app->parsed()) return command.run();
    return fail(2, "no command given: expected one of inspect, prune, run, bench, bench-layers, eval, train (see onexn --help)");
  } catch (const onexn::InvalidArgument& e) {
    return fail(2, e.what());
  } catch (const onexn::Error& e) {
    return fail(1, e.what());
  } catch (const std::bad_alloc&) {
    return fail(1, "out of memory");
  } catch (const std::exception& e) {
    return fail(1, std::string("internal error: ") + e.what());
  }
}
