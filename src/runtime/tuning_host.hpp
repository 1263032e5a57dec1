// The machine part of a tuning cache key: a timing holds for one onexn version, one CPU model,
// the SIMD target the kernels dispatch to on it, and one thread count.
#pragma once

#include <string>

namespace onexn::runtime {

// /proc/cpuinfo's first "model name" (x86), else the architecture uname reports (e.g. "aarch64"
// under qemu, where no model name is given).
std::string cpu_model();

// The Highway target onexn's kernels run on here, e.g. "AVX3" or "NEON".
std::string kernel_isa();

// "onexn 0.1.0; AMD EPYC 9R14 96-Core Processor; AVX3; 2 threads".
std::string tuning_host(int threads);

}  // namespace onexn::runtime
