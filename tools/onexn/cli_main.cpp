#include "cli_main.hpp"

#include <iostream>
#include <new>

#include "kernels/vector_isa.hpp"
#include "onexn/error.hpp"

namespace onexn::cli {

int fail(int code, const std::string& message) {
  std::string line = message;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::cerr << "onexn: " << line << '\n';
  return code;
}

Command add_unavailable_command(CLI::App& app, const std::string& name, const std::string& why) {
  CLI::App* sub = app.add_subcommand(name, "(not in this build: " + why + ")");
  sub->allow_extras();
  return {sub, [name, why]() -> int { throw Error(name + ": " + why); }};
}

int run_cli(CLI::App& app, std::span<const Command> commands, int argc, char** argv) {
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    return fail(2, std::string(e.what()) + " (see onexn --help)");
  }
  try {
    onexn::detail::limit_vector_isa_from_env();
    for (const auto& command : commands)
      if (command.app->parsed()) return command.run();
    std::string names;
    for (const auto& sub : app.get_subcommands({}))
      names += (names.empty() ? "" : ", ") + sub->get_name();
    return fail(2, "no command given: expected one of " + names + " (see onexn --help)");
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

}  // namespace onexn::cli
