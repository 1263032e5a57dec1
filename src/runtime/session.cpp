#include "onexn/session.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "graph/onnx_import.hpp"
#include "kernels/vector_isa.hpp"
#include "onexn/error.hpp"
#include "onexn/onnx_model.hpp"
#include "runtime/plan.hpp"
#include "runtime/plan_cache.hpp"
#include "runtime/prepare.hpp"
#include "runtime/tuning_cache.hpp"
#include "runtime/tuning_host.hpp"

namespace onexn {

struct Session::Impl {
  SessionOptions options;
  std::string model;  // name, for messages
  // The imported graph, input shapes as known at load (-1 where symbolic): each plan prepares a
  // copy with its input shapes. When no dimension is symbolic, no plan other than the load-time
  // one can be asked for: that plan takes the graph itself (no copy of the weights).
  mutable std::unique_ptr<graph::Graph> imported;
  bool symbolic = false;
  // With options.tune: the kernel choices timed before, shared by the plans of the session.
  std::unique_ptr<runtime::TuningCache> tuning;
  std::vector<TensorInfo> inputs, outputs;
  std::vector<bool> output_is_bool;  // per graph output: the model declares it bool
  mutable std::unique_ptr<runtime::PlanCache> plans;

  runtime::Plan build_plan(const runtime::PlanCache::Key& shapes) const;
  std::vector<const Tensor*> check_inputs(const std::vector<Tensor>& in) const;
  std::vector<Tensor> run(const std::vector<Tensor>& in, std::vector<double>* ms) const;
};

namespace {

// The Session's element type of an ONNX elem_type on a value of IR type `t`: the IR computes in
// f32 and i64 only, and bool is i64 where the model declares bool.
ElementType element_type(graph::DataType t, int declared) {
  if (t == graph::DataType::f32) return ElementType::float32;
  return declared == onnx::TensorProto::BOOL ? ElementType::boolean : ElementType::int64;
}

// The type an output declaration names, before any plan says what the IR computes.
ElementType declared_element_type(int declared) {
  switch (declared) {
    case onnx::TensorProto::BOOL:
      return ElementType::boolean;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT64:
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::UINT8:
      return ElementType::int64;
    default:
      return ElementType::float32;
  }
}

int declared_type(const onnx::ValueInfoProto& v) {
  return v.type().has_tensor_type() ? v.type().tensor_type().elem_type() : 0;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

std::vector<TensorInfo> input_infos(const graph::Graph& g, const onnx::GraphProto& proto) {
  std::map<std::string, int> declared;
  for (const auto& v : proto.input()) declared[v.name()] = declared_type(v);
  std::vector<TensorInfo> out;
  for (int id : g.inputs) {
    const graph::Value& v = g.value(id);
    out.push_back({v.name, v.shape, element_type(v.type, declared[v.name])});
  }
  return out;
}

graph::ImportOptions import_options(const SessionOptions& options) {
  if (options.batch < 0)
    throw InvalidArgument(fmt::format("batch = {} is negative", options.batch));
  graph::ImportOptions io;
  io.batch = options.batch;
  io.shapes = options.shapes;
  return io;
}

// What a session takes from the model: the imported graph and the declarations of its inputs and
// outputs. The model itself (its protobuf holds every weight once more) is not needed after this,
// so sessions made from a file or from bytes drop it before planning.
struct ImportedModel {
  std::unique_ptr<graph::Graph> graph;
  std::vector<TensorInfo> inputs;
  std::vector<int> output_types;             // the declared elem_type of each graph output
  std::vector<TensorInfo> declared_outputs;  // as declared (-1 where no size is fixed)
};

ImportedModel import_model(const OnnxModel& model, const SessionOptions& options) {
  if (options.threads < 1 || options.threads > 1024) {
    throw InvalidArgument(fmt::format("threads = {} is outside 1..1024", options.threads));
  }
  if (options.plan_cache < 1 || options.plan_cache > 4096) {
    throw InvalidArgument(fmt::format("plan_cache = {} is outside 1..4096", options.plan_cache));
  }
  ImportedModel m;
  m.graph = std::make_unique<graph::Graph>(runtime::import_supported(model, import_options(options)));
  const onnx::GraphProto& proto = model.proto().graph();
  m.inputs = input_infos(*m.graph, proto);
  for (const auto& o : proto.output()) {
    m.output_types.push_back(declared_type(o));
    TensorInfo info{o.name(), {}, declared_element_type(declared_type(o))};
    if (o.type().has_tensor_type() && o.type().tensor_type().has_shape()) {
      for (const auto& d : o.type().tensor_type().shape().dim())
        info.shape.push_back(d.has_dim_value() && d.dim_value() > 0 ? d.dim_value() : -1);
    }
    m.declared_outputs.push_back(std::move(info));
  }
  return m;
}

std::unique_ptr<Session::Impl> build(ImportedModel m, const SessionOptions& options) {
  detail::limit_vector_isa_from_env();  // before the first kernel is picked or timed
  auto impl = std::make_unique<Session::Impl>();
  impl->options = options;
  const graph::Graph& g = *m.graph;
  impl->model = g.name;
  impl->inputs = std::move(m.inputs);
  bool all_known = true;
  runtime::PlanCache::Key load_shapes;
  for (int id : g.inputs) {
    all_known = all_known && g.value(id).shape_known;
    load_shapes.push_back(g.value(id).shape);
  }
  for (int t : m.output_types) impl->output_is_bool.push_back(t == onnx::TensorProto::BOOL);

  impl->imported = std::move(m.graph);
  impl->symbolic = !all_known;
  if (options.tune) {
    impl->tuning = std::make_unique<runtime::TuningCache>(runtime::tuning_cache_location(options.tuning_cache),
                                                          runtime::tuning_host(options.threads));
  }
  const Session::Impl* self = impl.get();
  impl->plans = std::make_unique<runtime::PlanCache>(
      static_cast<size_t>(options.plan_cache),
      [self](const runtime::PlanCache::Key& shapes) { return self->build_plan(shapes); });
  if (all_known) {
    const auto planned = impl->plans->get(load_shapes);
    const graph::Graph& pg = planned->plan().graph;
    for (size_t k = 0; k < pg.outputs.size(); ++k) {
      const graph::Value& v = pg.value(pg.outputs[k]);
      impl->outputs.push_back({v.name, v.shape, element_type(v.type, m.output_types.at(k))});
    }
    impl->imported.reset();
  } else {
    impl->outputs = std::move(m.declared_outputs);
  }
  return impl;
}

}  // namespace

runtime::Plan Session::Impl::build_plan(const runtime::PlanCache::Key& shapes) const {
  if (!imported) {
    // Unreachable: without symbolic dimensions run accepts the load-time shapes only.
    throw Error(fmt::format("{}: no plan for input shapes other than the load-time ones", model));
  }
  graph::Graph g = symbolic ? *imported : std::move(*imported);
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    graph::Value& v = g.value(g.inputs[k]);
    v.shape = shapes[k];
    v.shape_known = true;
  }
  runtime::prepare_imported(g);
  runtime::Plan plan = runtime::build_plan(std::move(g), options, tuning.get());
  if (tuning) tuning->save();
  return plan;
}

std::vector<TensorInfo> model_inputs(const OnnxModel& model, const SessionOptions& options) {
  return input_infos(graph::import_onnx(model, import_options(options)), model.proto().graph());
}

std::vector<std::string> unsupported_nodes(const OnnxModel& model) {
  return runtime::unsupported_nodes(graph::import_onnx(model));
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Session Session::load(const std::filesystem::path& path, const SessionOptions& options) {
  ImportedModel m = import_model(OnnxModel::load(path), options);  // the model is dropped here
  return Session(build(std::move(m), options));
}

Session Session::from_model(const OnnxModel& model, const SessionOptions& options) {
  return Session(build(import_model(model, options), options));
}

Session Session::from_model(OnnxModel&& model, const SessionOptions& options) {
  ImportedModel m = import_model(OnnxModel(std::move(model)), options);
  return Session(build(std::move(m), options));
}

Session Session::from_bytes(std::span<const uint8_t> bytes, std::string_view name,
                            const SessionOptions& options) {
  ImportedModel m = import_model(OnnxModel::parse(bytes, name), options);
  return Session(build(std::move(m), options));
}

const std::vector<TensorInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Session::outputs() const { return impl_->outputs; }
const SessionOptions& Session::options() const { return impl_->options; }

std::vector<LayerReport> Session::layers() const {
  const auto p = impl_->plans->latest();
  return p ? p->plan().layers : std::vector<LayerReport>{};
}
int64_t Session::peak_activation_bytes() const {
  const auto p = impl_->plans->latest();
  return p ? (p->plan().arena_floats + p->plan().scratch_floats) *
                 static_cast<int64_t>(sizeof(float))
           : 0;
}
int64_t Session::weight_bytes_dense() const {
  const auto p = impl_->plans->latest();
  return p ? p->plan().weight_bytes_dense : 0;
}
int64_t Session::weight_bytes_stored() const {
  const auto p = impl_->plans->latest();
  return p ? p->plan().weight_bytes_stored : 0;
}
int Session::plans() const { return static_cast<int>(impl_->plans->size()); }

// Every input exactly once, by name, of its type and shape, with finite values; returned in the
// order of inputs.
std::vector<const Tensor*> Session::Impl::check_inputs(const std::vector<Tensor>& in) const {
  std::vector<const Tensor*> ordered(inputs.size(), nullptr);
  for (const Tensor& t : in) {
    auto it = std::find_if(inputs.begin(), inputs.end(),
                           [&](const TensorInfo& i) { return i.name == t.name; });
    if (it == inputs.end()) {
      std::string names;
      for (const auto& i : inputs) names += (names.empty() ? "'" : ", '") + i.name + "'";
      throw InvalidArgument(
          fmt::format("{}: no input named '{}' (the model's inputs: {})", model, t.name, names));
    }
    const TensorInfo& info = *it;
    const auto k = static_cast<size_t>(it - inputs.begin());
    if (ordered[k]) throw InvalidArgument(fmt::format("{}: input '{}' given twice", model, t.name));
    ordered[k] = &t;
    if (t.type != info.type) {
      throw InvalidArgument(fmt::format("{}: input '{}' has element type {}, the model takes {}",
                                        model, t.name, to_string(t.type), to_string(info.type)));
    }
    if (t.dims.size() != info.shape.size()) {
      throw InvalidArgument(
          fmt::format("{}: input '{}' has shape {}, expected {} (rank {}, -1 = any size)", model,
                      t.name, shape_text(t.dims), shape_text(info.shape), info.shape.size()));
    }
    for (size_t d = 0; d < t.dims.size(); ++d) {
      if (info.shape[d] >= 0 && t.dims[d] != info.shape[d]) {
        throw InvalidArgument(
            fmt::format("{}: input '{}' has shape {}, expected {}: dimension {} is {}, not "
                        "{}",
                        model, t.name, shape_text(t.dims), shape_text(info.shape), d, t.dims[d],
                        info.shape[d]));
      }
      if (t.dims[d] < 1) {
        throw InvalidArgument(
            fmt::format("{}: input '{}' has shape {}: dimension {} (symbolic) must be at least 1",
                        model, t.name, shape_text(t.dims), d));
      }
    }
    const int64_t need = graph::numel(t.dims);
    if (t.stored() != need) {
      throw InvalidArgument(fmt::format("{}: input '{}' holds {} values, its shape {} needs {}",
                                        model, t.name, t.stored(), shape_text(t.dims), need));
    }
    if (t.type == ElementType::float32) {
      for (size_t e = 0; e < t.data.size(); ++e) {
        if (!std::isfinite(t.data[e])) {
          throw InvalidArgument(
              fmt::format("{}: input '{}' has a non-finite value ({}) at index {}", model, t.name,
                          t.data[e], e));
        }
      }
    } else if (t.type == ElementType::boolean) {
      for (size_t e = 0; e < t.ints.size(); ++e) {
        if (t.ints[e] != 0 && t.ints[e] != 1) {
          throw InvalidArgument(
              fmt::format("{}: bool input '{}' holds {} at index {}; bools are 0 or 1", model,
                          t.name, t.ints[e], e));
        }
      }
    }
  }
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!ordered[k])
      throw InvalidArgument(fmt::format("{}: input '{}' is missing", model, inputs[k].name));
  }
  return ordered;
}

