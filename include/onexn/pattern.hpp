// Sparsity patterns: what a mask may zero, written the way the CLI takes them.
//
//   "1xN"           N in {1,2,4,8,16,32}: blocks of N output channels x 1 input channel x all taps,
//                   scored by L1 norm; floor(num_blocks * p) lowest blocks are zeroed.
//   "balanced-1xN"  as 1xN, but every output group loses the same number, floor(c_in_per_group * p),
//                   so every group keeps the same count of blocks (equal work per group).
//   "unstructured"  single weights by magnitude; floor(numel * p) smallest are zeroed.
//   "filter"        whole output channels by L1 norm; floor(c_out * p) weakest are zeroed.
//   "N:M"           e.g. "2:4": of every M consecutive input channels (per output channel and tap)
//                   the N largest magnitudes are kept. Sparsity is fixed at 1 - N/M.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace onexn {

enum class PatternKind { one_by_n, balanced_one_by_n, unstructured, filter, n_of_m };

struct Pattern {
  PatternKind kind = PatternKind::one_by_n;
  int n = 4;  // block size for 1xN kinds; kept count for N:M
  int m = 0;  // group length for N:M

  static Pattern one_by_n(int n);
  static Pattern balanced_one_by_n(int n);
  static Pattern unstructured() { return {PatternKind::unstructured, 1, 0}; }
  static Pattern filter() { return {PatternKind::filter, 1, 0}; }
  static Pattern n_of_m(int n, int m);

  // Parses the forms above; throws InvalidArgument naming the text and the accepted forms.
  static Pattern parse(std::string_view text);
  std::string to_string() const;

  bool is_one_by_n() const {
    return kind == PatternKind::one_by_n || kind == PatternKind::balanced_one_by_n;
  }
  // The sparsity the pattern itself fixes (N:M), if any.
  std::optional<double> implied_sparsity() const;
  // Throws InvalidArgument unless p is a sparsity this pattern accepts: [0, 1), and 1 - N/M for N:M.
  void check_sparsity(double p) const;
  bool operator==(const Pattern&) const = default;
};

}  // namespace onexn
