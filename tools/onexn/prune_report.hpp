// The report of `onexn prune`: per pruned layer, its pattern and sparsity and the share of its
// L1 mass kept with and without filter rearrangement; and the channel sets rearrangement saw.
#pragma once

#include <iosfwd>
#include <string>

#include "onexn/model_pruning.hpp"

namespace onexn::cli {

void print_prune_report(std::ostream& out, const PruneResult& result, RearrangeMode mode);

// The same as one JSON document (written by --report FILE.json).
std::string prune_report_json(const PruneResult& result, const PruneOptions& options,
                              const std::string& input, const std::string& output);

}  // namespace onexn::cli
