// A trained network as a plain inference graph, free of LibTorch and protobuf: the models in
// models.cpp describe themselves with it, export_onnx.cpp turns it into an ONNX model.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "onexn/onnx_model.hpp"

namespace onexn::train {

// A constant: its name is the LibTorch parameter or buffer it was copied from.
struct NetTensor {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> values;
};

struct NetNode {
  std::string op;  // ONNX op type
  std::string name;
  std::vector<std::string> inputs, outputs;
  std::vector<std::pair<std::string, std::vector<int64_t>>> ints;  // one value: an INT attribute
  std::vector<std::pair<std::string, float>> floats;
};

// Graph input "input" [batch, channels, height, width] (batch symbolic), output "logits".
struct NetGraph {
  int64_t channels = 1, height = 28, width = 28, classes = 10;
  std::vector<NetNode> nodes;
  std::vector<NetTensor> tensors;

  const NetTensor* find_tensor(const std::string& name) const;
};

// The scalar initializers every Clip (ReLU6) node reads; the only ones not from LibTorch.
inline constexpr const char* kClipMinName = "relu6.min";
inline constexpr const char* kClipMaxName = "relu6.max";

// Builds a NetGraph in execution order; each call returns the name of the op's output.
class NetBuilder {
 public:
  explicit NetBuilder(NetGraph& g) : g_(g) {}
  static std::string input() { return "input"; }

  std::string conv(const std::string& name, const std::string& x, NetTensor weight, int64_t stride,
                   int64_t pad, int64_t groups);
  // BatchNormalization with scale, bias, running mean and running variance in that order.
  std::string batch_norm(const std::string& name, const std::string& x, NetTensor scale,
                         NetTensor bias, NetTensor mean, NetTensor var, float epsilon);
  std::string relu(const std::string& name, const std::string& x);
  std::string relu6(const std::string& name, const std::string& x);  // Clip(x, 0, 6)
  std::string add(const std::string& name, const std::string& a, const std::string& b);
  std::string global_average_pool(const std::string& name, const std::string& x);
  std::string flatten(const std::string& name, const std::string& x);
  // The final layer: Gemm(x, W, b) with transB = 1, writing the graph output "logits".
  void gemm_output(const std::string& name, const std::string& x, NetTensor weight, NetTensor bias);

 private:
  std::string node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                   const std::string& output = {});
  NetGraph& g_;
  bool clip_bounds_ = false;
};

// Folds every BatchNormalization that directly follows a Conv (and is that conv's only reader)
// into the conv: W' = W * s, b' = (b - mean) * s + beta with s = gamma / sqrt(var + eps). The
// conv gets a bias named like its weight with ".weight" replaced by ".bias".
NetGraph fold_batch_norm(const NetGraph& g);

// ONNX (opset 13) serialization of the graph; the initializers keep the tensors' names.
std::vector<uint8_t> serialize_onnx(const NetGraph& g);
OnnxModel to_onnx_model(const NetGraph& g, const std::string& what);

// Every float initializer of a model by name (after an in-place edit such as rearrangement).
std::vector<NetTensor> read_initializers(const OnnxModel& model);

}  // namespace onexn::train
