// Checks of pruned weights written independently of the library's block code.
#pragma once

#include <string>
#include <vector>

#include "onexn/weight_shape.hpp"

namespace onexn::test {

// Expects `pruned` to be `original` with whole 1xN blocks (N consecutive rows of an ungrouped
// layer at one input channel, all taps; the last group shorter) zeroed: floor(blocks * p) of them,
// every other weight bit-identical. Assumes `original` has no all-zero block of its own.
void expect_exact_1xn(const std::vector<float>& original, const std::vector<float>& pruned,
                      const WeightShape& shape, int n, double p, const std::string& name);

}  // namespace onexn::test
