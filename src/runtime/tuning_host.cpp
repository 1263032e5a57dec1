#include "runtime/tuning_host.hpp"

#include <fmt/format.h>
#include <hwy/targets.h>
#include <sys/utsname.h>

#include <fstream>

#include "kernels/spmm_job.hpp"
#include "onexn/version.hpp"

namespace onexn::runtime {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t begin = line.find_first_not_of(" \t", colon + 1);
    const size_t end = line.find_last_not_of(" \t\r");
    if (begin != std::string::npos && end >= begin) return line.substr(begin, end - begin + 1);
  }
  utsname u{};
  return uname(&u) == 0 ? std::string(u.machine) : std::string("unknown CPU");
}

std::string kernel_isa() {
  // The target the tile kernels' dynamic dispatch picks (any shape will do).
  return hwy::TargetName(detail::spmm_tile_info(16, 64, 64.0).target);
}

std::string tuning_host(int threads) {
  static const std::string cpu = cpu_model();
  static const std::string isa = kernel_isa();
  return fmt::format("onexn {}; {}; {}; {} thread{}", ONEXN_VERSION_STRING, cpu, isa, threads,
                     threads == 1 ? "" : "s");
}

}  // namespace onexn::runtime
