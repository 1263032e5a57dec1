// The LibTorch models onexn trains: ResNet-20 and MobileNetV2 sized for 28x28x1 images. Each
// describes itself as a NetGraph whose tensor names are its parameter / buffer names, so an
// exported ONNX model and the torch module map onto each other by name.
// Includes LibTorch: only src/train and tests/train include this header.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "onexn/train.hpp"
#include "train/net_graph.hpp"

namespace onexn::train {

class NetImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // Appends the network's inference graph (eval-mode BatchNorm) with copies of its tensors.
  virtual void describe(NetBuilder& b) const = 0;
};

// Channel counts scale with `width`; parameters are initialized from torch's global generator
// (seed it with torch::manual_seed first for repeatable models).
std::shared_ptr<NetImpl> make_model(TrainModel model, double width);

NetGraph describe_model(const NetImpl& net);

// Stores the conv weights channels-last (NHWC-style strides), which oneDNN's CPU convolutions
// train ~20% faster with (ResNet-20, 2 threads); feed inputs channels-last too. The logical
// shapes and names do not change.
void use_channels_last(NetImpl& net);

// A copy of a float CPU tensor as a NetTensor named `name`.
NetTensor to_net_tensor(const std::string& name, const torch::Tensor& t);

}  // namespace onexn::train
