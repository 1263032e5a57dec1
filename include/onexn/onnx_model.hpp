// ONNX models: load, find the weighted layers (Conv, ConvTranspose, Gemm, MatMul), read and write
// their weights, save with everything else preserved. Protobuf types stay out of this header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "onexn/weight_shape.hpp"

namespace onnx {
class ModelProto;
}

namespace onexn {

// How a layer is classified. `first` is a conv (or ConvTranspose) whose input does not pass through
// any other weighted layer (it sees the graph input); `depthwise` has one input channel per group;
// `pointwise` is 1x1; `kxk` any other conv (dilated ones too); `transposed` any other
// ConvTranspose; `fc` a Gemm or MatMul with a constant 2-D weight.
enum class LayerKind { first, depthwise, pointwise, kxk, transposed, fc };
const char* to_string(LayerKind kind);

struct WeightedLayer {
  int node_index = 0;
  std::string node_name;      // the node's name, or "<op_type>_<index>" when the node has none
  std::string op_type;        // "Conv", "ConvTranspose", "Gemm" or "MatMul"
  std::string weight_tensor;  // initializer (or Constant output) that holds the weights
  WeightShape shape;          // logical OIHW shape
  std::vector<int64_t> stored_dims;
  // Stored IOHW (see oihw_from_iohw in weight_shape.hpp): ConvTranspose [c_in][c_out/g][kh][kw],
  // Gemm with transB = 0 and MatMul [c_in][c_out].
  bool stored_transposed = false;
  LayerKind kind = LayerKind::kxk;
};

class OnnxModel {
 public:
  // Reads a model file (any size protobuf accepts, i.e. up to 2 GiB). Throws Error naming the file
  // when it is missing, unreadable, not ONNX, truncated, or refers to tensors it does not define.
  static OnnxModel load(const std::filesystem::path& path);
  // Parses a serialized model; `what` names it in error messages.
  static OnnxModel parse(std::span<const uint8_t> bytes, std::string_view what);

  OnnxModel(OnnxModel&&) noexcept;
  OnnxModel& operator=(OnnxModel&&) noexcept;
  ~OnnxModel();

  // Writes the model to a temporary file beside `path`, then renames it over `path`: readers never
  // see a partial file, and on failure `path` is left as it was.
  void save(const std::filesystem::path& path) const;
  std::vector<uint8_t> serialize() const;
  const std::string& name() const;  // file path or the `what` given to parse()

  const std::vector<WeightedLayer>& weighted_layers() const;
  // Weights of a layer in logical OIHW order (IOHW storage is converted).
  std::vector<float> read_weights(const WeightedLayer& layer) const;
  // Replaces the layer's weights (OIHW order), keeping the tensor's name, dims, layout and
  // storage form.
  void write_weights(const WeightedLayer& layer, std::span<const float> oihw);

  onnx::ModelProto& proto();
  const onnx::ModelProto& proto() const;
  // Finds the weighted layers again after the graph was edited through proto() (node inputs
  // renamed, initializers added); references from weighted_layers() are invalidated.
  void reindex_layers();

 private:
  struct Impl;
  explicit OnnxModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace onexn
