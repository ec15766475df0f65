#include "tests/reports/png_pixels.h"

#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace cairn::test {
namespace {

std::uint32_t big_endian(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

PngSummary summarize_png(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0) throw std::runtime_error(path + ": not a PNG");
  PngSummary s;
  std::vector<unsigned char> idat;
  for (std::size_t at = 8; at + 12 <= bytes.size();) {
    const std::uint32_t length = big_endian(&bytes[at]);
    const std::string type(reinterpret_cast<const char*>(&bytes[at + 4]), 4);
    if (at + 12 + length > bytes.size()) throw std::runtime_error(path + ": a chunk runs past the end");
    const unsigned char* data = &bytes[at + 8];
    if (type == "IHDR" && length >= 8) {
      s.width = big_endian(data);
      s.height = big_endian(data + 4);
    } else if (type == "IDAT") {
      idat.insert(idat.end(), data, data + length);
    }
    at += 12 + length;
  }
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw std::runtime_error("zlib: inflateInit failed");
  z.next_in = idat.data();
  z.avail_in = static_cast<uInt>(idat.size());
  std::array<bool, 256> seen{};
  std::vector<unsigned char> out(1 << 16);
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = out.size() - z.avail_out;
    s.inflated_bytes += produced;
    for (std::size_t k = 0; k < produced; ++k) seen[out[k]] = true;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error(path + ": its image data does not inflate");
  for (bool b : seen) s.distinct_byte_values += b;
  return s;
}

}  // namespace cairn::test
