// Inputs for `onexn run` and `onexn bench`: files and shapes named on the command line, and
// fixed-seed random values for the inputs given neither.
//
//   --input [NAME=]FILE      a .npy or ONNX TensorProto .pb file per input (repeatable)
//   --shape [NAME=]D,D,...   the shape of an input (repeatable), for symbolic dimensions
//
// NAME= may be left out when the model has one input; for a model with several, an unnamed file
// goes to the input its tensor is named after (the .pb tensor's name, the .npy file's stem).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "onexn/session.hpp"
#include "onexn/tensor_file.hpp"

namespace onexn::cli {

struct InputArgs {
  std::vector<std::string> inputs;  // --input values as given
  std::vector<std::string> shapes;  // --shape values as given
};

// Registers --input and --shape on `sub`, filling `args`.
void add_input_options(CLI::App* sub, InputArgs& args);

struct GivenInputs {
  std::vector<std::pair<std::string, Tensor>> files;                 // name ("" if unnamed), tensor
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;  // name ("" if unnamed), shape
};

// The batch to load a session with when --batch is not given: for a model with one input, dimension
// 0 of the file (else the shape) given for it when its rank is >= 2, so that a file of 4 images
// runs a model exported for 1; 0 (the model's) otherwise. `inputs` as model_inputs() reports them.
int64_t batch_of_given(const std::vector<TensorInfo>& inputs, const GivenInputs& given);

// Reads the files and parses the shapes. InvalidArgument (a usage error) for a malformed
// --shape or a file that is neither .npy nor .pb; Error for unreadable files.
GivenInputs read_given_inputs(const InputArgs& args);

// One tensor per model input, in the model's order: the file given for it, else fixed-seed random
// values (float32 uniform in [-1, 1); int64 and bool inputs zeros, which any index input
// accepts) of the shape given for it, else of the model's shape with a symbolic batch
// (dimension 0 of rank >= 2) taken as 1. InvalidArgument names the input for: a name the model
// does not have, an input given twice, an unnamed file or shape the model's inputs cannot tell
// apart, a file and a shape that disagree, and a symbolic dimension nothing gives a size.
std::vector<Tensor> complete_inputs(const Session& session, GivenInputs given);

}  // namespace onexn::cli
