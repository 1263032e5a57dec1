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

// Reads a .npy file of format version 1.0, 2.0 or 3.0 holding a C-order array of any shape, 0-d
// included, of dtype '<f4' or '<f8' (a float32 tensor; float64 is converted), '<i8' or '<i4' (an
// int64 tensor) or '|b1' (a bool tensor). The tensor's name is the file's stem ("images" for
// "data/images.npy"). Throws Error naming the file and what is wrong: not a .npy file,
// truncated, an unsupported dtype ('<f2', '>f4', structured), Fortran order, a header that is
// too long or malformed, a bool byte other than 0 / 1, or data whose size does not match the
// shape.
Tensor read_npy(const std::filesystem::path& path);

// Writes `tensor` as a version 1.0 .npy file in C order, dtype '<f4', '<i8' or '|b1' by its
// type, through a temporary file renamed over `path` (never a partial file). Throws
// InvalidArgument when the data does not match the dims, a dim is negative or a bool is not
// 0 / 1, Error when the file cannot be written.
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

// The same on bytes in memory. `what` names the data in error messages (read_npy passes the
// quoted path); the returned tensor has an empty name.
Tensor parse_npy(std::span<const uint8_t> bytes, const std::string& what);
std::vector<uint8_t> serialize_npy(const Tensor& tensor);

// Writes `tensor` as an ONNX TensorProto file (dims, name, raw_data; FLOAT, INT64 or BOOL by its
// type), the form read_tensor_pb reads, through a temporary file renamed over `path`. Throws
// InvalidArgument when the data does not match the dims, Error when the file cannot be written.
// (Declared here until it can move beside read_tensor_pb in tensor_file.hpp.)
void write_tensor_pb(const std::filesystem::path& path, const Tensor& tensor);

}  // namespace onexn
