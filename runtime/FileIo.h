// Whole-file reads and crash-safe writes shared by the file formats.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace netc::runtime {

/// The whole contents of `path`. Throws IoError naming the file and the
/// system's reason if it cannot be opened or read.
std::vector<unsigned char> readFileBytes(const std::string &path);

/// Writes `size` bytes to `path` so that readers see either the old file or
/// the complete new one, never a partial write: the data goes to a temporary
/// file in the same directory, is flushed to disk, then renamed over `path`.
/// Throws IoError (and removes the temporary file) on failure.
void writeFileAtomically(const std::string &path, const void *data, size_t size);

} // namespace netc::runtime
