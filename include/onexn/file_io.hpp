// Whole-file reads and all-or-nothing writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace onexn {

// Throws Error naming the file and the system's reason when it cannot be read.
std::vector<uint8_t> read_file(const std::filesystem::path& path);

// Writes to a temporary file in the same directory, flushes it, then renames it over `path`.
// Readers see the old file or the complete new one, never a partial one; on failure the temporary
// file is removed and Error names `path` and the reason.
void write_file_atomically(const std::filesystem::path& path, std::span<const uint8_t> bytes);
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace onexn
