// How an op moves the channels of its inputs to its outputs: what the channel flow analysis
// (channel_flow.hpp) needs to know about an op to decide which channel sets it ties, produces,
// passes on or fixes. The channel axis is axis 1 (NCHW, and [N, C * inner] after Flatten).
//
// Each op says its role where it is registered (runtime::OpDef::channel_role, set by the add_op
// call of its family); an op that says nothing is a barrier, which is always safe: a barrier
// only keeps the sets it touches from being permuted. A role other than barrier is a promise
// that permuting the channels of the inputs (and the per-channel constants listed below) by one
// permutation permutes the outputs' channels by the same one.
#pragma once

#include <cstdint>

namespace onexn::graph {

enum class ChannelRole : uint8_t {
  barrier,  // the sets read and written are fixed (Shape, Gather, Split, Slice, Softmax, ...)
  // Conv: with one group, produces a new set at its output (filters on axis 0 of its weights,
  // and its bias) and consumes its input's set (axis 1 of its weights); depthwise (channel
  // i -> i) passes the set on, its filters and bias permuted with it; other groupings: barrier.
  conv,
  // ConvTranspose: the same as conv, with the axes of its [C_in][C_out/g][kH][kW] weights:
  // filters on axis 1, input channels on axis 0; depthwise (C_out = C_in = group) passes on.
  conv_transpose,
  // Gemm / MatMul on a 2-D input and a stored weight matrix: produces a set at its output
  // columns, consumes its input's columns.
  fc,
  // BatchNormalization, InstanceNormalization: every input after the first is a stored
  // per-channel vector permuted with the set, which passes on.
  normalization,
  // LayerNormalization: normalizing over axes >= 2 passes the set on untouched; over axes >= 1
  // (`axis` = 1) it passes the set on with its scale and bias permuted along their axis 0.
  layer_normalization,
  // Elementwise on one input (Relu, Sigmoid, Sqrt, ...): every output carries the input's set.
  unary,
  // Broadcasting elementwise on several inputs (Add, Mul, Max, Where, ...): inputs that vary
  // along the channel axis are tied into one set; constants that vary along it are permuted.
  elementwise,
  // Pooling, resizing, broadcasting over the spatial axes (Expand, Tile): passes the set on
  // when the output has the input's rank, batch and channel count, else a barrier.
  spatial,
  // Reshape / Flatten / Squeeze / Unsqueeze: passes the set on when the channel axis is kept,
  // or spreads it over columns when flattening [N, C, ...] to [N, C * inner].
  reshape,
  pad,        // Pad: passes the set on when only spatial axes are padded
  concat,     // Concat: along channels, joins the inputs' sets side by side; else ties them
  reduce,     // Reduce* (`axes`), ArgMax / ArgMin (`axis`): passes on when only axes >= 2 go
  transpose,  // Transpose: passes on when perm keeps axes 0 and 1 in place
};

}  // namespace onexn::graph
