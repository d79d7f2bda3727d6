// NumPy .npy files (format versions 1.0 and 2.0), float32 C-order (int32 read as exact floats).
//
// .npy is how netc exchanges tensors with Python: test inputs, reference
// outputs from PyTorch, dumped activations. Files are treated as untrusted:
// every header field is checked and errors say which file and what is wrong.
#pragma once

#include "runtime/NamedTensor.h"

#include <cstddef>
#include <string>
#include <vector>

namespace netc::runtime {

/// Reads a '<f4', fortran_order False .npy file; int32 ('<i4', e.g. class
/// labels) is accepted too and converted exactly (|v| <= 2^24), and float64
/// ('<f8', e.g. reference losses) rounded to float32. The tensor's name is the
/// file name without directory and ".npy" suffix. Throws IoError.
NamedTensor readNpy(const std::string &path);

/// Parses the bytes of a .npy file; `what` names it in error messages.
NamedTensor parseNpy(const unsigned char *bytes, size_t size, const std::string &what);

/// The bytes of a .npy file holding `data` (elementCount(shape) floats).
/// Uses format 1.0 unless the header needs 2.0.
std::vector<unsigned char> encodeNpy(const std::vector<int64_t> &shape, const float *data);

/// Writes a .npy file atomically (see writeFileAtomically). Throws IoError,
/// also if t.data.size() does not match t.shape.
void writeNpy(const std::string &path, const NamedTensor &t);
void writeNpy(const std::string &path, const std::vector<int64_t> &shape, const float *data);

} // namespace netc::runtime
