// Single tensors stored as NumPy .npy files: the inputs and outputs of `onexn run`.
//
// Layout (numpy.lib.format): the magic "\x93NUMPY", the format version (major, minor bytes), the
// header length (uint16 LE in 1.0, uint32 LE in 2.0 and 3.0), the header — a Python dict literal
// such as {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), } padded with
// spaces to a multiple of 64 bytes and ended by '\n' — then the data, row-major.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "onexn/tensor_file.hpp"

namespace onexn {

// Reads a .npy file of format version 1.0, 2.0 or 3.0 holding a C-order array of dtype '<f4' or
// '<f8' (float64 is converted to float32) of any shape, 0-d included. The tensor's name is the
// file's stem ("images" for "data/images.npy"). Throws Error naming the file and what is wrong:
// not a .npy file, truncated, an unsupported dtype ('<i8', '>f4', structured), Fortran order, a
// header that is too long or malformed, or data whose size does not match the shape.
FloatTensor read_npy(const std::filesystem::path& path);

// Writes `tensor` as a version 1.0 .npy file, dtype '<f4', C order, through a temporary file
// renamed over `path` (never a partial file). Throws InvalidArgument when the data does not match
// the dims or a dim is negative, Error when the file cannot be written.
void write_npy(const std::filesystem::path& path, const FloatTensor& tensor);

// The same on bytes in memory. `what` names the data in error messages (read_npy passes the
// quoted path); the returned tensor has an empty name.
FloatTensor parse_npy(std::span<const uint8_t> bytes, const std::string& what);
std::vector<uint8_t> serialize_npy(const FloatTensor& tensor);

// Writes `tensor` as a float32 ONNX TensorProto file (dims, name, raw_data), the form
// read_tensor_pb reads, through a temporary file renamed over `path`. Throws InvalidArgument when
// the data does not match the dims, Error when the file cannot be written.
// (Declared here until it can move beside read_tensor_pb in tensor_file.hpp.)
void write_tensor_pb(const std::filesystem::path& path, const FloatTensor& tensor);

}  // namespace onexn
