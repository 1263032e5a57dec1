// ResNet-20 (He et al. 2016, the CIFAR variant) and MobileNetV2 (Sandler et al. 2018) for 28x28
// grey images. Every conv is followed by BatchNorm and has no bias. Module names are fixed here
// and are the parameter names ("layer2.0.conv1.conv.weight"), the ONNX initializer names and
// the names the masks and metrics use.
#include "train/models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace onexn::train {

NetTensor to_net_tensor(const std::string& name, const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  NetTensor out;
  out.name = name;
  out.dims.assign(c.sizes().begin(), c.sizes().end());
  const float* p = c.data_ptr<float>();
  out.values.assign(p, p + c.numel());
  return out;
}

namespace {

enum class Act { none, relu, relu6 };

std::string join(const std::string& prefix, const std::string& name) { return prefix + "." + name; }

// conv (no bias) -> BatchNorm -> activation; "<prefix>.conv", "<prefix>.bn".
class ConvBNImpl : public torch::nn::Module {
 public:
  ConvBNImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, Act act, int64_t groups = 1)
      : stride_(stride), pad_(kernel / 2), groups_(groups), act_(act) {
    conv_ = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                                          .stride(stride)
                                                          .padding(kernel / 2)
                                                          .groups(groups)
                                                          .bias(false)));
    bn_ =
        register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(kEps)));
    torch::nn::init::kaiming_normal_(conv_->weight, 0.0, torch::kFanOut, torch::kReLU);
  }

  torch::Tensor forward(torch::Tensor x) {
    x = bn_->forward(conv_->forward(x));
    if (act_ == Act::relu) return torch::relu(x);
    if (act_ == Act::relu6) return torch::clamp(x, 0.0, 6.0);
    return x;
  }

  std::string describe(NetBuilder& b, const std::string& prefix, const std::string& x) const {
    std::string y =
        b.conv(join(prefix, "conv"), x, to_net_tensor(join(prefix, "conv.weight"), conv_->weight),
               stride_, pad_, groups_);
    y = b.batch_norm(join(prefix, "bn"), y, to_net_tensor(join(prefix, "bn.weight"), bn_->weight),
                     to_net_tensor(join(prefix, "bn.bias"), bn_->bias),
                     to_net_tensor(join(prefix, "bn.running_mean"), bn_->running_mean),
                     to_net_tensor(join(prefix, "bn.running_var"), bn_->running_var), kEps);
    if (act_ == Act::relu) return b.relu(join(prefix, "relu"), y);
    if (act_ == Act::relu6) return b.relu6(join(prefix, "relu6"), y);
    return y;
  }

 private:
  static constexpr float kEps = 1e-5f;
  int64_t stride_, pad_, groups_;
  Act act_;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(ConvBN);

void describe_fc(NetBuilder& b, const std::string& x, const torch::nn::Linear& fc) {
  const std::string pooled = b.global_average_pool("pool", x);
  const std::string flat = b.flatten("flatten", pooled);
  b.gemm_output("fc", flat, to_net_tensor("fc.weight", fc->weight),
                to_net_tensor("fc.bias", fc->bias));
}

// ResNet basic block: relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x)); the shortcut is a
// 1x1 conv + BN when the stride or the channel count changes, else the identity.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
    conv1_ = register_module("conv1", ConvBN(in, out, 3, stride, Act::relu));
    conv2_ = register_module("conv2", ConvBN(out, out, 3, 1, Act::none));
    if (stride != 1 || in != out)
      shortcut_ = register_module("shortcut", ConvBN(in, out, 1, stride, Act::none));
  }

  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor y = conv2_->forward(conv1_->forward(x));
    return torch::relu(y + (shortcut_ ? shortcut_->forward(x) : x));
  }

  std::string describe(NetBuilder& b, const std::string& prefix, const std::string& x) const {
    const std::string y =
        conv2_->describe(b, join(prefix, "conv2"), conv1_->describe(b, join(prefix, "conv1"), x));
    const std::string s = shortcut_ ? shortcut_->describe(b, join(prefix, "shortcut"), x) : x;
    return b.relu(join(prefix, "relu"), b.add(join(prefix, "add"), y, s));
  }

 private:
  ConvBN conv1_{nullptr}, conv2_{nullptr}, shortcut_{nullptr};
};
TORCH_MODULE(BasicBlock);

