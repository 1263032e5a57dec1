// Prune an ONNX CNN with 1xN blocks and run the pruned model: onexn::prune and onexn::runtime.
//
//   prune_and_run MODEL.onnx OUT.onnx [N] [SPARSITY]
//
// Rearranges filters across the graph, prunes the default layer set 1xN (default 1x4 at 0.5),
// saves OUT.onnx, and runs it once on a test pattern, printing the layers pruned and the top
// score. Built against the installed package by tests (scripts/check-install.sh).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "onexn/error.hpp"
#include "onexn/model_pruning.hpp"
#include "onexn/session.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.onnx OUT.onnx [N] [SPARSITY]\n", argv[0]);
    return 2;
  }
  try {
    onexn::OnnxModel model = onexn::OnnxModel::load(argv[1]);
    onexn::PruneOptions options;
    options.pattern = onexn::Pattern::parse("1x" + std::string(argc > 3 ? argv[3] : "4"));
    options.sparsity = argc > 4 ? std::atof(argv[4]) : 0.5;
    options.rearrange = onexn::RearrangeMode::graph;
    const onexn::PruneResult result = onexn::prune_model(model, options);
    model.save(argv[2]);

    const onexn::Session session = onexn::Session::load(argv[2]);
    const onexn::TensorInfo& info = session.inputs().front();
    onexn::Tensor input{.name = info.name, .dims = info.shape};
    for (size_t d = 0; d < input.dims.size(); ++d)
      if (input.dims[d] < 0) input.dims[d] = d == 0 ? 1 : 224;
    input.data.resize(input.numel());
    for (size_t i = 0; i < input.data.size(); ++i) input.data[i] = float(i % 251) / 251.0f - 0.5f;
    const onexn::Tensor out = session.run({input}).front();
    const auto top = std::max_element(out.data.begin(), out.data.end());
    std::printf("pruned %d layers (%lld weights zeroed); top class %ld: %.4f\n", result.pruned_layers,
                static_cast<long long>(result.pruned_weights), long(top - out.data.begin()), *top);
    return 0;
  } catch (const onexn::Error& e) {
    std::fprintf(stderr, "prune_and_run: %s\n", e.what());
    return 1;
  }
}
