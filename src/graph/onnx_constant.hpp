// TensorProto -> graph::Constant: the data of initializers, Constant nodes and tensor files in
// the two types of the IR. Floating-point tensors (float32, float16, bfloat16, float64) become
// f32, converted once here; integer and bool tensors (int8 ... int64, uint8 ... uint64, bool)
// become i64. Models stored with fp16 weights (initializers in float16 read through
// Cast(to=FLOAT)) thus run on float32 weights, the Casts folding away.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

#include "graph/ir.hpp"

namespace onexn::graph {

// Throws Error naming `where` and the tensor for external data, negative dims, data whose size
// does not match the dims, uint64 values above INT64_MAX, and other data types (string,
// complex).
Constant to_constant(const onnx::TensorProto& t, const std::string& where);

// IEEE 754 binary16 and bfloat16 bit patterns as float32 (exact: every value is representable).
float half_to_float(uint16_t bits);
float bfloat16_to_float(uint16_t bits);
// float32 to binary16 / bfloat16, rounded to nearest, ties to even (exact for every value the
// 16-bit type holds, so float16 weights read, permuted or zeroed and written back are unchanged).
uint16_t float_to_half(float f);
uint16_t float_to_bfloat16(float f);

}  // namespace onexn::graph
