// What a Conv or ConvTranspose node asks for, read from its attributes and input shapes: geometry
// (auto_pad, output_shape and 1-D convs resolved), the fused epilogue, and the layer's kind.
#pragma once

#include <string>
#include <vector>

#include "graph/ir.hpp"
#include "kernels/conv_params.hpp"

namespace onexn::runtime {

// The geometry of a Conv node whose input shapes are known. A 1-D conv (3-D input, 3-D weights)
// is a 2-D conv of height 1. Fails naming the node for attributes or shapes that do not fit.
ConvParams conv_params_of(const graph::Graph& g, const graph::Node& node);
// The same for a ConvTranspose node (weights [c_in][c_out/group][kH][kW]).
ConvTransposeParams conv_transpose_params_of(const graph::Graph& g, const graph::Node& node);

// The output shape of either node, in the rank of its input.
graph::Shape conv_output_shape(const graph::Graph& g, const graph::Node& node);

// Bias and the activation the passes fused into the node (attribute onexn_activation).
Epilogue epilogue_of(const graph::Node& node, const std::vector<float>& bias);

// "depthwise", "first" (reads a graph input), "transposed", "pointwise" or "KxK", in that order.
std::string conv_kind(const graph::Graph& g, const graph::Node& node, const WeightShape& ws);

}  // namespace onexn::runtime
