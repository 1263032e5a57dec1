#include "model_inputs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <random>

#include "onexn/error.hpp"
#include "onexn/npy.hpp"

namespace onexn::cli {
namespace {

namespace fs = std::filesystem;

Tensor read_input_file(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".npy") return read_npy(path);
  if (ext == ".pb") return read_tensor_pb(path);
  throw InvalidArgument("--input '" + path + "': expected a .npy or .pb file");
}

// "NAME=FILE" or "FILE": a value that is an existing file is a plain FILE even with a '=' in it.
std::pair<std::string, std::string> split_input(const std::string& value) {
  const size_t eq = value.find('=');
  if (eq == std::string::npos || fs::exists(value)) return {"", value};
  return {value.substr(0, eq), value.substr(eq + 1)};
}

// "NAME=1,3,640,640" or "1,3,640,640"; the dims are after the last '=' (a name may hold one).
std::pair<std::string, std::vector<int64_t>> parse_shape(const std::string& value) {
  const size_t eq = value.rfind('=');
  const std::string name = eq == std::string::npos ? "" : value.substr(0, eq);
  const std::string dims = eq == std::string::npos ? value : value.substr(eq + 1);
  std::vector<int64_t> shape;
  size_t at = 0;
  while (true) {
    const size_t comma = std::min(dims.find(',', at), dims.size());
    int64_t d = 0;
    const char* first = dims.data() + at;
    const char* last = dims.data() + comma;
    const auto [end, ec] = std::from_chars(first, last, d);
    if (first == last || ec != std::errc() || end != last || d < 1) {
      throw InvalidArgument(
          fmt::format("--shape '{}': expected [NAME=]D,D,... with every size an integer "
                      ">= 1",
                      value));
    }
    shape.push_back(d);
    if (comma == dims.size()) break;
    at = comma + 1;
  }
  if (eq != std::string::npos && name.empty()) {
    throw InvalidArgument(fmt::format("--shape '{}': the name before '=' is empty", value));
  }
  return {name, shape};
}

std::string input_names(const Session& s) {
  std::string names;
  for (const auto& i : s.inputs()) names += (names.empty() ? "'" : ", '") + i.name + "'";
  return names;
}

std::string dims_text(const std::vector<int64_t>& d) {
  return fmt::format("[{}]", fmt::join(d, ", "));
}

// The model input an option value is for: `name`, or the single input when it is empty (for a
// file, also the input named as its tensor is). InvalidArgument when there is none.
const TensorInfo& target(const Session& s, const std::string& name, const std::string& option,
                         const std::string& value, const std::string& tensor_name = "") {
  const auto& inputs = s.inputs();
  auto named = [&](const std::string& n) {
    return std::find_if(inputs.begin(), inputs.end(),
                        [&](const TensorInfo& i) { return i.name == n; });
  };
  if (!name.empty()) {
    auto it = named(name);
    if (it == inputs.end()) {
      throw InvalidArgument(fmt::format("{} '{}': the model has no input '{}' (its inputs: {})",
                                        option, value, name, input_names(s)));
    }
    return *it;
  }
  if (inputs.size() == 1) return inputs.front();
  if (!tensor_name.empty() && named(tensor_name) != inputs.end()) return *named(tensor_name);
  throw InvalidArgument(fmt::format("{} '{}': the model has {} inputs ({}); say which: {} NAME={}",
                                    option, value, inputs.size(), input_names(s), option, value));
}

}  // namespace

void add_input_options(CLI::App* sub, InputArgs& args) {
  sub->add_option(
      "--input", args.inputs,
      "[NAME=]FILE: an input tensor (.npy or ONNX TensorProto .pb), repeatable; inputs not "
      "given get fixed-seed random values");
  sub->add_option(
      "--shape", args.shapes,
      "[NAME=]D,D,...: the shape of an input (e.g. images=1,3,640,640), repeatable; sets "
      "symbolic dimensions");
}

int64_t batch_of_given(const std::vector<TensorInfo>& inputs, const GivenInputs& given) {
  if (inputs.size() != 1) return 0;
  for (const auto& [name, t] : given.files)
    if ((name.empty() || name == inputs[0].name) && t.dims.size() >= 2) return t.dims[0];
  for (const auto& [name, shape] : given.shapes)
    if ((name.empty() || name == inputs[0].name) && shape.size() >= 2) return shape[0];
  return 0;
}

GivenInputs read_given_inputs(const InputArgs& args) {
  GivenInputs given;
  for (const std::string& value : args.shapes) given.shapes.push_back(parse_shape(value));
  for (const std::string& value : args.inputs) {
    auto [name, path] = split_input(value);
    if (path.empty()) throw InvalidArgument(fmt::format("--input '{}': no file after '='", value));
    given.files.emplace_back(name, read_input_file(path));
  }
  return given;
}

std::vector<Tensor> complete_inputs(const Session& session, GivenInputs given) {
  std::map<std::string, Tensor> files;
  std::map<std::string, std::vector<int64_t>> shapes;
  for (size_t k = 0; k < given.files.size(); ++k) {
    auto& [name, t] = given.files[k];
    const std::string label = name.empty() ? t.name : name + "=" + t.name;
    const TensorInfo& info = target(session, name, "--input", label, t.name);
    if (files.count(info.name))
      throw InvalidArgument(fmt::format("--input: input '{}' given twice", info.name));
    t.name = info.name;
    files.emplace(info.name, std::move(t));
  }
  for (const auto& [name, shape] : given.shapes) {
    const std::string label =
        (name.empty() ? "" : name + "=") + fmt::format("{}", fmt::join(shape, ","));
    const TensorInfo& info = target(session, name, "--shape", label);
    if (shapes.count(info.name))
      throw InvalidArgument(fmt::format("--shape: input '{}' given twice", info.name));
    if (files.count(info.name) && files.at(info.name).dims != shape) {
      throw InvalidArgument(fmt::format("input '{}': --shape says {}, the --input file holds {}",
                                        info.name, dims_text(shape),
                                        dims_text(files.at(info.name).dims)));
    }
    shapes.emplace(info.name, shape);
  }
  std::vector<Tensor> out;
  std::mt19937 rng(20261127);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const TensorInfo& info : session.inputs()) {
    if (files.count(info.name)) {
      out.push_back(std::move(files.at(info.name)));
      continue;
    }
    Tensor t;
    t.name = info.name;
    t.type = info.type;
    if (shapes.count(info.name)) {
      t.dims = shapes.at(info.name);
    } else {
      t.dims = info.shape;
      if (t.dims.size() >= 2 && t.dims[0] < 0) t.dims[0] = 1;  // a symbolic batch: one image
      for (size_t d = 0; d < t.dims.size(); ++d) {
        if (t.dims[d] < 0) {
          throw InvalidArgument(
              fmt::format("input '{}' has shape {} with dimension {} symbolic; give its size "
                          "with --shape {}=D,D,... or an --input file",
                          info.name, dims_text(info.shape), d, info.name));
        }
      }
    }
    if (t.type == ElementType::float32) {
      t.data.resize(t.numel());
      for (float& v : t.data) v = uniform(rng);
    } else {
      t.ints.assign(t.numel(), 0);
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace onexn::cli
