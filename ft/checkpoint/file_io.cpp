#include "ft/checkpoint/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include <xxhash.h>

namespace cairn::ft {

static_assert(std::endian::native == std::endian::little,
              "checkpoints are little-endian; a big-endian host needs byte swapping here");

void corrupt(const std::string& path, const std::string& problem) {
  throw CorruptCheckpoint(path + ": " + problem +
                          "; the file is damaged; use an older checkpoint (cairn train --resume falls back to one)");
}

std::string hex64(std::uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

bool parse_hex64(const std::string& text, std::uint64_t& out) {
  if (text.size() != 16) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (d < 0) return false;
    v = v << 4 | static_cast<std::uint64_t>(d);
  }
  out = v;
  return true;
}

FileReader::FileReader(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    if (errno == ENOENT) corrupt(path, "cannot open (missing)");
    system_error("cannot open");
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) system_error("cannot stat");
  size_ = static_cast<std::uint64_t>(st.st_size);
}

FileReader::~FileReader() { ::close(fd_); }

bool FileReader::read_at(std::uint64_t offset, void* out, std::size_t bytes) const {
  char* p = static_cast<char*>(out);
  while (bytes > 0) {
    const ssize_t n = ::pread(fd_, p, bytes, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) system_error("read error at byte " + std::to_string(offset));
    if (n == 0) return false;
    p += n;
    offset += static_cast<std::uint64_t>(n);
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

void FileReader::system_error(const std::string& what) const {
  fail(path_, what + " (" + std::strerror(errno) +
                  "): not damage, so the file was left in place; give this user read access to it (or fix "
                  "the storage) and run again");
}

void encode_preamble(const Preamble& p, char out[kPreambleBytes]) {
  std::memcpy(out, p.magic.data(), p.magic.size());
  std::memcpy(out + 8, &p.version, 4);
  std::memcpy(out + 12, &p.header_bytes, 4);
  std::memcpy(out + 16, &p.header_hash, 8);
}

Preamble read_preamble(const FileReader& in) {
  char raw[kPreambleBytes];
  if (in.size() < kPreambleBytes || !in.read_at(0, raw, kPreambleBytes))
    corrupt(in.path(), "truncated: " + std::to_string(in.size()) + " bytes, shorter than the " +
                           std::to_string(kPreambleBytes) + "-byte preamble");
  Preamble p;
  std::memcpy(p.magic.data(), raw, p.magic.size());
  std::memcpy(&p.version, raw + 8, 4);
  std::memcpy(&p.header_bytes, raw + 12, 4);
  std::memcpy(&p.header_hash, raw + 16, 8);
  return p;
}

std::string read_header_text(const FileReader& in, const Preamble& p) {
  if (p.header_bytes > kMaxHeaderBytes || kPreambleBytes + p.header_bytes > in.size())
    corrupt(in.path(), "truncated or damaged: header of " + std::to_string(p.header_bytes) + " bytes in a " +
                           std::to_string(in.size()) + "-byte file");
  std::string text(p.header_bytes, '\0');
  if (!in.read_at(kPreambleBytes, text.data(), text.size())) corrupt(in.path(), "truncated in the header");
  const std::uint64_t h = XXH3_64bits(text.data(), text.size());
  if (h != p.header_hash)
    corrupt(in.path(), "header checksum mismatch (stored " + hex64(p.header_hash) + ", computed " + hex64(h) + ")");
  return text;
}

}  // namespace cairn::ft
