// Running ONNX CNNs: load a model once, run it many times.
//
//   onexn::Session session = onexn::Session::load("resnet50-1x16.onnx", {.threads = 2});
//   std::vector<onexn::Tensor> out = session.run({input});   // input.name = "input"
//
// Loading imports the model, and for each set of input shapes the session runs with it infers
// every shape, folds constants and BatchNorm, fuses activations and residual adds into
// convolutions, and picks for each convolution the fastest of our 1xN sparse kernel, our CSR
// kernel and the dense kernels (oneDNN, ours) by timing them once on the layer's shape (`tune`):
// a plan. When every input dimension is known at load (fixed by the model, or by `batch` and
// `shapes`), the plan is built at load; a dimension the model leaves symbolic takes its size from
// the input given to `run`, which builds the plan of a new set of input shapes at its first run
// and keeps the last `plan_cache` plans. `run` is const and may be called from several threads
// at once, with the same or different shapes.
//
// Tensors (tensor_file.hpp) are float32, int64 or bool: inputs the model declares as integer
// take int64 tensors, bool inputs bool tensors (0 / 1 in `ints`), and outputs come back in the
// type the model computes them in (float32, int64, or bool where the model declares bool).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
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
  // > 0: the batch size, dimension 0 of every input of rank >= 2, replacing the model's (fixed or
  // symbolic); 0: the model's (a symbolic batch takes its size from the input given to run).
  int64_t batch = 0;
  bool dense = false;      // force dense kernels for every convolution (for comparison)
  // Runs every convolution on this implementation where it applies (the others as usual): one
  // of "sparse", "csr", "onednn", "onednn-nchw", "ours-dense", "reference". Empty: choose.
  std::string conv_implementation = {};
  bool tune = true;        // time the candidate kernels of each convolution when planning
  // Input shapes fixed at load, by input name (each a whole shape): they set the symbolic
  // dimensions; a size other than one the model (or `batch`) fixes is an InvalidArgument naming
  // the input, the dimension, and both sizes, and so is a name the model has no input for.
  std::map<std::string, std::vector<int64_t>> shapes{};
  int plan_cache = 8;      // plans kept for distinct input shapes (least recently used dropped)
  // The tuning cache, where `tune` keeps the kernel choices it timed, so that later loads (of this
  // model or of others with layers of the same shape) time nothing again: "" the default (the
  // environment's ONEXN_TUNING_CACHE, else $XDG_CACHE_HOME/onexn/tuning-cache-v1.json, else
  // ~/.cache/onexn/tuning-cache-v1.json), "off" none, anything else the file's path. A cache
  // that cannot be read or written never stops a load (docs/runtime.md, Tuning cache).
  std::string tuning_cache = {};
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape{};  // -1 for a dimension still symbolic (its size comes from the input)
  ElementType type = ElementType::float32;
};

// The inputs of `model` as a Session loaded with `options` would report them (names, shapes with
// -1 where symbolic, types), without planning anything: e.g. to choose options.batch from the
// data at hand. Throws as Session::load does for models that cannot be imported.
std::vector<TensorInfo> model_inputs(const OnnxModel& model, const SessionOptions& options = {});

// One executed layer, for reports.
struct LayerReport {
  std::string name;        // ONNX node name
  std::string op;          // ONNX op type (after fusion, e.g. Conv carries its ReLU)
  std::string kind;        // conv kind: first, depthwise, pointwise, KxK; empty for other ops
  std::string implementation;  // convs: the conv implementation list's entry ("sparse", "onednn", ...)
  std::string kernel;      // what runs it
  int block_size = 0;      // N of a 1xN sparse kernel, else 0
  // Convs, how the kernel was chosen: "timed" (its candidates were timed at this load), "cached"
  // (the tuning cache's choice), "shared" (timed for an identical layer earlier in this session);
  // empty when there was nothing to time (tune off, or a single candidate).
  std::string tuning;
  double sparsity = 0;     // share of zero weights (convs)
  int64_t macs = 0;        // dense multiply-adds per image (convs)
};

class Session {
 public:
  // Throws Error naming the file, node or tensor for unreadable or unsupported models.
  static Session load(const std::filesystem::path& path, const SessionOptions& options = {});
  static Session from_bytes(std::span<const uint8_t> bytes, std::string_view name,
                            const SessionOptions& options = {});
  // From a model already in memory (e.g. read to look at its inputs, or pruned); not kept.
  static Session from_model(const OnnxModel& model, const SessionOptions& options = {});
  // The same, dropping the model once it is imported (before planning), as load and from_bytes
  // do: its protobuf holds every weight once more.
  static Session from_model(OnnxModel&& model, const SessionOptions& options = {});
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // The graph inputs in model order; shapes as known at load (-1 where symbolic).
  const std::vector<TensorInfo>& inputs() const;
  // The graph outputs: shapes as the load-time plan infers them; without one (symbolic inputs),
  // as the model declares them, -1 where it does not fix a size (empty when it declares none).
  const std::vector<TensorInfo>& outputs() const;

  // Runs with one tensor per model input, matched by name, on options().threads threads (the
  // kernels were chosen and set up for that count). Throws InvalidArgument for a missing,
  // unknown or duplicated input name, an element type other than inputs()[k].type, a shape that
  // differs from inputs()[k].shape in rank or in a dimension it fixes (naming the dimension and
  // both sizes), a size below 1 in a symbolic dimension, data whose count does not match the
  // shape, NaN / Inf values, or bool values other than 0 / 1. Throws Error when the model cannot
  // be planned for the shapes given (e.g. a Reshape whose fixed target does not fit them).
  std::vector<Tensor> run(const std::vector<Tensor>& inputs) const;
  // The same, also timing every layer: ms[k] is layers()[k]'s time (layers() of that plan: call it
  // after the run, and from the same thread if other threads run other shapes meanwhile).
  std::vector<Tensor> run_profiled(const std::vector<Tensor>& inputs, std::vector<double>& ms) const;

  // These describe one plan: the one the latest run used (started last), or before any run the
  // load-time plan; without either (symbolic inputs, no run yet) they are empty / 0.
  std::vector<LayerReport> layers() const;
  int64_t peak_activation_bytes() const;  // the activation arena of one run
  int64_t weight_bytes_dense() const;     // all weights as dense float32
  int64_t weight_bytes_stored() const;    // as the chosen kernels keep them (packed 1xN, CSR, ...)
  int plans() const;                      // plans held now (at most options().plan_cache)

  const SessionOptions& options() const;

  struct Impl;  // internal

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace onexn
