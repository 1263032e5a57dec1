// Errors the library reports. Every message names what is wrong (file, node, tensor) and, where it
// applies, what was expected and what was found. The CLI prints the message as one line.
#pragma once

#include <stdexcept>
#include <string>

namespace onexn {

// A failure that is not the caller's choice of arguments: unreadable or malformed files, models the
// library cannot handle, I/O errors.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller asked for something invalid: an unknown pattern, N outside the supported list, a
// sparsity outside [0, 1), inconsistent shapes. The CLI maps this to exit code 2 (usage error).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

}  // namespace onexn
