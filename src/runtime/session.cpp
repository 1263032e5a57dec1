#include "onexn/session.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <mutex>
#include <set>

#include "onexn/aligned_buffer.hpp"
#include "onexn/error.hpp"
#include "onexn/onnx_model.hpp"
#include "graph/onnx_import.hpp"
#include "runtime/plan.hpp"
#include "runtime/prepare.hpp"

namespace onexn {

struct Session::Impl {
  SessionOptions options;
  runtime::Plan plan;
  std::vector<TensorInfo> inputs, outputs;
  // Arenas (activations + scratch) of finished runs, reused by later ones; one per concurrent run.
  mutable std::mutex pool_mutex;
  mutable std::vector<std::unique_ptr<AlignedBuffer>> pool;

  std::unique_ptr<AlignedBuffer> take_arena() const {
    {
      std::lock_guard<std::mutex> lock(pool_mutex);
      if (!pool.empty()) {
        auto a = std::move(pool.back());
        pool.pop_back();
        return a;
      }
    }
    const int64_t floats = plan.arena_floats + plan.scratch_floats;
    try {
      return std::make_unique<AlignedBuffer>(floats);
    } catch (const std::bad_alloc&) {
      throw Error(fmt::format("{}: cannot allocate the {:.1f} MB of activation memory a run needs",
                              plan.graph.name, static_cast<double>(floats) * 4 / 1e6));
    }
  }
  void give_back(std::unique_ptr<AlignedBuffer> a) const {
    std::lock_guard<std::mutex> lock(pool_mutex);
    pool.push_back(std::move(a));
  }
  std::vector<FloatTensor> run(const std::vector<FloatTensor>& in, std::vector<double>* ms) const;
};

namespace {

std::unique_ptr<Session::Impl> build(const OnnxModel& model, const SessionOptions& options) {
  if (options.threads < 1 || options.threads > 1024) {
    throw InvalidArgument(fmt::format("threads = {} is outside 1..1024", options.threads));
  }
  if (options.batch < 0) throw InvalidArgument(fmt::format("batch = {} is negative", options.batch));
  auto impl = std::make_unique<Session::Impl>();
  impl->options = options;
  runtime::PrepareOptions po;
  po.batch = options.batch;
  impl->plan = runtime::build_plan(runtime::prepare_graph(model, po), options);
  const graph::Graph& g = impl->plan.graph;
  for (int id : g.inputs) impl->inputs.push_back({g.value(id).name, g.value(id).shape});
  for (int id : g.outputs) impl->outputs.push_back({g.value(id).name, g.value(id).shape});
  return impl;
}

}  // namespace

std::vector<std::string> unsupported_nodes(const OnnxModel& model) {
  return runtime::unsupported_nodes(graph::import_onnx(model));
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Session Session::load(const std::filesystem::path& path, const SessionOptions& options) {
  return Session(build(OnnxModel::load(path), options));
}

Session Session::from_bytes(std::span<const uint8_t> bytes, std::string_view name,
                            const SessionOptions& options) {
  return Session(build(OnnxModel::parse(bytes, name), options));
}

const std::vector<TensorInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Session::outputs() const { return impl_->outputs; }
const std::vector<LayerReport>& Session::layers() const { return impl_->plan.layers; }
const SessionOptions& Session::options() const { return impl_->options; }
int64_t Session::peak_activation_bytes() const {
  return (impl_->plan.arena_floats + impl_->plan.scratch_floats) * static_cast<int64_t>(sizeof(float));
}
int64_t Session::weight_bytes_dense() const { return impl_->plan.weight_bytes_dense; }
int64_t Session::weight_bytes_stored() const { return impl_->plan.weight_bytes_stored; }

std::vector<FloatTensor> Session::Impl::run(const std::vector<FloatTensor>& in, std::vector<double>* ms) const {
  const graph::Graph& g = plan.graph;
  const std::string& model = g.name;
  // Every input exactly once, by name, with its shape, and finite.
  std::set<std::string> seen;
  for (const FloatTensor& t : in) {
    auto it = std::find_if(inputs.begin(), inputs.end(), [&](const TensorInfo& i) { return i.name == t.name; });
    if (it == inputs.end()) {
      std::string names;
      for (const auto& i : inputs) names += (names.empty() ? "'" : ", '") + i.name + "'";
      throw InvalidArgument(fmt::format("{}: no input named '{}' (the model's inputs: {})", model, t.name, names));
    }
    if (!seen.insert(t.name).second) throw InvalidArgument(fmt::format("{}: input '{}' given twice", model, t.name));
    if (t.dims != it->shape) {
      throw InvalidArgument(fmt::format("{}: input '{}' has shape [{}], expected [{}]", model, t.name,
                                        fmt::join(t.dims, ", "), fmt::join(it->shape, ", ")));
    }
    if (static_cast<int64_t>(t.data.size()) != graph::numel(it->shape)) {
      throw InvalidArgument(fmt::format("{}: input '{}' holds {} values, its shape needs {}", model,
                                        t.name, t.data.size(), graph::numel(it->shape)));
    }
    for (size_t k = 0; k < t.data.size(); ++k) {
      if (!std::isfinite(t.data[k])) {
        throw InvalidArgument(fmt::format("{}: input '{}' has a non-finite value ({}) at index {}",
                                          model, t.name, t.data[k], k));
      }
    }
  }
  for (const auto& i : inputs) {
    if (!seen.count(i.name)) throw InvalidArgument(fmt::format("{}: input '{}' is missing", model, i.name));
  }
  std::unique_ptr<AlignedBuffer> arena = take_arena();
  float* base = arena->data();
  for (const FloatTensor& t : in) {
    const int id = g.find_value(t.name);
    std::copy(t.data.begin(), t.data.end(), base + plan.offset[id]);
  }
  try {
    runtime::execute_plan(plan, base, base + plan.arena_floats, options.threads, ms);
  } catch (...) {
    give_back(std::move(arena));
    throw;
  }
  std::vector<FloatTensor> out;
  for (int id : g.outputs) {
    const graph::Value& v = g.value(id);
    FloatTensor t;
    t.name = v.name;
    t.dims = v.shape;
    const float* src = base + plan.offset[id];
    if (v.type == graph::DataType::i64) {  // int64 / bool outputs, as float values
      const auto* ints = reinterpret_cast<const int64_t*>(src);
      for (int64_t k = 0; k < graph::numel(v.shape); ++k) t.data.push_back(static_cast<float>(ints[k]));
    } else {
      t.data.assign(src, src + graph::numel(v.shape));
    }
    out.push_back(std::move(t));
  }
  give_back(std::move(arena));
  return out;
}

std::vector<FloatTensor> Session::run(const std::vector<FloatTensor>& inputs) const {
  return impl_->run(inputs, nullptr);
}

std::vector<FloatTensor> Session::run_profiled(const std::vector<FloatTensor>& inputs,
                                               std::vector<double>& ms) const {
  return impl_->run(inputs, &ms);
}

}  // namespace onexn
