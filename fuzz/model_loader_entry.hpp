// What a user's model file reaches when onexn loads and runs it, as one call: the entry point the
// libFuzzer target (model_loader_fuzzer.cpp) and the corpus regression test (corpus_regression.cpp)
// share.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace onexn::fuzz {

enum class LoadOutcome { accepted, rejected };

struct LoadResult {
  LoadOutcome outcome = LoadOutcome::accepted;
  std::string message;  // the onexn::Error's message when rejected
  bool ran = false;     // a Session was built and run once
};

// Parses `bytes` as an ONNX model, imports it into the graph IR and (when the Session part is
// built in, see the .cpp) loads it into a Session and runs it once on zero-filled inputs, unless
// an input or the activation memory would be larger than kMaxRunBytes or the convolutions would
// take more than kMaxRunMacs multiply-adds. An onexn::Error (or a subclass) from any step is an
// expected rejection and is returned as such; anything else — another exception type, a crash,
// a sanitizer report — is a bug and leaves this function as is.
LoadResult load_model_bytes(std::span<const uint8_t> bytes);

inline constexpr int64_t kMaxRunBytes = int64_t(64) << 20;
inline constexpr int64_t kMaxRunMacs = int64_t(1) << 28;  // per run, all convolutions

}  // namespace onexn::fuzz
