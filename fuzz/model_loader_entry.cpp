#include "model_loader_entry.hpp"

#include "graph/onnx_import.hpp"
#include "onexn/error.hpp"
#include "onexn/onnx_model.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "onexn/session.hpp"

namespace onexn::fuzz {
namespace {

// Element count of a shape, or -1 when it is negative or does not fit in kMaxRunBytes floats.
int64_t bounded_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d == 0) return 0;
  }
  for (int64_t d : shape) {
    if (n > kMaxRunBytes / 4 / d) return -1;
    n *= d;
  }
  return n;
}

// ONEXN_FUZZ_LOADER_ONLY=1 in the environment leaves the Session out at run time: fuzzing the
// loader alone while a runtime bug the fuzzer keeps hitting is open.
bool session_wanted() {
  static const bool wanted = [] {
    const char* v = std::getenv("ONEXN_FUZZ_LOADER_ONLY");
    return !(v && std::string_view(v) == "1");
  }();
  return wanted;
}

// Loads the model into a Session (no kernel timing) and runs it once on zeros when it is small
// enough; returns whether it ran.
bool load_and_run_session(std::span<const uint8_t> bytes) {
  const Session session = Session::from_bytes(bytes, "fuzz", {.tune = false});
  if (session.peak_activation_bytes() > kMaxRunBytes) return false;
  // Big convolutions are slow, not wrong: a run of more than kMaxRunMacs would only time out.
  // Layer reports count per image; the batch is the inputs' first dimension.
  int64_t macs = 0, batch = 1;
  for (const LayerReport& layer : session.layers()) {
    if (layer.macs < 0 || __builtin_add_overflow(macs, layer.macs, &macs)) return false;
  }
  for (const TensorInfo& info : session.inputs()) {
    if (!info.shape.empty()) batch = std::max(batch, info.shape[0]);
  }
  if (__builtin_mul_overflow(macs, batch, &macs) || macs > kMaxRunMacs) return false;
  std::vector<Tensor> inputs;
  for (const TensorInfo& info : session.inputs()) {
    const int64_t n = bounded_numel(info.shape);
    if (n < 0) return false;
    Tensor t{.name = info.name, .dims = info.shape, .data = {}, .type = info.type};
    if (info.type == ElementType::float32) {
      t.data.assign(static_cast<size_t>(n), 0.0f);
    } else {
      t.ints.assign(static_cast<size_t>(n), 0);  // zeros: valid indices and bools
    }
    inputs.push_back(std::move(t));
  }
  session.run(inputs);
  return true;
}

}  // namespace

LoadResult load_model_bytes(std::span<const uint8_t> bytes) {
  LoadResult result;
  try {
    const OnnxModel model = OnnxModel::parse(bytes, "fuzz");
    const graph::Graph graph = graph::import_onnx(model);
    if (session_wanted()) result.ran = load_and_run_session(bytes);
  } catch (const Error& e) {
    result.outcome = LoadOutcome::rejected;
    result.message = e.what();
  }
  return result;
}

}  // namespace onexn::fuzz
