#include "kernels/vector_isa.hpp"

#include <hwy/targets.h>

#include <cstdlib>
#include <mutex>

#include "onexn/error.hpp"

#if ONEXN_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace onexn::detail {
namespace {

struct IsaLimit {
  std::string_view name;
  int64_t hwy_disabled;  // Highway targets above the limit
#if ONEXN_HAVE_ONEDNN
  dnnl::cpu_isa dnnl_max;
#endif
};

#if HWY_ARCH_X86
constexpr int64_t kAbove512 = 0;
constexpr int64_t kAboveAvx2 = HWY_AVX3 | HWY_AVX3_DL;
constexpr int64_t kAboveSse4 = kAboveAvx2 | HWY_AVX2;
#endif

const IsaLimit* find_limit(std::string_view name) {
  static const IsaLimit limits[] = {
#if HWY_ARCH_X86
#if ONEXN_HAVE_ONEDNN
      {"avx512", kAbove512, dnnl::cpu_isa::all},
      {"avx2", kAboveAvx2, dnnl::cpu_isa::avx2},
      {"sse4", kAboveSse4, dnnl::cpu_isa::sse41},
#else
      {"avx512", kAbove512},
      {"avx2", kAboveAvx2},
      {"sse4", kAboveSse4},
#endif
#endif
  };
  for (const IsaLimit& l : limits)
    if (l.name == name) return &l;
  return nullptr;
}

}  // namespace

void limit_vector_isa(std::string_view name) {
  if (name == "native") {
    hwy::DisableTargets(0);
    return;
  }
  if (name == "scalar") {
    // Every target but the portable ones; Highway keeps one of those available.
    hwy::DisableTargets(~static_cast<int64_t>(HWY_EMU128 | HWY_SCALAR));
    return;
  }
  const IsaLimit* limit = find_limit(name);
  if (!limit) {
#if HWY_ARCH_X86
    throw InvalidArgument("unknown vector ISA '" + std::string(name) +
                          "' (expected avx512, avx2, sse4, scalar or native)");
#else
    throw InvalidArgument("vector ISA '" + std::string(name) +
                          "' is not one of this CPU architecture (expected scalar or native)");
#endif
  }
  hwy::DisableTargets(limit->hwy_disabled);
#if ONEXN_HAVE_ONEDNN
  try {
    dnnl::set_max_cpu_isa(limit->dnnl_max);
  } catch (const dnnl::error&) {
    throw Error("vector ISA '" + std::string(name) +
                "': oneDNN takes a limit only before its first primitive is created");
  }
#endif
}

void limit_vector_isa_from_env() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* v = std::getenv("ONEXN_MAX_ISA");
    if (!v || !*v) return;
    try {
      limit_vector_isa(v);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(std::string("ONEXN_MAX_ISA: ") + e.what());
    } catch (const Error& e) {
      throw Error(std::string("ONEXN_MAX_ISA: ") + e.what());
    }
  });
}

}  // namespace onexn::detail
