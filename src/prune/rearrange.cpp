#include "onexn/rearrange.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "onexn/error.hpp"

namespace onexn {
namespace {

void require_one_group(const WeightShape& s, const char* what) {
  if (s.groups != 1) {
    throw InvalidArgument(std::string(what) + ": weights " + s.to_string() +
                          " are grouped; only ungrouped layers can be permuted this way");
  }
}

}  // namespace

Permutation filter_order_by_l1(ConstWeightView w) {
  require_one_group(w.shape, "filter_order_by_l1");
  const int64_t row = w.shape.c_in_per_group * w.shape.taps();
  std::vector<double> l1(w.shape.c_out, 0.0);
  for (int64_t o = 0; o < w.shape.c_out; ++o)
    for (int64_t i = 0; i < row; ++i) l1[o] += std::abs(w.data[o * row + i]);
  Permutation perm(w.shape.c_out);
  std::iota(perm.begin(), perm.end(), int64_t{0});
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return l1[a] > l1[b]; });
  return perm;
}

void check_permutation(std::span<const int64_t> perm, int64_t size) {
  if (static_cast<int64_t>(perm.size()) != size) {
    throw InvalidArgument("permutation has " + std::to_string(perm.size()) + " entries, expected " +
                          std::to_string(size));
  }
  std::vector<uint8_t> seen(size, 0);
  for (int64_t p : perm) {
    if (p < 0 || p >= size || seen[p]) {
      throw InvalidArgument("permutation entry " + std::to_string(p) +
                            " is out of range or repeated (size " + std::to_string(size) + ")");
    }
    seen[p] = 1;
  }
}

void permute_output_channels(WeightView w, std::span<const int64_t> perm) {
  require_one_group(w.shape, "permute_output_channels");
  check_permutation(perm, w.shape.c_out);
  const int64_t row = w.shape.c_in_per_group * w.shape.taps();
  const std::vector<float> old(w.data, w.data + w.shape.numel());
  for (int64_t k = 0; k < w.shape.c_out; ++k)
    std::copy_n(old.data() + perm[k] * row, row, w.data + k * row);
}

void permute_channels(std::span<float> v, std::span<const int64_t> perm) {
  check_permutation(perm, static_cast<int64_t>(v.size()));
  const std::vector<float> old(v.begin(), v.end());
  for (size_t k = 0; k < v.size(); ++k) v[k] = old[perm[k]];
}

void permute_input_channels(WeightView w, std::span<const int64_t> perm) {
  require_one_group(w.shape, "permute_input_channels");
  check_permutation(perm, w.shape.c_in_per_group);
  const int64_t taps = w.shape.taps();
  const std::vector<float> old(w.data, w.data + w.shape.numel());
  for (int64_t o = 0; o < w.shape.c_out; ++o)
    for (int64_t k = 0; k < w.shape.c_in_per_group; ++k)
      std::copy_n(old.data() + w.shape.index(o, perm[k], 0, 0), taps, w.data + w.shape.index(o, k, 0, 0));
}

}  // namespace onexn
