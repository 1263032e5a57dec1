#include "model_inputs.hpp"

#include <algorithm>
#include <filesystem>
#include <random>

#include "onexn/error.hpp"
#include "onexn/npy.hpp"

namespace onexn::cli {

FloatTensor read_input_tensor(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") return read_npy(path);
  if (ext == ".pb") return read_tensor_pb(path);
  throw InvalidArgument("--input '" + path + "': expected a .npy or .pb file");
}

std::vector<FloatTensor> complete_inputs(const Session& session, std::vector<FloatTensor> given) {
  if (given.size() == 1 && session.inputs().size() == 1) given[0].name = session.inputs()[0].name;
  std::vector<FloatTensor> out;
  std::mt19937 rng(20261127);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const TensorInfo& info : session.inputs()) {
    auto it = std::find_if(given.begin(), given.end(), [&](const FloatTensor& t) { return t.name == info.name; });
    if (it != given.end()) {
      out.push_back(std::move(*it));
      continue;
    }
    FloatTensor t;
    t.name = info.name;
    t.dims = info.shape;
    t.data.resize(t.numel());
    for (float& v : t.data) v = uniform(rng);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace onexn::cli
