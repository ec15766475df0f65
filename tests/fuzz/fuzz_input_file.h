// For fuzz targets whose parser reads a path: one file per fuzzing process, rewritten with
// each input.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cairn::fuzz {

// /tmp/cairn_fuzz_<name>_<pid><suffix>, the same path for every input of this process.
inline std::string input_path(const std::string& name, const std::string& suffix) {
  return "/tmp/cairn_fuzz_" + name + "_" + std::to_string(::getpid()) + suffix;
}

// Replaces the file's contents with the input (an empty input leaves an empty file).
inline void write_input(const std::string& path, const std::uint8_t* data, std::size_t size) {
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    if (size > 0) std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
}

}  // namespace cairn::fuzz
