// ONNX Runtime as a test oracle: runs a model through tools/ort/ort-run.mjs (npm's
// onnxruntime-node, installed by scripts/install-ort.sh) and reads every output back.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "onexn/tensor_file.hpp"

namespace onexn::test {

struct OrtInput {
  std::string name;             // the model input
  std::filesystem::path file;   // a .npy file
};

// Runs `model` once in ONNX Runtime on `threads` intra-op threads with the given inputs and
// returns every graph output in the model's order (float32 outputs; name, dims, data). The
// outputs' .npy files and outputs.json stay in `out_dir`. Throws std::runtime_error with the
// runner's command line and stderr when node, onnxruntime-node or the model fails: a test that
// cannot run ONNX Runtime fails, it does not skip.
std::vector<FloatTensor> run_onnxruntime(const std::filesystem::path& model, const std::vector<OrtInput>& inputs,
                                         const std::filesystem::path& out_dir, int threads = 1);

// Each output of `ours` against the output of `reference` at the same position (names and dims
// must agree): max |ours - ref| / max |ref| per output. Returns one error per output, in order;
// records a test failure for a count, name or dims mismatch or an error above `tolerance`, naming
// `what` and the output.
std::vector<double> expect_outputs_match(const std::vector<FloatTensor>& ours,
                                         const std::vector<FloatTensor>& reference, double tolerance,
                                         const std::string& what);

}  // namespace onexn::test
