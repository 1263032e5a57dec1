// libFuzzer target for the .npy reader (onexn run --input X.npy): every input is a candidate
// .npy file; onexn::Error is an expected rejection, anything else a bug.
#include <cstddef>
#include <cstdint>

#include "onexn/error.hpp"
#include "onexn/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const onexn::FloatTensor t = onexn::parse_npy({data, size}, "'fuzz.npy'");
    // What was read writes back and reads again to the same tensor.
    const onexn::FloatTensor again = onexn::parse_npy(onexn::serialize_npy(t), "'again.npy'");
    if (again.dims != t.dims || again.type != t.type || again.data.size() != t.data.size() ||
        again.ints != t.ints) {
      __builtin_trap();
    }
  } catch (const onexn::Error&) {
  }
  return 0;
}
