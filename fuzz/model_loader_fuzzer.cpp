// libFuzzer target: every input is a candidate ONNX model file. Rejections (onexn::Error) are
// expected; any other exception escapes and aborts, which libFuzzer reports as a crash, as it
// does sanitizer reports, allocations over -malloc_limit_mb and inputs slower than -timeout.
// Build and run: scripts/fuzz.sh (see fuzz/README.md).
#include <cstddef>
#include <cstdint>

#include "model_loader_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onexn::fuzz::load_model_bytes({data, size});
  return 0;
}
