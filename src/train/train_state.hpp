// Torch-free helpers of the trainer: option parsing and checks, the run's state as JSON (the
// same document as metrics.json, also stored in checkpoints), the source commit.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "onexn/pattern.hpp"
#include "onexn/train.hpp"

namespace onexn::train {

// The pruning pattern of the options; nullopt for "dense".
std::optional<Pattern> pruning_pattern(const TrainOptions& options);
// The sparsity the run prunes to: --sparsity, or the pattern's own (N:M), or 0.5; 0 for dense.
double target_sparsity(const TrainOptions& options);

// Reads back what train_metrics_json wrote. Throws Error naming `what` for malformed text.
TrainResult parse_train_metrics(std::string_view json, const std::string& what);

// The options a checkpoint must agree with to be resumed: empty when `saved` and `now` agree,
// else "option --x: checkpoint has A, this run B" for the first difference.
std::string resume_mismatch(const TrainOptions& saved, const TrainOptions& now);

// `git describe --always --dirty` of the source tree the library was built from, or "".
std::string source_commit();

}  // namespace onexn::train
