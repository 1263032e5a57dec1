// Choosing a conv layer's implementation among the candidates of the entries of
// conv_implementations() that apply: by the cost model, or by timing the candidates on the layer's
// own shape at load (`tune`).
#pragma once

#include <string>

#include "runtime/conv/conv_implementations.hpp"

namespace onexn::runtime {

struct ConvChoiceOptions {
  bool dense_only = false;  // only implementations that run every weight (--dense)
  bool tune = true;
  // An implementation's name: the layer runs on it when it applies (and offers a candidate);
  // otherwise the choice is made as without it. Empty: no preference.
  std::string force;
};

struct ConvChoice {
  std::string implementation;
  int block_size = 0;
  ConvCandidate::Built built;
};

// Throws Error when nothing can run the layer (cannot happen while the reference applies).
ConvChoice choose_conv(const ConvLayer& layer, const ConvChoiceOptions& options);

}  // namespace onexn::runtime