// ResNet-20: stem 3x3 conv (16w), three stages of 3 basic blocks (16w, 32w, 64w channels,
// strides 1, 2, 2: 28x28 -> 14x14 -> 7x7), global average pooling, fc 10.
class ResNet20Impl : public NetImpl {
 public:
  explicit ResNet20Impl(double width) {
    auto channels = [width](int64_t c) { return std::max<int64_t>(1, std::lround(c * width)); };
    const int64_t widths[3] = {channels(16), channels(32), channels(64)};
    stem_ = register_module("stem", ConvBN(1, widths[0], 3, 1, Act::relu));
    int64_t in = widths[0];
    for (int s = 0; s < 3; ++s) {
      auto list = register_module(fmt::format("layer{}", s + 1), torch::nn::ModuleList());
      for (int k = 0; k < 3; ++k) {
        BasicBlock block(in, widths[s], k == 0 && s > 0 ? 2 : 1);
        list->push_back(block);
        blocks_.push_back({fmt::format("layer{}.{}", s + 1, k), block});
        in = widths[s];
      }
    }
    fc_ = register_module("fc", torch::nn::Linear(in, kFashionClasses));
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = stem_->forward(x);
    for (auto& [name, block] : blocks_) x = block->forward(x);
    return fc_->forward(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }

  void describe(NetBuilder& b) const override {
    std::string x = stem_->describe(b, "stem", NetBuilder::input());
    for (const auto& [name, block] : blocks_) x = block->describe(b, name, x);
    describe_fc(b, x, fc_);
  }

 private:
  ConvBN stem_{nullptr};
  std::vector<std::pair<std::string, BasicBlock>> blocks_;
  torch::nn::Linear fc_{nullptr};
};

// MobileNetV2 inverted residual: 1x1 expand (ReLU6; absent when t = 1) -> 3x3 depthwise (ReLU6)
// -> 1x1 project (linear), plus the input when stride is 1 and the channel count is unchanged.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expansion)
      : residual_(stride == 1 && in == out) {
    const int64_t hidden = in * expansion;
    if (expansion != 1) expand_ = register_module("expand", ConvBN(in, hidden, 1, 1, Act::relu6));
    depthwise_ =
        register_module("depthwise", ConvBN(hidden, hidden, 3, stride, Act::relu6, hidden));
    project_ = register_module("project", ConvBN(hidden, out, 1, 1, Act::none));
  }

  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor y = expand_ ? expand_->forward(x) : x;
    y = project_->forward(depthwise_->forward(y));
    return residual_ ? x + y : y;
  }

  std::string describe(NetBuilder& b, const std::string& prefix, const std::string& x) const {
    std::string y = expand_ ? expand_->describe(b, join(prefix, "expand"), x) : x;
    y = project_->describe(b, join(prefix, "project"),
                           depthwise_->describe(b, join(prefix, "depthwise"), y));
    return residual_ ? b.add(join(prefix, "add"), x, y) : y;
  }

 private:
  bool residual_;
  ConvBN expand_{nullptr}, depthwise_{nullptr}, project_{nullptr};
};
TORCH_MODULE(InvertedResidual);

// torchvision's rounding of channel counts: a multiple of 8, never more than 10% below c.
int64_t make_divisible(double c) {
  const int64_t d = 8;
  int64_t v = std::max<int64_t>(d, static_cast<int64_t>(c + d / 2.0) / d * d);
  if (v < 0.9 * c) v += d;
  return v;
}

// MobileNetV2 with ImageNet's seven stages (expansion t, channels c, blocks n) but strides for
// 28x28: the stem (32w, stride 1) and the first stage run at 28x28, stages 2, 3 and 4 halve it
// (28 -> 14 -> 7 -> 4), the last three stay at 4x4; 1x1 head conv to 1280 channels, global
// average pooling, fc 10.
class MobileNetV2Impl : public NetImpl {
 public:
  explicit MobileNetV2Impl(double width) {
    struct Stage {
      int64_t t, c, n, s;
    };
    const Stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                            {6, 96, 3, 1}, {6, 160, 3, 1}, {6, 320, 1, 1}};
    int64_t in = make_divisible(32 * width);
    stem_ = register_module("stem", ConvBN(1, in, 3, 1, Act::relu6));
    auto list = register_module("blocks", torch::nn::ModuleList());
    for (const Stage& st : stages) {
      const int64_t out = make_divisible(st.c * width);
      for (int64_t k = 0; k < st.n; ++k) {
        InvertedResidual block(in, out, k == 0 ? st.s : 1, st.t);
        list->push_back(block);
        blocks_.push_back({fmt::format("blocks.{}", blocks_.size()), block});
        in = out;
      }
    }
    const int64_t last = make_divisible(1280 * std::max(1.0, width));
    head_ = register_module("head", ConvBN(in, last, 1, 1, Act::relu6));
    fc_ = register_module("fc", torch::nn::Linear(last, kFashionClasses));
    torch::nn::init::normal_(fc_->weight, 0.0, 0.01);
    torch::nn::init::zeros_(fc_->bias);
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = stem_->forward(x);
    for (auto& [name, block] : blocks_) x = block->forward(x);
    x = head_->forward(x);
    return fc_->forward(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }

  void describe(NetBuilder& b) const override {
    std::string x = stem_->describe(b, "stem", NetBuilder::input());
    for (const auto& [name, block] : blocks_) x = block->describe(b, name, x);
    describe_fc(b, head_->describe(b, "head", x), fc_);
  }

 private:
  ConvBN stem_{nullptr}, head_{nullptr};
  std::vector<std::pair<std::string, InvertedResidual>> blocks_;
  torch::nn::Linear fc_{nullptr};
};

}  // namespace

std::shared_ptr<NetImpl> make_model(TrainModel model, double width) {
  switch (model) {
    case TrainModel::resnet20:
      return std::make_shared<ResNet20Impl>(width);
    case TrainModel::mobilenetv2:
      return std::make_shared<MobileNetV2Impl>(width);
  }
  return nullptr;
}

void use_channels_last(NetImpl& net) {
  for (torch::Tensor& p : net.parameters(/*recurse=*/true)) {
    if (p.dim() == 4) p.set_data(p.detach().contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

NetGraph describe_model(const NetImpl& net) {
  NetGraph g;
  NetBuilder b(g);
  net.describe(b);
  return g;
}

}  // namespace onexn::train
