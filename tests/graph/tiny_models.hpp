// Small ONNX models built in code, for cases the torchvision exports do not have: weights behind
// Identity or Constant nodes, Gemm with transB = 0, MatMul, float_data storage, shared weights.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace onexn::test {

onnx::TensorProto float_tensor(const std::string& name, const std::vector<int64_t>& dims,
                               const std::vector<float>& values, bool raw = true);

// A graph input "x" of shape [1, c, h, w] (or [1, c] when h == 0) and opset 13.
onnx::ModelProto empty_model(int64_t c, int64_t h, int64_t w);

onnx::NodeProto& add_node(onnx::ModelProto& m, const std::string& op, const std::string& name,
                          const std::vector<std::string>& inputs, const std::vector<std::string>& outputs);
void set_int(onnx::NodeProto& n, const std::string& attr, int64_t value);
void set_ints(onnx::NodeProto& n, const std::string& attr, const std::vector<int64_t>& values);
void add_output(onnx::ModelProto& m, const std::string& name);

// x -> Conv(w0 via Identity, 8->16, 3x3) -> Relu -> Conv(w1 from a Constant node, 16->12, 1x1)
//   -> GlobalAveragePool -> Flatten -> Gemm(transB=0, float_data) -> MatMul(constant B) -> y
onnx::ModelProto mixed_weights_model();

// x [1, 4, 5, 5] -> Conv "stem" (4 -> 8, 3x3) -> Relu
//   -> ConvTranspose "up" (stored [8][6][2][2], stride 2, bias) -> Relu      [1, 6, 10, 10]
//   -> ConvTranspose "up_g" (group 2, stored [6][5][3][3], pads 1, bias)    [1, 10, 10, 10]
//   -> ConvTranspose "dw_up" (depthwise, group 10, stored [10][1][3][3])   [1, 10, 10, 10]
//   -> Conv "dil" (10 -> 8, 3x3, dilation 2, pads 2) -> Conv "head" (8 -> 3, 1x1) -> y
onnx::ModelProto conv_transpose_model();

std::vector<uint8_t> serialize(const onnx::ModelProto& m);

}  // namespace onexn::test
