// Inputs for `onexn run` and `onexn bench`: read from a file, or fixed-seed random values.
#pragma once

#include <string>
#include <vector>

#include "onexn/session.hpp"
#include "onexn/tensor_file.hpp"

namespace onexn::cli {

// A .npy or .pb file; Error names the file when it is neither or is unreadable.
FloatTensor read_input_tensor(const std::string& path);

// One tensor per model input: a given tensor without a name (or with a name the model does not
// have, when the model has a single input) takes the model's single input name; inputs not given
// get fixed-seed values uniform in [-1, 1).
std::vector<FloatTensor> complete_inputs(const Session& session, std::vector<FloatTensor> given);

}  // namespace onexn::cli
