#include <google/protobuf/io/coded_stream.h>

#include <climits>
#include <fmt/format.h>

#include "onexn/error.hpp"
#include "onexn/file_io.hpp"
#include "onnx_model_impl.hpp"
#include "onnx_tensor.hpp"

namespace onexn {

OnnxModel::OnnxModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OnnxModel::OnnxModel(OnnxModel&&) noexcept = default;
OnnxModel& OnnxModel::operator=(OnnxModel&&) noexcept = default;
OnnxModel::~OnnxModel() = default;

OnnxModel OnnxModel::load(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  return parse(bytes, "'" + path.string() + "'");
}

OnnxModel OnnxModel::parse(std::span<const uint8_t> bytes, std::string_view what) {
  auto impl = std::make_unique<Impl>();
  impl->name = std::string(what);
  const std::string& id = impl->name;
  if (bytes.empty()) throw Error(id + " is empty, not an ONNX model");
  if (bytes.size() > size_t(INT_MAX)) {
    throw Error(fmt::format("{} is {} bytes; protobuf reads at most 2 GiB (models with external "
                            "data are not supported)", id, bytes.size()));
  }
  google::protobuf::io::CodedInputStream in(bytes.data(), static_cast<int>(bytes.size()));
  in.SetTotalBytesLimit(INT_MAX);
  if (!impl->model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    throw Error(id + " is not a valid ONNX model (protobuf parse failed: truncated or not ONNX)");
  }
  onnx::ModelProto& m = impl->model;
  if (m.ir_version() <= 0 || !m.has_graph() || m.opset_import_size() == 0) {
    throw Error(id + " is not an ONNX model (no ir_version, graph or opset_import; truncated?)");
  }
  detail::sort_and_check_graph(*m.mutable_graph(), id);
  impl->layers = detail::find_weighted_layers(m.graph(), id);
  return OnnxModel(std::move(impl));
}

std::vector<uint8_t> OnnxModel::serialize() const {
  std::vector<uint8_t> bytes(impl_->model.ByteSizeLong());
  if (!impl_->model.SerializeToArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(impl_->name + ": cannot serialize the model");
  }
  return bytes;
}

void OnnxModel::save(const std::filesystem::path& path) const {
  write_file_atomically(path, serialize());
}

const std::string& OnnxModel::name() const { return impl_->name; }

const std::vector<WeightedLayer>& OnnxModel::weighted_layers() const { return impl_->layers; }

void OnnxModel::reindex_layers() { impl_->layers = detail::find_weighted_layers(impl_->model.graph(), impl_->name); }

std::vector<float> OnnxModel::read_weights(const WeightedLayer& layer) const {
  const onnx::TensorProto* t = detail::find_constant(impl_->model.graph(), layer.weight_tensor);
  if (!t) throw Error(fmt::format("{}: node '{}': weight tensor '{}' not found", impl_->name,
                                  layer.node_name, layer.weight_tensor));
  std::vector<float> stored =
      detail::tensor_floats(*t, fmt::format("{}: node '{}'", impl_->name, layer.node_name));
  if (static_cast<int64_t>(stored.size()) != layer.shape.numel()) {
    throw Error(fmt::format("{}: node '{}': weight tensor '{}' has {} values, expected {}",
                            impl_->name, layer.node_name, layer.weight_tensor, stored.size(),
                            layer.shape.numel()));
  }
  if (!layer.stored_transposed) return stored;
  return oihw_from_iohw(stored, layer.shape);
}

void OnnxModel::write_weights(const WeightedLayer& layer, std::span<const float> oihw) {
  onnx::TensorProto* t = detail::find_constant(*impl_->model.mutable_graph(), layer.weight_tensor);
  if (!t) throw Error(fmt::format("{}: node '{}': weight tensor '{}' not found", impl_->name,
                                  layer.node_name, layer.weight_tensor));
  if (static_cast<int64_t>(oihw.size()) != layer.shape.numel()) {
    throw InvalidArgument(fmt::format("{}: node '{}': {} weights given, expected {}", impl_->name,
                                      layer.node_name, oihw.size(), layer.shape.numel()));
  }
  if (!layer.stored_transposed) return detail::set_tensor_floats(*t, oihw);
  detail::set_tensor_floats(*t, iohw_from_oihw(oihw, layer.shape));
}

onnx::ModelProto& OnnxModel::proto() { return impl_->model; }
const onnx::ModelProto& OnnxModel::proto() const { return impl_->model; }

}  // namespace onexn
