// Filter rearrangement for one producer -> consumer pair.
//
// A permutation `perm` lists old channel indices in their new order: new channel k is old channel
// perm[k]. Permuting a producer's output channels (weights, bias, BatchNorm vectors) and the
// consumer's input channels by the same perm leaves the pair's function unchanged; elementwise
// ops in between (BatchNorm, ReLU, ...) act per channel and commute with it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "onexn/weight_shape.hpp"

namespace onexn {

using Permutation = std::vector<int64_t>;

// Output filters ordered by descending L1 norm (sum |W[f][:][:][:]|); equal norms keep index order.
// The producer must have one group (a grouped conv ties its output channels to its groups).
Permutation filter_order_by_l1(ConstWeightView w);

// Throws InvalidArgument unless perm is a permutation of 0 .. size-1.
void check_permutation(std::span<const int64_t> perm, int64_t size);

// W'[k] = W[perm[k]] along output channels (rows). Requires one group.
void permute_output_channels(WeightView w, std::span<const int64_t> perm);
// v'[k] = v[perm[k]]: bias, BatchNorm scale / shift / mean / variance.
void permute_channels(std::span<float> v, std::span<const int64_t> perm);
// W'[:, k] = W[:, perm[k]] along input channels. Requires one group (a depthwise consumer is
// permuted along its output channels instead).
void permute_input_channels(WeightView w, std::span<const int64_t> perm);

}  // namespace onexn
