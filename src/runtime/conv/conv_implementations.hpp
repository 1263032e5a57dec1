// The implementations of Conv and ConvTranspose, as one ordered list (fastest first, the scalar
// reference last), in the manner of oneDNN's implementation lists. Each entry says whether it
// applies to a layer before anything is built; the layer's kernel is chosen among the candidates
// of the entries that apply (conv_choice.hpp), so a valid model never fails for want of a kernel:
// the reference applies to everything.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/conv_params.hpp"
#include "onexn/pattern_stats.hpp"

namespace onexn::runtime {

// One conv layer as the implementations see it.
struct ConvLayer {
  bool transposed = false;
  ConvParams conv;                 // Conv: the geometry (unused for transposed layers)
  ConvTransposeParams transpose;   // ConvTranspose: the geometry
  std::vector<float> weights;      // conv layout, OIHW (ConvTranspose: conv_layout_weights)
  std::vector<float> onnx_weights; // ConvTranspose only: as stored, [c_in][c_out/g][kH][kW]
  std::vector<float> bias;         // c_out values, or empty
  Epilogue epilogue;               // bias (pointing into `bias`) and activation; residual per call
  bool has_residual = false;       // every call passes a residual (a fused Add)
  PatternStats stats;              // of `weights`
  int threads = 1;
  bool tune = true;                // candidates will be timed (build the extra variants)

  WeightShape weight_shape() const { return transposed ? transpose.weight_shape() : conv.weight_shape(); }
  int64_t input_numel() const { return transposed ? transpose.input_numel() : conv.input_numel(); }
  int64_t output_numel() const { return transposed ? transpose.output_numel() : conv.output_numel(); }
  int64_t dense_macs() const { return transposed ? transpose.dense_macs() : conv.dense_macs(); }
  std::string to_string() const { return transposed ? transpose.to_string() : conv.to_string(); }
};

// x, y, residual (null when none), threads, scratch.
using ConvRun = std::function<void(const float*, float*, const float*, int, float*)>;

// A way to run the layer, built only when chosen or timed.
struct ConvCandidate {
  std::string implementation;  // the list entry's name
  double predicted = 0;        // cost model: relative time (multiply-adds / measured rate)
  int block_size = 0;          // N of a 1xN kernel, else 0
  int variant = 0;             // tells apart candidates of one entry and N (e.g. the other work split)
  struct Built {
    std::string name;          // what runs, for tables: "1x16 sparse (AVX3 16x1 padded)"
    ConvRun run;
    int64_t scratch = 0;       // floats
    int64_t stored_weights = 0;  // floats (and indices) the implementation keeps
  };
  // Builds the implementation; nullopt when the library behind it turns the layer down (oneDNN
  // may have no kernel for a shape).
  std::function<std::optional<Built>()> build;
};

struct ConvImplementation {
  std::string_view name;  // "sparse", "csr", "depthwise", "onednn", "onednn-nchw", "ours-dense", "reference"
  bool dense;             // runs every weight (kept with SessionOptions::dense)
  // Empty when the implementation applies to the layer, otherwise why not.
  std::string (*declines)(const ConvLayer&);
  // Its candidates for a layer it applies to (none when it has nothing to offer, e.g. sparse
  // kernels for a dense layer).
  void (*candidates)(const ConvLayer&, std::vector<ConvCandidate>&);
};

// Fastest first, the reference last.
std::span<const ConvImplementation> conv_implementations();
const ConvImplementation* find_conv_implementation(std::string_view name);
// "sparse, csr, ..." for messages.
std::string conv_implementation_names();

}  // namespace onexn::runtime
