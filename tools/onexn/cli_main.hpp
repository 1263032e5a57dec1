// What every onexn executable's main does: parse, run the chosen command, and turn every failure
// into one line on stderr ("onexn: ...") and an exit code: 0 success, 1 failure (unreadable or
// invalid files, I/O errors), 2 usage error (unknown options, bad option values).
#pragma once

#include <CLI/CLI.hpp>
#include <span>
#include <string>

#include "commands.hpp"

namespace onexn::cli {

// Prints "onexn: MESSAGE" (newlines folded) on stderr and returns code.
int fail(int code, const std::string& message);

// A command this build leaves out (e.g. bench-layers without oneDNN): listed, and failing with
// "NAME: WHY" (exit 1) whatever its arguments.
Command add_unavailable_command(CLI::App& app, const std::string& name, const std::string& why);

// Parses argv into app and runs the command whose subcommand was given.
int run_cli(CLI::App& app, std::span<const Command> commands, int argc, char** argv);

}  // namespace onexn::cli
