#include "onexn/pattern.hpp"

#include <charconv>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "onexn/block_grid.hpp"
#include "onexn/error.hpp"

namespace onexn {
namespace {

constexpr const char* kAccepted =
    "expected 1xN (N in 1,2,4,8,16,32), balanced-1xN, unstructured, filter or N:M such as 2:4";

bool parse_int(std::string_view s, int& out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;  // "1x04" is not a pattern
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

Pattern Pattern::one_by_n(int n) {
  if (!is_supported_block_size(n)) {
    throw InvalidArgument("pattern 1x" + std::to_string(n) +
                          ": N must be one of 1, 2, 4, 8, 16, 32");
  }
  return {PatternKind::one_by_n, n, 0};
}

Pattern Pattern::balanced_one_by_n(int n) {
  Pattern p = one_by_n(n);
  p.kind = PatternKind::balanced_one_by_n;
  return p;
}

Pattern Pattern::n_of_m(int n, int m) {
  if (m < 2 || m > 64 || n < 1 || n >= m) {
    throw InvalidArgument("pattern " + std::to_string(n) + ":" + std::to_string(m) +
                          ": expected 1 <= N < M <= 64");
  }
  return {PatternKind::n_of_m, n, m};
}

Pattern Pattern::parse(std::string_view text) {
  const std::string shown(text);
  if (text == "unstructured") return unstructured();
  if (text == "filter") return filter();
  int n = 0;
  constexpr std::string_view kBalanced = "balanced-";
  const bool balanced = text.starts_with(kBalanced);
  std::string_view rest = balanced ? text.substr(kBalanced.size()) : text;
  if (rest.starts_with("1x") && parse_int(rest.substr(2), n)) {
    if (!is_supported_block_size(n)) {
      throw InvalidArgument("pattern '" + shown + "': N=" + std::to_string(n) +
                            " is not supported (expected one of 1, 2, 4, 8, 16, 32)");
    }
    return balanced ? balanced_one_by_n(n) : one_by_n(n);
  }
  if (const size_t colon = text.find(':'); !balanced && colon != std::string_view::npos) {
    int m = 0;
    if (parse_int(text.substr(0, colon), n) && parse_int(text.substr(colon + 1), m)) {
      return n_of_m(n, m);
    }
  }
  throw InvalidArgument("unknown pattern '" + shown + "': " + kAccepted);
}

std::string Pattern::to_string() const {
  switch (kind) {
    case PatternKind::one_by_n: return "1x" + std::to_string(n);
    case PatternKind::balanced_one_by_n: return "balanced-1x" + std::to_string(n);
    case PatternKind::unstructured: return "unstructured";
    case PatternKind::filter: return "filter";
    case PatternKind::n_of_m: return std::to_string(n) + ":" + std::to_string(m);
  }
  return "?";
}

std::optional<double> Pattern::implied_sparsity() const {
  if (kind == PatternKind::n_of_m) return 1.0 - double(n) / double(m);
  return std::nullopt;
}

void Pattern::check_sparsity(double p) const {
  if (!(p >= 0.0 && p < 1.0)) {
    throw InvalidArgument(fmt::format("sparsity {} is outside [0, 1)", p));
  }
  if (auto implied = implied_sparsity(); implied && std::abs(*implied - p) > 1e-9) {
    throw InvalidArgument(fmt::format("pattern {} fixes the sparsity at {}, got {}", to_string(),
                                      *implied, p));
  }
}

}  // namespace onexn
