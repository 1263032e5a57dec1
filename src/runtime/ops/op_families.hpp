// The op families and what each registers (see op.hpp for the contract).
#pragma once

#include "runtime/op.hpp"

namespace onexn::runtime {

void register_conv_ops(OpTable& t);          // Conv (conv_op.cpp)
void register_elementwise_ops(OpTable& t);   // Relu Clip Sigmoid HardSigmoid HardSwish Add Sub Mul Div
                                             // Identity Dropout Cast
void register_pooling_ops(OpTable& t);       // MaxPool AveragePool GlobalAveragePool
void register_tensor_ops(OpTable& t);        // Shape Gather Unsqueeze Squeeze Concat Split Slice Reshape
                                             // Flatten Transpose Pad
void register_linear_ops(OpTable& t);        // Gemm MatMul
void register_normalization_ops(OpTable& t);  // BatchNormalization Softmax
void register_resize_ops(OpTable& t);         // Resize Upsample
void register_reduce_ops(OpTable& t);         // ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd
                                              // ReduceL1 ReduceL2 ReduceSumSquare ReduceLogSum
                                              // ReduceLogSumExp ArgMax ArgMin
void register_index_ops(OpTable& t);          // GatherElements Expand Tile DepthToSpace
                                              // SpaceToDepth
void register_fill_ops(OpTable& t);           // ConstantOfShape Range Size
void register_sample_norm_ops(OpTable& t);    // InstanceNormalization LayerNormalization
void register_math_ops(OpTable& t);           // Sqrt Exp Log Tanh Erf Reciprocal Floor Ceil Neg Abs
                                              // LeakyRelu Elu Selu Softplus PRelu Pow
void register_logic_ops(OpTable& t);  // Equal Greater Less GreaterOrEqual LessOrEqual Not And
                                      // Or Xor Where Min Max Sum Mean

}  // namespace onexn::runtime
