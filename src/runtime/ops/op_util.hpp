// Helpers shared by the op families (elementwise, pooling, tensor, linear, normalization):
// attribute and input validation for infer functions, and a kernel built from a lambda.
//
// Conventions of the families that use these helpers:
// - infer validates everything a kernel relies on (ranks, shapes, attribute values, constant
//   inputs) and fails with a message naming the attribute or input and the value found;
// - create re-derives what the kernel needs from the graph (shapes are known by then) and
//   captures it by value: a kernel never keeps pointers into the graph;
// - kernels read the shapes captured at create time, not the views' shapes (they are equal).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/op.hpp"

namespace onexn::runtime::ops {

// Tensors above this many elements are worth splitting across threads.
inline constexpr int64_t kParallelMin = 64 * 1024;

// Fails for any attribute of `node` not in `known`: an attribute onexn does not implement must
// not be silently ignored.
void check_attrs(const graph::Graph& g, const graph::Node& node,
                 std::initializer_list<std::string_view> known);

// Fails unless the node has between `min` and `max` inputs (outputs) listed, the first `min` of
// them present; omitted optional ones (-1) count as listed.
void check_arity(const graph::Graph& g, const graph::Node& node, size_t min_inputs,
                 size_t max_inputs, size_t min_outputs, size_t max_outputs);

bool has_input(const graph::Node& node, size_t k);
bool has_output(const graph::Node& node, size_t k);

// Fails unless input k has type `t`; `role` names it ("input 0 (data)").
void require_type(const graph::Graph& g, const graph::Node& node, size_t k, DataType t,
                  std::string_view role);

// Constant data of input k, or nullptr when the input is omitted or not a constant.
const graph::Constant* constant_input(const graph::Graph& g, const graph::Node& node, size_t k);
// Integer values of input k, which must be a constant (fails otherwise; `role` names it).
std::vector<int64_t> constant_ints(const graph::Graph& g, const graph::Node& node, size_t k,
                                   std::string_view role);

// `axis` in [-rank, rank) normalised to [0, rank); fails naming `what` ("attribute 'axis'").
int64_t normalize_axis(const graph::Graph& g, const graph::Node& node, int64_t axis, int64_t rank,
                       std::string_view what);
// Each axis normalised; fails for out-of-range or repeated axes.
std::vector<int64_t> normalize_axes(const graph::Graph& g, const graph::Node& node,
                                    const std::vector<int64_t>& axes, int64_t rank,
                                    std::string_view what);

// a * b and a + b, failing (naming `what`) when the result overflows int64: attributes of a
// malformed model (pads, sizes, steps near INT64_MAX) must fail, not wrap around.
int64_t mul_checked(const graph::Graph& g, const graph::Node& node, int64_t a, int64_t b,
                    std::string_view what);
int64_t add_checked(const graph::Graph& g, const graph::Node& node, int64_t a, int64_t b,
                    std::string_view what);

// Row-major strides of `shape` in elements.
Shape strides_of(const Shape& shape);
int64_t product(const Shape& shape, size_t begin, size_t end);  // of shape[begin, end)

// Element pointers of a view, by type: view_ptr<float>(v) is v.f, view_ptr<int64_t>(v) is v.i.
template <typename T>
T* view_ptr(const TensorView& v) {
  if constexpr (std::is_same_v<T, float>) {
    return v.f;
  } else {
    return v.i;
  }
}

// Calls f(T{}) with T = float or int64_t according to `t`.
template <typename F>
decltype(auto) with_type(DataType t, F&& f) {
  if (t == DataType::f32) return f(float{});
  return f(int64_t{});
}

// memcpy that accepts null pointers when the size is zero (empty tensors have no data).
inline void copy_elems(void* dst, const void* src, int64_t bytes) {
  if (bytes > 0) std::memcpy(dst, src, static_cast<size_t>(bytes));
}

// A kernel whose run() is a lambda; `describe` says what runs.
using RunFn = std::function<void(std::span<const TensorView>, std::span<const TensorView>,
                                 const RunContext&)>;

class FnKernel final : public OpKernel {
 public:
  FnKernel(std::string description, RunFn fn, int64_t scratch = 0, std::vector<size_t> copied_inputs = {})
      : description_(std::move(description)), fn_(std::move(fn)), scratch_(scratch),
        copied_inputs_(std::move(copied_inputs)) {}
  void run(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
           const RunContext& ctx) const override {
    fn_(inputs, outputs, ctx);
  }
  int64_t scratch_floats() const override { return scratch_; }
  std::string describe() const override { return description_; }
  std::vector<size_t> copied_inputs() const override { return copied_inputs_; }

 private:
  std::string description_;
  RunFn fn_;
  int64_t scratch_;
  std::vector<size_t> copied_inputs_;
};

// copied_inputs: see OpKernel::copied_inputs (fn must not read them).
inline std::unique_ptr<OpKernel> make_kernel(std::string description, RunFn fn, int64_t scratch = 0,
                                             std::vector<size_t> copied_inputs = {}) {
  return std::make_unique<FnKernel>(std::move(description), std::move(fn), scratch, std::move(copied_inputs));
}

// A kernel that copies input 0 to output 0 (Identity, Reshape, Flatten, Squeeze, Unsqueeze).
std::unique_ptr<OpKernel> make_copy_kernel(const graph::Graph& g, const graph::Node& node,
                                           std::string description);

}  // namespace onexn::runtime::ops
