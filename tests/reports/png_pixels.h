// Just enough of PNG to tell a screenshot with content from a blank one: the size from
// IHDR and the image data inflated (zlib), whose distinct byte values a blank page keeps
// to a handful.
#pragma once

#include <cstddef>
#include <string>

namespace cairn::test {

struct PngSummary {
  std::size_t width = 0, height = 0;
  std::size_t inflated_bytes = 0;
  std::size_t distinct_byte_values = 0;  // over the inflated scanlines (filter bytes included)
};

// Throws std::runtime_error for a file that is not a PNG or whose data does not inflate.
PngSummary summarize_png(const std::string& path);

}  // namespace cairn::test
