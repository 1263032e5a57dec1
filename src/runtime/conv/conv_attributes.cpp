#include "runtime/conv/conv_attributes.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "onexn/error.hpp"
#include "runtime/op.hpp"

namespace onexn::runtime {
namespace {

// Resolves auto_pad SAME_* for one axis of a Conv: returns {begin, end}.
std::pair<int64_t, int64_t> same_pads(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                                      bool upper) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>(0, (out - 1) * stride + (k - 1) * dilation + 1 - in);
  return upper ? std::pair{total / 2, total - total / 2} : std::pair{total - total / 2, total / 2};
}

// The fields both ops share: input / weight shapes (1-D lifted to 2-D), strides, dilations,
// explicit pads, group, kernel_shape. `spatial` is 1 or 2.
struct Common {
  int64_t batch = 1, c_in = 1, h = 1, w = 1;
  int64_t w0 = 1, w1 = 1, kh = 1, kw = 1;  // weight dims 0 and 1, kernel
  int64_t groups = 1;
  int64_t stride[2] = {1, 1}, dilation[2] = {1, 1};
  int64_t pads[4] = {0, 0, 0, 0};  // top, left, bottom, right
  std::string auto_pad;
  int spatial = 2;
};

Common read_common(const graph::Graph& g, const graph::Node& node) {
  const graph::Value& x = input_value(g, node, 0);
  const graph::Value& w = input_value(g, node, 1);
  Common c;
  if (x.shape.size() != 4 && x.shape.size() != 3) {
    fail(g, node, fmt::format("input has shape {}; onexn runs 1-D and 2-D convolutions (3-D or 4-D input)",
                              graph::shape_string(x.shape)));
  }
  c.spatial = static_cast<int>(x.shape.size()) - 2;
  if (!w.constant) fail(g, node, "the weights are not constant; onexn needs them at load time");
  if (w.shape.size() != x.shape.size()) {
    fail(g, node, fmt::format("weights have shape {}, expected {}-D like the input", graph::shape_string(w.shape),
                              x.shape.size()));
  }
  c.batch = x.shape[0];
  c.c_in = x.shape[1];
  c.h = c.spatial == 2 ? x.shape[2] : 1;
  c.w = x.shape.back();
  c.w0 = w.shape[0];
  c.w1 = w.shape[1];
  c.kh = c.spatial == 2 ? w.shape[2] : 1;
  c.kw = w.shape.back();
  c.groups = node.attr_int("group", 1);
  if (c.groups <= 0) fail(g, node, fmt::format("group = {} is not positive", c.groups));
  // Attributes name the spatial axes only: one value each for a 1-D conv.
  auto spatial_ints = [&](const char* name, int64_t fallback, size_t per_axis) {
    std::vector<int64_t> v = node.attr_ints(name, std::vector<int64_t>(per_axis * c.spatial, fallback));
    if (v.size() != per_axis * c.spatial) {
      fail(g, node, fmt::format("attribute '{}' has {} values, expected {}", name, v.size(), per_axis * c.spatial));
    }
    if (c.spatial == 1) {  // the H axis of a 1-D conv: size 1, stride 1, no padding
      v = per_axis == 1 ? std::vector<int64_t>{fallback, v[0]} : std::vector<int64_t>{0, v[0], 0, v[1]};
    }
    return v;
  };
  const auto kernel = spatial_ints("kernel_shape", 0, 1);
  if ((kernel[0] != 0 && kernel[0] != c.kh) || (kernel[1] != 0 && kernel[1] != c.kw)) {
    fail(g, node, "kernel_shape does not match the weights");
  }
  const auto strides = spatial_ints("strides", 1, 1);
  const auto dilations = spatial_ints("dilations", 1, 1);
  const auto pads = spatial_ints("pads", 0, 2);  // [begin_h, begin_w, end_h, end_w]
  std::copy(strides.begin(), strides.end(), c.stride);
  std::copy(dilations.begin(), dilations.end(), c.dilation);
  std::copy(pads.begin(), pads.end(), c.pads);
  c.auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (c.auto_pad != "NOTSET" && c.auto_pad != "SAME_UPPER" && c.auto_pad != "SAME_LOWER" && c.auto_pad != "VALID") {
    fail(g, node, "auto_pad '" + c.auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  if (c.auto_pad != "NOTSET") std::fill(std::begin(c.pads), std::end(c.pads), 0);
  return c;
}

// The fields ConvParams and ConvTransposeParams share, from the attributes both ops read.
template <typename Params>
void set_common(const Common& c, Params& p) {
  p.batch = c.batch;
  p.c_in = c.c_in;
  p.h = c.h;
  p.w = c.w;
  p.kh = c.kh;
  p.kw = c.kw;
  p.groups = c.groups;
  p.stride_h = c.stride[0];
  p.stride_w = c.stride[1];
  p.dilation_h = c.dilation[0];
  p.dilation_w = c.dilation[1];
  p.pad_top = c.pads[0];
  p.pad_left = c.pads[1];
  p.pad_bottom = c.pads[2];
  p.pad_right = c.pads[3];
}

void check_bias(const graph::Graph& g, const graph::Node& node, int64_t c_out) {
  if (node.inputs.size() > 2 && node.inputs[2] >= 0) {
    const graph::Value& b = input_value(g, node, 2);
    if (!b.constant || b.shape != graph::Shape{c_out}) fail(g, node, "the bias must be a constant of c_out values");
  }
}

}  // namespace

ConvParams conv_params_of(const graph::Graph& g, const graph::Node& node) {
  const Common c = read_common(g, node);
  ConvParams p;
  set_common(c, p);
  p.c_out = c.w0;
  if (p.c_in % p.groups || c.w1 * p.groups != p.c_in) {
    fail(g, node, fmt::format("input has {} channels, weights {} per group, group={}", p.c_in, c.w1, p.groups));
  }
  if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
    if (p.stride_h <= 0 || p.stride_w <= 0) fail(g, node, "strides must be positive");
    const bool upper = c.auto_pad == "SAME_UPPER";
    std::tie(p.pad_top, p.pad_bottom) = same_pads(p.h, p.kh, p.stride_h, p.dilation_h, upper);
    std::tie(p.pad_left, p.pad_right) = same_pads(p.w, p.kw, p.stride_w, p.dilation_w, upper);
  }
  check_bias(g, node, p.c_out);
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    fail(g, node, e.what());
  }
  if (node.inputs.size() > 3 && node.inputs[3] >= 0) {
    graph::Shape out{p.batch, p.c_out, p.out_h(), p.out_w()};
    if (c.spatial == 1) out.erase(out.begin() + 2);
    if (input_value(g, node, 3).shape != out) fail(g, node, "the fused residual has the wrong shape");
  }
  return p;
}

