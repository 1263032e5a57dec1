// onexn: prune, inspect, run and benchmark CNNs with 1xN block sparsity. This executable links no
// LibTorch; `onexn train` runs the onexn-train executable beside it (train_forward.hpp).
//
// Exit codes: 0 success, 1 failure (unreadable or invalid files, I/O errors), 2 usage error
// (unknown options, bad option values such as an unknown pattern or a sparsity outside [0, 1)).
// Every failure prints exactly one line on stderr starting with "onexn: ".
#include <cstring>

#include "cli_main.hpp"
#include "commands.hpp"
#include "onexn/version.hpp"
#include "train_forward.hpp"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "train") == 0) return onexn::cli::forward_train(argc, argv);
  CLI::App app{"onexn: 1xN block-sparse pruning and inference for CNNs", "onexn"};
  app.set_version_flag("--version", "onexn " ONEXN_VERSION_STRING);
  const onexn::cli::Command commands[] = {
      onexn::cli::add_inspect_command(app),
      onexn::cli::add_prune_command(app),
#if ONEXN_HAVE_ONEDNN
      onexn::cli::add_bench_layers_command(app),
#else
      onexn::cli::add_unavailable_command(app, "bench-layers",
                                          "bench-layers times layers against oneDNN, and this onexn was built without oneDNN"),
#endif
      onexn::cli::add_run_command(app),
      onexn::cli::add_bench_command(app),
      onexn::cli::add_eval_command(app),
  };
  onexn::cli::add_train_forward_command(app);
  return onexn::cli::run_cli(app, commands, argc, argv);
}
