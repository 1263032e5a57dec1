// A minimal use of the onexn library: load an ONNX classifier, run it on one input, print the
// five highest scores.
//
//   classify MODEL.onnx [THREADS]
//
// Built by CMake as `onexn_example_classify` and run by the tests on ResNet-18.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <numeric>

#include "onexn/error.hpp"
#include "onexn/session.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx [THREADS]\n", argv[0]);
    return 2;
  }
  try {
    onexn::SessionOptions options;
    options.threads = argc > 2 ? std::atoi(argv[2]) : 1;
    const onexn::Session session = onexn::Session::load(argv[1], options);

    // One input, named and shaped as the model declares it (a dimension the model leaves
    // symbolic, -1, is ours to choose: 1 for the batch, 224 for the others); a smooth test
    // pattern as data.
    const onexn::TensorInfo& info = session.inputs().front();
    onexn::Tensor input;
    input.name = info.name;
    input.dims = info.shape;
    for (size_t d = 0; d < input.dims.size(); ++d)
      if (input.dims[d] < 0) input.dims[d] = d == 0 ? 1 : 224;
    input.data.resize(input.numel());
    for (size_t i = 0; i < input.data.size(); ++i) input.data[i] = float(i % 251) / 251.0f - 0.5f;

    const std::vector<onexn::Tensor> outputs = session.run({input});
    const onexn::Tensor& scores = outputs.front();
    std::vector<size_t> order(scores.data.size());
    std::iota(order.begin(), order.end(), size_t{0});
    const size_t k = std::min<size_t>(5, order.size());
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](size_t a, size_t b) { return scores.data[a] > scores.data[b]; });
    std::printf("%s: %zu layers\n", argv[1], session.layers().size());
    for (size_t i = 0; i < k; ++i) std::printf("class %zu: %.4f\n", order[i], scores.data[order[i]]);
    return 0;
  } catch (const onexn::Error& e) {
    std::fprintf(stderr, "classify: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "classify: unexpected error: %s\n", e.what());
    return 1;
  }
}
