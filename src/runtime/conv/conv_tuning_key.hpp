// What the tuning cache knows a conv layer by: everything that decides which candidates the layer
// has and how fast each of them runs, and nothing that names the model. Two layers with equal keys
// (in one model or in two) reuse one timing.
#pragma once

#include <string>
#include <vector>

#include "runtime/conv/conv_implementations.hpp"

namespace onexn::runtime {

// E.g. "conv mb1ic32ih112iw112oc16kh1kw1sh1sw1pt0pl0pb0pr0dh1dw1g1 f32 bias relu6 residual
// p0.70 1x16 | sparse/16/0 sparse/16/1 onednn/0/0 onednn-nchw/0/0 ours-dense/16/0 ours-dense/16/1":
// the geometry (every Conv / ConvTranspose attribute, input size and batch), element type, the
// epilogue (bias, activation, a fused residual), the share of zero weights rounded to 0.01, the
// pruning pattern (1xN when the zeros follow 1xN blocks exactly, else "unstructured" or
// "dense"), and the candidates in order, each as conv_candidate_id.
std::string conv_tuning_key(const ConvLayer& layer, const std::vector<ConvCandidate>& candidates);

// "implementation/N/variant": a candidate among those of one layer.
std::string conv_candidate_id(const ConvCandidate& candidate);

}  // namespace onexn::runtime
