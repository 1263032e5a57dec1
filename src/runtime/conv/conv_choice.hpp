// Choosing a conv layer's implementation among the candidates of the entries of
// conv_implementations() that apply: by the cost model, or by timing the candidates on the layer's
// own shape at load (`tune`), unless the tuning cache already holds the choice for the layer's key.
#pragma once

#include <string>

#include "runtime/conv/conv_implementations.hpp"

namespace onexn::runtime {

class TuningCache;

struct ConvChoiceOptions {
  bool dense_only = false;  // only implementations that run every weight (--dense)
  bool tune = true;
  // An implementation's name: the layer runs on it when it applies (and offers a candidate);
  // otherwise the choice is made as without it. Empty: no preference.
  std::string force;
  // With tune: the choices timed before (reused when their candidate still builds), and where
  // new timings go. Null: time every layer.
  TuningCache* tuning = nullptr;
};

struct ConvChoice {
  std::string implementation;
  int block_size = 0;
  ConvCandidate::Built built;
  // "timed", "cached" (from the tuning cache's file), "shared" (timed for a layer of the same key
  // in this session), or empty when nothing was to be timed (tune off, or a single candidate).
  std::string tuning;
};

// Throws Error when nothing can run the layer (cannot happen while the reference applies).
ConvChoice choose_conv(const ConvLayer& layer, const ConvChoiceOptions& options);

}  // namespace onexn::runtime
