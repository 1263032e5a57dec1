// onexn-train: LibTorch training, the executable behind `onexn train` (which runs it with the same
// arguments, `train` first). Exit codes and error lines as onexn's (cli_main.hpp).
#include "cli_main.hpp"
#include "commands.hpp"
#include "onexn/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"onexn-train: LibTorch training of 1xN-pruned CNNs (reached as onexn train)", "onexn"};
  app.set_version_flag("--version", "onexn " ONEXN_VERSION_STRING);
  const onexn::cli::Command commands[] = {onexn::cli::add_train_command(app)};
  return onexn::cli::run_cli(app, commands, argc, argv);
}
