// Running ONNX CNNs: load a model once, run it many times.
//
//   onexn::Session session = onexn::Session::load("resnet50-1x16.onnx", {.threads = 2});
//   std::vector<onexn::FloatTensor> out = session.run({input});   // input.name = "input"
//
// Loading imports the model, infers every shape (the batch size is fixed at load), folds
// constants and BatchNorm, fuses activations and residual adds into convolutions, and picks for
// each convolution the fastest of our 1xN sparse kernel, our CSR kernel and the dense kernels
// (oneDNN, ours) by timing them once on the layer's shape (`tune`). `run` is const and may be
// called from several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "onexn/onnx_model.hpp"
#include "onexn/tensor_file.hpp"

namespace onexn {

// Every node of the model whose op onexn's runtime does not have, as "node 'NAME' (OP)", in graph
// order. Throws Error when the model cannot be imported at all (then nothing runs).
std::vector<std::string> unsupported_nodes(const OnnxModel& model);

struct SessionOptions {
  int threads = 1;         // threads the kernels are tuned for, and run's default
  int64_t batch = 0;       // > 0: the batch size; 0: the model's (1 when symbolic)
  bool dense = false;      // force dense kernels for every convolution (for comparison)
  bool tune = true;        // time the candidate kernels of each convolution at load
  // Runs every convolution on this implementation where it applies (the others as usual): one
  // of "sparse", "csr", "onednn", "onednn-nchw", "ours-dense", "reference". Empty: choose.
  std::string conv_implementation = {};
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
};

// One executed layer, for reports.
struct LayerReport {
  std::string name;        // ONNX node name
  std::string op;          // ONNX op type (after fusion, e.g. Conv carries its ReLU)
  std::string kind;        // conv kind: first, depthwise, pointwise, KxK; empty for other ops
  std::string implementation;  // convs: the conv implementation list's entry ("sparse", "onednn", ...)
  std::string kernel;      // what runs it
  int block_size = 0;      // N of a 1xN sparse kernel, else 0
  double sparsity = 0;     // share of zero weights (convs)
  int64_t macs = 0;        // dense multiply-adds per image (convs)
};

class Session {
 public:
  // Throws Error naming the file, node or tensor for unreadable or unsupported models.
  static Session load(const std::filesystem::path& path, const SessionOptions& options = {});
  static Session from_bytes(std::span<const uint8_t> bytes, std::string_view name,
                            const SessionOptions& options = {});
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;

  // Runs with one tensor per model input, matched by name, on options().threads threads (the
  // kernels were chosen and set up for that count). Throws InvalidArgument for a missing, unknown
  // or duplicated input name, a shape other than inputs()[k].shape, or NaN / Inf values.
  std::vector<FloatTensor> run(const std::vector<FloatTensor>& inputs) const;
  // The same, also timing every layer: ms[k] is layers()[k]'s time.
  std::vector<FloatTensor> run_profiled(const std::vector<FloatTensor>& inputs,
                                        std::vector<double>& ms) const;

  const std::vector<LayerReport>& layers() const;
  const SessionOptions& options() const;
  int64_t peak_activation_bytes() const;  // the activation arena of one run
  int64_t weight_bytes_dense() const;     // all weights as dense float32
  int64_t weight_bytes_stored() const;    // as the chosen kernels keep them (packed 1xN, CSR, ...)

  struct Impl;  // internal

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace onexn