ConvTransposeParams conv_transpose_params_of(const graph::Graph& g, const graph::Node& node) {
  const Common c = read_common(g, node);
  ConvTransposeParams p;
  set_common(c, p);
  if (c.w0 != p.c_in || p.c_in % p.groups) {
    fail(g, node, fmt::format("input has {} channels, weights [{}, {}, ...] with group={}; expected "
                              "[c_in, c_out/group, kH, kW]", p.c_in, c.w0, c.w1, p.groups));
  }
  p.c_out = c.w1 * p.groups;
  std::vector<int64_t> op = node.attr_ints("output_padding", std::vector<int64_t>(c.spatial, 0));
  if (op.size() != static_cast<size_t>(c.spatial)) fail(g, node, "output_padding needs one value per spatial axis");
  if (c.spatial == 1) op.insert(op.begin(), 0);
  p.output_pad_h = op[0];
  p.output_pad_w = op[1];
  // output_shape (spatial dims, or the whole shape), or auto_pad SAME_*: the pads follow from the
  // wanted size; SAME_UPPER puts the odd pad at the end, otherwise at the beginning (ONNX spec).
  // A size beyond what no padding gives adds rows / columns at the end, as output_padding does
  // (ONNX's test_convtranspose_output_shape).
  std::vector<int64_t> want = node.attr_ints("output_shape", {});
  if (want.size() == static_cast<size_t>(c.spatial) + 2) want.erase(want.begin(), want.begin() + 2);
  if (!want.empty() && want.size() != static_cast<size_t>(c.spatial)) {
    fail(g, node, fmt::format("output_shape has {} values, expected {}", want.size(), c.spatial));
  }
  if (want.empty() && (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER")) {
    want = c.spatial == 2 ? std::vector<int64_t>{p.h * p.stride_h, p.w * p.stride_w}
                          : std::vector<int64_t>{p.w * p.stride_w};
  }
  if (!want.empty()) {
    if (c.spatial == 1) want.insert(want.begin(), 1);
    const bool upper = c.auto_pad == "SAME_UPPER";
    auto resolve = [&](int64_t in, int64_t k, int64_t s, int64_t d, int64_t out, int64_t& outpad,
                       int64_t& begin, int64_t& end) {
      const int64_t total = s * (in - 1) + outpad + (k - 1) * d + 1 - out;
      if (total < 0) {
        outpad -= total;
        begin = end = 0;
        return;
      }
      begin = upper ? total / 2 : total - total / 2;
      end = total - begin;
    };
    resolve(p.h, p.kh, p.stride_h, p.dilation_h, want[0], p.output_pad_h, p.pad_top, p.pad_bottom);
    resolve(p.w, p.kw, p.stride_w, p.dilation_w, want[1], p.output_pad_w, p.pad_left, p.pad_right);
  }
  check_bias(g, node, p.c_out);
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    fail(g, node, e.what());
  }
  return p;
}

graph::Shape conv_output_shape(const graph::Graph& g, const graph::Node& node) {
  graph::Shape out;
  if (node.op == "ConvTranspose") {
    const ConvTransposeParams p = conv_transpose_params_of(g, node);
    out = {p.batch, p.c_out, p.out_h(), p.out_w()};
  } else {
    const ConvParams p = conv_params_of(g, node);
    out = {p.batch, p.c_out, p.out_h(), p.out_w()};
  }
  if (input_value(g, node, 0).shape.size() == 3) out.erase(out.begin() + 2);  // 1-D
  return out;
}

Epilogue epilogue_of(const graph::Node& node, const std::vector<float>& bias) {
  Epilogue e;
  e.bias = bias.empty() ? nullptr : bias.data();
  const std::string act = node.attr_string("onexn_activation", "");
  if (act == "relu") e.activation = Activation::relu;
  if (act == "relu6") e.activation = Activation::relu6;
  if (act == "hardswish") e.activation = Activation::hardswish;
  if (act == "clip") {
    e.activation = Activation::clip;
    const auto it = node.attrs.find("onexn_clip");
    e.clip_min = it->second.floats.at(0);
    e.clip_max = it->second.floats.at(1);
  }
  return e;
}

std::string conv_kind(const graph::Graph& g, const graph::Node& node, const WeightShape& ws) {
  // The order of onexn::LayerKind's rules (weighted_layers.cpp), so tables agree with inspect.
  const graph::Value& x = input_value(g, node, 0);
  if (ws.groups > 1 && ws.c_in_per_group == 1) return "depthwise";
  if (x.producer < 0 && !x.constant) return "first";
  if (node.op == "ConvTranspose") return "transposed";
  return ws.kh == 1 && ws.kw == 1 ? "pointwise" : "KxK";
}

}  // namespace onexn::runtime
