// One-node graphs for testing the runtime's ops: inputs (run-time or constant), attributes, then
// infer + create + run (or the loader's infer_and_fold), and small tensor helpers for the
// reference implementations the tests compare against.
#pragma once

#include <cstdint>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "graph/ir.hpp"
#include "runtime/op.hpp"

namespace onexn::test {

using graph::Constant;
using graph::DataType;
using graph::Shape;

Constant floats(Shape shape, std::vector<float> values);
Constant ints(Shape shape, std::vector<int64_t> values);
// Uniform values in [-1, 1) (or [lo, hi)) from `seed`.
Constant random_floats(Shape shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f);

class OneNode {
 public:
  explicit OneNode(std::string op, int64_t opset = 13);

  OneNode& input(Constant data);                  // a run-time input (what the graph is run on)
  OneNode& constant(Constant data);               // a constant input (initializer)
  OneNode& omitted();                             // an omitted optional input ("")
  OneNode& outputs(int n);                        // number of outputs (default 1)
  OneNode& omit_output(int k);                    // output k omitted ("")
  bool empty() const { return inputs_.empty(); }  // no inputs yet

  // New data for input k, which stays run-time or constant.
  OneNode& replace_input(size_t k, Constant data);

  OneNode& attr(const std::string& name, int64_t v);
  OneNode& attr(const std::string& name, int v) { return attr(name, int64_t{v}); }
  OneNode& attr(const std::string& name, float v);
  OneNode& attr(const std::string& name, std::vector<int64_t> v);
  OneNode& attr(const std::string& name, std::vector<float> v);
  OneNode& attr_value(const std::string& name, graph::Attribute a);  // any kind (tensors)
  OneNode& attr(const std::string& name, const std::string& v);
  OneNode& attr(const std::string& name, const char* v) { return attr(name, std::string(v)); }

  // The graph with the node, inferred (throws onexn::Error as infer does).
  graph::Graph inferred() const;
  // Output shapes after infer.
  std::vector<Shape> shapes() const;
  // infer, create, run with `threads`; the outputs (omitted ones empty). Outputs that infer made
  // constants (Shape) are returned as infer set them, after checking the kernel writes the same.
  std::vector<Constant> run(int threads = 1) const;
  Constant run1(int threads = 1) const { return run(threads).at(0); }
  // The loader's path: every input a constant, runtime::infer_and_fold, the outputs' constants.
  std::vector<Constant> fold() const;
  // The kernel's describe().
  std::string describe() const;

 private:
  graph::Graph build(bool all_constant) const;

  struct In {
    Constant data;
    bool constant = false;
    bool omitted = false;
  };
  std::string op_;
  int64_t opset_;
  std::vector<In> inputs_;
  std::vector<bool> outputs_{true};
  std::map<std::string, graph::Attribute> attrs_;
};

// The message of the onexn::Error that `f` throws, or "" when it throws none.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// Row-major multi-index helpers for the reference implementations.
std::vector<int64_t> unravel(int64_t index, const Shape& shape);
int64_t ravel(const std::vector<int64_t>& index, const Shape& shape);

// max |a - b| / max |b| over float tensors of equal shape (inf when shapes differ).
double rel_error(const Constant& a, const Constant& b);

}  // namespace onexn::test