std::vector<Tensor> Session::Impl::run(const std::vector<Tensor>& in,
                                       std::vector<double>* ms) const {
  const std::vector<const Tensor*> given = check_inputs(in);
  runtime::PlanCache::Key shapes;
  for (const Tensor* t : given) shapes.push_back(t->dims);
  const std::shared_ptr<const runtime::PlannedRun> planned = plans->get(shapes);
  const runtime::Plan& plan = planned->plan();
  const graph::Graph& g = plan.graph;
  std::unique_ptr<AlignedBuffer> arena = planned->take_arena();
  float* base = arena->data();
  for (const Tensor* t : given) {
    float* at = base + plan.offset[g.find_value(t->name)];
    if (t->type == ElementType::float32) {
      std::copy(t->data.begin(), t->data.end(), at);
    } else if (!t->ints.empty()) {
      std::memcpy(at, t->ints.data(), t->ints.size() * sizeof(int64_t));
    }
  }
  try {
    runtime::execute_plan(plan, base, base + plan.arena_floats, options.threads, ms);
  } catch (...) {
    planned->give_back(std::move(arena));
    throw;
  }
  std::vector<Tensor> out;
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const graph::Value& v = g.value(g.outputs[k]);
    Tensor t;
    t.name = v.name;
    t.dims = v.shape;
    const float* src = base + plan.offset[g.outputs[k]];
    const int64_t n = graph::numel(v.shape);
    if (v.type == graph::DataType::f32) {
      t.data.assign(src, src + n);
    } else {
      t.type = k < output_is_bool.size() && output_is_bool[k] ? ElementType::boolean
                                                              : ElementType::int64;
      t.ints.resize(static_cast<size_t>(n));
      if (n > 0) std::memcpy(t.ints.data(), src, static_cast<size_t>(n) * sizeof(int64_t));
    }
    out.push_back(std::move(t));
  }
  planned->give_back(std::move(arena));
  return out;
}

std::vector<Tensor> Session::run(const std::vector<Tensor>& inputs) const {
  return impl_->run(inputs, nullptr);
}

std::vector<Tensor> Session::run_profiled(const std::vector<Tensor>& inputs,
                                          std::vector<double>& ms) const {
  return impl_->run(inputs, &ms);
}

}  // namespace onexn
