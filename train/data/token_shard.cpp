#include "train/data/token_shard.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"

namespace cairn::train {
namespace {

void put_le(unsigned char* p, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

std::uint64_t get_le(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::uint32_t token_width_for_vocab(std::uint64_t vocab_size) {
  if (vocab_size <= (1ULL << 8)) return 1;
  if (vocab_size <= (1ULL << 16)) return 2;
  return 4;
}

TokenShardWriter::TokenShardWriter(std::string path, std::uint32_t vocab_size)
    : path_(std::move(path)), vocab_size_(vocab_size), width_(token_width_for_vocab(vocab_size)) {
  if (vocab_size == 0) fail(path_, "token shard needs a vocabulary size above 0");
  file_ = std::make_unique<AtomicFile>(path_);
  const unsigned char zeros[kTokenShardHeaderBytes] = {};
  file_->write(zeros, sizeof zeros);
}

TokenShardWriter::~TokenShardWriter() = default;  // an unfinished AtomicFile removes its temporary

void TokenShardWriter::append(const std::uint32_t* tokens, std::size_t count) {
  if (!file_) fail(path_, "token shard already finished");
  std::vector<unsigned char> buf(count * width_);
  for (std::size_t i = 0; i < count; ++i) {
    if (tokens[i] >= vocab_size_)
      fail(path_, "token " + std::to_string(tokens[i]) + " (number " + std::to_string(count_ + i) +
                      ") is not below the vocabulary size " + std::to_string(vocab_size_));
    put_le(buf.data() + i * width_, tokens[i], static_cast<int>(width_));
  }
  file_->write(buf.data(), buf.size());
  count_ += count;
}

void TokenShardWriter::finish() {
  if (!file_) fail(path_, "token shard already finished");
  unsigned char h[kTokenShardHeaderBytes] = {};
  std::memcpy(h, kTokenShardMagic, sizeof kTokenShardMagic);
  put_le(h + 8, kTokenShardVersion, 4);
  put_le(h + 12, width_, 4);
  put_le(h + 16, count_, 8);
  put_le(h + 24, vocab_size_, 4);
  file_->write_at(0, h, sizeof h);
  file_->commit();
  file_.reset();
}

TokenShard::TokenShard(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(path_, "cannot open token shard (" + errno_text() + "); make one with 'cairn data'");
  try {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail(path_, "cannot stat token shard (" + errno_text() + ")");
    if (S_ISDIR(st.st_mode)) fail(path_, "is a directory; --data takes one token shard file from 'cairn data'");
    if (!S_ISREG(st.st_mode)) fail(path_, "not a regular file; --data takes a token shard file from 'cairn data'");
    file_bytes_ = static_cast<std::uint64_t>(st.st_size);
    if (file_bytes_ < kTokenShardHeaderBytes)
      fail(path_, "truncated token shard: " + std::to_string(file_bytes_) + " bytes, shorter than the " +
                      std::to_string(kTokenShardHeaderBytes) + "-byte header (re-create it with 'cairn data')");
    unsigned char h[kTokenShardHeaderBytes];
    read_bytes(0, h, sizeof h);
    if (std::memcmp(h, kTokenShardMagic, sizeof kTokenShardMagic) != 0)
      fail(path_, "not a Cairn token shard (the first 8 bytes are not \"CAIRNTOK\"); make one with 'cairn data'");
    const auto version = get_le(h + 8, 4);
    if (version != kTokenShardVersion)
      fail(path_, "token shard version " + std::to_string(version) + " is not supported; this cairn reads version " +
                      std::to_string(kTokenShardVersion) + " (re-create it with this cairn's 'cairn data')");
    width_ = static_cast<std::uint32_t>(get_le(h + 12, 4));
    if (width_ != 1 && width_ != 2 && width_ != 4)
      fail(path_, "token width " + std::to_string(width_) + " bytes is not 1, 2 or 4 (corrupt header)");
    count_ = get_le(h + 16, 8);
    vocab_size_ = static_cast<std::uint32_t>(get_le(h + 24, 4));
    const std::uint64_t body = file_bytes_ - kTokenShardHeaderBytes;
    if (count_ > body / width_ || count_ * width_ != body)
      fail(path_, "header says " + std::to_string(count_) + " tokens of " + std::to_string(width_) +
                      " bytes but the file holds " + std::to_string(body) + " bytes after the header (" +
                      (count_ > body / width_ ? "truncated" : "trailing bytes") + "; re-create it with 'cairn data')");
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

TokenShard::~TokenShard() { ::close(fd_); }

void TokenShard::read_bytes(std::uint64_t offset, unsigned char* out, std::size_t bytes) const {
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pread(fd_, out + done, bytes - done, static_cast<off_t>(offset + done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path_, "read failed (" + errno_text() + "); check the file system, then resume from the last checkpoint");
    // End of file before the bytes the header promised: the file was cut under us.
    struct stat st {};
    const std::string now = ::fstat(fd_, &st) == 0 ? std::to_string(st.st_size) : "fewer";
    fail(path_, "the token shard shrank from " + std::to_string(file_bytes_) + " to " + now +
                    " bytes while training read it; restore it and resume from the last checkpoint");
  }
}

std::uint32_t TokenShard::token(std::uint64_t i) const {
  if (i >= count_) fail(path_, "token index " + std::to_string(i) + " past the end (" + std::to_string(count_) + " tokens)");
  std::int32_t t = 0;
  read(i, 1, &t);
  return static_cast<std::uint32_t>(t);
}

void TokenShard::read(std::uint64_t first, std::uint64_t count, std::int32_t* out) const {
  if (first > count_ || count > count_ - first)
    fail(path_, "read of tokens [" + std::to_string(first) + ", " + std::to_string(first + count) +
                    ") past the end (" + std::to_string(count_) + " tokens)");
  if (width_ == 4) {  // little-endian ids straight into out, then put in host order
    read_bytes(kTokenShardHeaderBytes + first * 4, reinterpret_cast<unsigned char*>(out), count * 4);
    for (std::uint64_t j = 0; j < count; ++j)
      out[j] = static_cast<std::int32_t>(get_le(reinterpret_cast<const unsigned char*>(out + j), 4));
    return;
  }
  // Narrow ids are read into the tail of out and widened front to back in place: writing
  // out[j] overwrites only bytes of ids up to j, each already decoded.
  unsigned char* bytes = reinterpret_cast<unsigned char*>(out) + count * (4 - width_);
  read_bytes(kTokenShardHeaderBytes + first * width_, bytes, count * width_);
  for (std::uint64_t j = 0; j < count; ++j)
    out[j] = static_cast<std::int32_t>(get_le(bytes + j * width_, static_cast<int>(width_)));
}

}  // namespace cairn::train
