// Graph rewrites after shape inference and constant folding. Each keeps the graph's function.
//
// Fused Conv nodes carry what was folded into them in attributes the runtime's Conv reads:
//   input 3 (optional)         a residual, added after the bias and before the activation
//   "onexn_activation" string  "relu", "relu6", "hardswish" or "clip" (then "onexn_clip" floats
//                              {min, max})
#pragma once

#include "graph/ir.hpp"

namespace onexn::graph {

// Identity and Dropout (inference) nodes removed, their readers wired to their input.
void remove_noops(Graph& g);
// Conv -> BatchNormalization with constant parameters: the normalization folded into the conv's
// weights and bias. Returns how many were folded.
int fold_batchnorm(Graph& g);
// Conv -> Add(other): the add fused into the conv as a residual input, when `other` is computed
// before the conv. Returns how many were fused.
int fuse_residual_add(Graph& g);
// Mul(x, HardSigmoid(x, alpha = 1/6, beta = 1/2)), the form torch.onnx gives nn.Hardswish
// before opset 14: one HardSwish node. Returns how many were formed.
int form_hardswish(Graph& g);
// Conv / ConvTranspose -> Relu / Clip (constant bounds) / HardSwish: the activation fused into
// the conv's epilogue.
int fuse_activation(Graph& g);

// All of the above, in that order, then dead nodes dropped.
void run_passes(Graph& g);

}  // namespace onexn::graph
