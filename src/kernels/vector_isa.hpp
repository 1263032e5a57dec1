// The most capable vector ISA the kernels may use: a maximum below what the CPU has, so that the
// code paths of a lower ISA (AVX2 on an AVX-512 machine) can be run and measured. Applies to our
// Highway kernels (hwy::DisableTargets) and to oneDNN (dnnl::set_max_cpu_isa) when built with it.
#pragma once

#include <string_view>

namespace onexn::detail {

// Names accepted: "avx512", "avx2", "sse4" on x86; "scalar" (Highway's portable code, oneDNN
// unchanged) everywhere; "native" for no limit. Throws InvalidArgument for any other name and for
// an x86 name on another architecture. A name above what the CPU has changes nothing.
void limit_vector_isa(std::string_view name);

// limit_vector_isa($ONEXN_MAX_ISA) the first time it is called when the variable is set and not
// empty; later calls do nothing (oneDNN takes the limit only before its first primitive). The
// error, if any, names the variable.
void limit_vector_isa_from_env();

}  // namespace onexn::detail
