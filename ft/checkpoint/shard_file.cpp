#include "ft/checkpoint/shard_file.h"

#include <algorithm>
#include <cstring>

#include <xxhash.h>
#include <zstd.h>

namespace cairn::ft {
namespace {

constexpr std::size_t kReadChunk = 1u << 20;
constexpr int kCompressWorkers = 4;
constexpr std::size_t kScratchOut = 4u << 20;
// zstd's densest encoding (an RLE block) stores 128 KiB in 4 bytes: a section claiming
// more raw bytes than that is damage, and the bound keeps a damaged header from asking
// for an allocation its file cannot back.
constexpr std::uint64_t kMaxRawPerStoredByte = 32768;

ZSTD_CCtx* cctx(void* p) { return static_cast<ZSTD_CCtx*>(p); }
XXH3_state_t* xxh(void* p) { return static_cast<XXH3_state_t*>(p); }

}  // namespace

ElementRange shard_range(std::int64_t total, int rank, int ranks) {
  const std::int64_t base = total / ranks, extra = total % ranks;
  const std::int64_t first = rank * base + std::min<std::int64_t>(rank, extra);
  return {first, base + (rank < extra ? 1 : 0)};
}

ShardWriter::ShardWriter(const std::string& path, ShardHeader header, int zstd_level, std::optional<WriteFault> fault)
    : path_(path), header_(std::move(header)), level_(zstd_level), fault_(std::move(fault)) {
  header_.sections.clear();
  out_ = std::make_unique<AtomicFile>(path_, AtomicFile::Sync::durable);
  const std::vector<char> zeros(kShardDataStart, '\0');
  out_->write(zeros.data(), zeros.size());  // the header goes here at commit()
  cctx_ = ZSTD_createCCtx();
  hash_ = XXH3_createState();
  if (!cctx_ || !hash_) throw std::bad_alloc();
  buffer_.resize(ZSTD_CStreamOutSize());
}

ShardWriter::~ShardWriter() {
  ZSTD_freeCCtx(cctx(cctx_));
  XXH3_freeState(xxh(hash_));
}

void ShardWriter::put(const void* data, std::size_t bytes) {
  if (fault_ && written_ + bytes > fault_->after_bytes) {
    // As the kernel would: the part that fits goes in, then ENOSPC.
    out_->write(data, static_cast<std::size_t>(fault_->after_bytes - written_));
    throw Error(path_ + ": cannot write: No space left on device (free space or write elsewhere; injected by " +
                fault_->why + ")");
  }
  out_->write(data, bytes);
  XXH3_64bits_update(xxh(hash_), data, bytes);
  written_ += bytes;
}

void ShardWriter::drain(int mode, const void* in, std::size_t bytes) {
  ZSTD_inBuffer input{in, bytes, 0};
  for (;;) {
    ZSTD_outBuffer output{buffer_.data(), buffer_.size(), 0};
    const std::size_t left = ZSTD_compressStream2(cctx(cctx_), &output, &input, static_cast<ZSTD_EndDirective>(mode));
    if (ZSTD_isError(left)) fail(path_, std::string("cannot compress the checkpoint: ") + ZSTD_getErrorName(left));
    put(buffer_.data(), output.pos);
    const bool done = mode == ZSTD_e_end ? left == 0 : input.pos == input.size;
    if (done) return;
  }
}

void ShardWriter::begin_section(const std::string& name) {
  ShardSection s;
  s.name = name;
  s.offset = written_;
  header_.sections.push_back(s);
  ZSTD_CCtx_reset(cctx(cctx_), ZSTD_reset_session_only);
  ZSTD_CCtx_setParameter(cctx(cctx_), ZSTD_c_compressionLevel, level_);
  // zstd's own worker threads (a multithreaded libzstd; else this is refused and it
  // compresses on the writer thread alone): one core wrote a 1b state (13.5 GB) at 0.21
  // GB/s on the GPU machine, compression, fsync and read-back together. The frames
  // differ from one thread's but decompress to the same bytes, and are the same run to run.
  ZSTD_CCtx_setParameter(cctx(cctx_), ZSTD_c_nbWorkers, kCompressWorkers);
  XXH3_64bits_reset(xxh(hash_));
  open_section_ = true;
}

void ShardWriter::write(const void* raw, std::size_t bytes) {
  drain(ZSTD_e_continue, raw, bytes);
  header_.sections.back().raw_bytes += bytes;
}

void ShardWriter::end_section(std::uint64_t raw_xxh3) {
  drain(ZSTD_e_end, nullptr, 0);
  ShardSection& s = header_.sections.back();
  s.bytes = written_ - s.offset;
  s.xxh3 = XXH3_64bits_digest(xxh(hash_));
  s.raw_xxh3 = raw_xxh3;
  open_section_ = false;
}

ShardHeader ShardWriter::commit() {
  Json sections = Json::array();
  for (const auto& s : header_.sections)
    sections.push_back({{"name", s.name},
                        {"dtype", "f32"},
                        {"encoding", "zstd"},
                        {"offset", s.offset},
                        {"bytes", s.bytes},
                        {"raw_bytes", s.raw_bytes},
                        {"xxh3", hex64(s.xxh3)},
                        {"raw_xxh3", hex64(s.raw_xxh3)}});
  const Json header = {{"step", header_.step},
                       {"shard",
                        {{"rank", header_.rank},
                         {"ranks", header_.ranks},
                         {"first_element", header_.first_element},
                         {"elements", header_.elements},
                         {"total_elements", header_.total_elements}}},
                       {"sections", sections}};
  const std::string text = header.dump();
  if (kPreambleBytes + text.size() > kShardDataStart)
    fail(path_, "shard header of " + std::to_string(text.size()) + " bytes does not fit before byte 4096");
  char pre[kPreambleBytes];
  encode_preamble({kShardMagic, kShardedFormatVersion, static_cast<std::uint32_t>(text.size()),
                   XXH3_64bits(text.data(), text.size())},
                  pre);
  out_->write_at(0, pre, kPreambleBytes);
  out_->write_at(kPreambleBytes, text.data(), text.size());
  out_->commit();
  header_.header_xxh3 = XXH3_64bits(text.data(), text.size());
  header_.file_bytes = kShardDataStart + written_;
  return header_;
}

ShardHeader read_shard_header(const FileReader& in) {
  const std::string& path = in.path();
  const Preamble pre = read_preamble(in);
  if (pre.magic != kShardMagic) corrupt(path, "not a Cairn checkpoint shard (bad magic; expected CAIRNSHD)");
  if (pre.version != kShardedFormatVersion)
    fail(path, "shard format version " + std::to_string(pre.version) + "; this cairn reads version " +
                   std::to_string(kShardedFormatVersion) + ": resume with the cairn that wrote it");
  if (kPreambleBytes + pre.header_bytes > kShardDataStart)
    corrupt(path, "damaged: a shard header of " + std::to_string(pre.header_bytes) + " bytes");
  const std::string text = read_header_text(in, pre);
  Json j;
  try {
    j = parse_json(text, path);
  } catch (const Error& e) {
    corrupt(path, std::string("malformed header: ") + e.what());
  }
  ShardHeader h;
  h.header_xxh3 = pre.header_hash;
  h.file_bytes = in.size();
  h.step = header_field<std::int64_t>(j, "step", path);
  const Json shard = header_field<Json>(j, "shard", path);
  h.rank = header_field<int>(shard, "rank", path);
  h.ranks = header_field<int>(shard, "ranks", path);
  h.first_element = header_field<std::int64_t>(shard, "first_element", path);
  h.elements = header_field<std::int64_t>(shard, "elements", path);
  h.total_elements = header_field<std::int64_t>(shard, "total_elements", path);
  if (h.step < 0 || h.ranks < 1 || h.rank < 0 || h.rank >= h.ranks || h.total_elements < 0)
    corrupt(path, "header: step, rank or element count out of range");
  const ElementRange want = shard_range(h.total_elements, h.rank, h.ranks);
  if (h.first_element != want.first || h.elements != want.count)
    corrupt(path, "header: shard " + std::to_string(h.rank) + " of " + std::to_string(h.ranks) + " holds elements [" +
                      std::to_string(h.first_element) + ", +" + std::to_string(h.elements) + "), not its range [" +
                      std::to_string(want.first) + ", +" + std::to_string(want.count) + ")");
  const Json sections = header_field<Json>(j, "sections", path);
  if (!sections.is_array() || sections.size() > 16) corrupt(path, "header: \"sections\" is not a short list");
  std::uint64_t end = 0;
  for (const auto& e : sections) {
    ShardSection s;
    s.name = header_field<std::string>(e, "name", path);
    const auto dtype = header_field<std::string>(e, "dtype", path);
    const auto encoding = header_field<std::string>(e, "encoding", path);
    if (dtype != "f32" || encoding != "zstd")
      fail(path, "section " + s.name + " is " + dtype + "/" + encoding +
                     "; this cairn reads f32/zstd shards: resume with the cairn that wrote it");
    s.offset = header_field<std::uint64_t>(e, "offset", path);
    s.bytes = header_field<std::uint64_t>(e, "bytes", path);
    s.raw_bytes = header_field<std::uint64_t>(e, "raw_bytes", path);
    if (!parse_hex64(header_field<std::string>(e, "xxh3", path), s.xxh3) ||
        !parse_hex64(header_field<std::string>(e, "raw_xxh3", path), s.raw_xxh3))
      corrupt(path, "header: bad xxh3 of section " + s.name);
    if (s.raw_bytes != static_cast<std::uint64_t>(h.elements) * sizeof(float))
      corrupt(path, "section " + s.name + " holds " + std::to_string(s.raw_bytes) + " raw bytes, the shard's " +
                        std::to_string(h.elements) + " elements " +
                        std::to_string(static_cast<std::uint64_t>(h.elements) * sizeof(float)));
    if (s.offset != end) corrupt(path, "header: section " + s.name + " is misplaced");
    if (s.raw_bytes > (s.bytes / 4 + 1) * kMaxRawPerStoredByte * 4)
      corrupt(path, "section " + s.name + " claims " + std::to_string(s.raw_bytes) + " raw bytes from " +
                        std::to_string(s.bytes) + " stored: more than zstd can encode");
    end = s.offset + s.bytes;
    h.sections.push_back(s);
  }
  const std::uint64_t want_size = kShardDataStart + end;
  if (in.size() < want_size)
    corrupt(path, "truncated: " + std::to_string(in.size()) + " bytes, the header describes " +
                      std::to_string(want_size) + " (the write was cut short)");
  if (in.size() > want_size) corrupt(path, std::to_string(in.size() - want_size) + " trailing bytes after the last section");
  // The padding is covered by no checksum: a byte changed there is damage the hashes miss.
  std::vector<char> pad(kShardDataStart - kPreambleBytes - text.size());
  if (!in.read_at(kPreambleBytes + text.size(), pad.data(), pad.size())) corrupt(path, "truncated in the padding");
  if (std::any_of(pad.begin(), pad.end(), [](char c) { return c != 0; }))
    corrupt(path, "nonzero padding after the header (the file was changed after it was written)");
  return h;
}

void read_shard_section(const FileReader& in, const ShardHeader& h, std::size_t i, float* out) {
  const std::string& path = in.path();
  const ShardSection& s = h.sections.at(i);
  ZSTD_DCtx* d = ZSTD_createDCtx();
  XXH3_state_t* stored = XXH3_createState();
  XXH3_state_t* raw = XXH3_createState();
  struct Free {
    ZSTD_DCtx* d;
    XXH3_state_t *a, *b;
    ~Free() {
      ZSTD_freeDCtx(d);
      XXH3_freeState(a);
      XXH3_freeState(b);
    }
  } release{d, stored, raw};
  if (!d || !stored || !raw) throw std::bad_alloc();
  XXH3_64bits_reset(stored);
  XXH3_64bits_reset(raw);
  std::vector<char> input(std::min<std::uint64_t>(kReadChunk, std::max<std::uint64_t>(s.bytes, 1)));
  std::vector<char> scratch(out ? 0 : kScratchOut);
  std::string problem;  // the first decoding problem; the stored hash is still finished
  std::uint64_t produced = 0;
  std::size_t last = 1;  // ZSTD_decompressStream's last answer: 0 once a frame ends
  for (std::uint64_t at = 0; at < s.bytes;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(input.size(), s.bytes - at));
    if (!in.read_at(kShardDataStart + s.offset + at, input.data(), n)) corrupt(path, "truncated in section " + s.name);
    XXH3_64bits_update(stored, input.data(), n);
    at += n;
    ZSTD_inBuffer src{input.data(), n, 0};
    while (problem.empty() && src.pos < src.size) {
      // Into `out` while it has room; past it (the frame's epilogue, or damage) into a
      // small spill buffer, where any output at all is too much.
      char spill[64];
      const bool full = out && produced == s.raw_bytes;
      char* base = full ? spill : out ? reinterpret_cast<char*>(out) + produced : scratch.data();
      const std::uint64_t room = full ? sizeof spill : out ? s.raw_bytes - produced : scratch.size();
      ZSTD_outBuffer dst{base, static_cast<std::size_t>(room), 0};
      last = ZSTD_decompressStream(d, &dst, &src);
      if (ZSTD_isError(last)) {
        problem = std::string("is not a valid zstd stream (") + ZSTD_getErrorName(last) + ")";
        break;
      }
      XXH3_64bits_update(raw, base, dst.pos);
      produced += dst.pos;
      if (produced > s.raw_bytes) problem = "decompresses to more than its " + std::to_string(s.raw_bytes) + " raw bytes";
    }
  }
  const std::uint64_t hs = XXH3_64bits_digest(stored);
  if (hs != s.xxh3)
    corrupt(path, "section " + s.name + " checksum mismatch (stored " + hex64(s.xxh3) + ", computed " + hex64(hs) + ")");
  if (problem.empty() && (last != 0 || produced != s.raw_bytes))
    problem = "ends after " + std::to_string(produced) + " of its " + std::to_string(s.raw_bytes) + " raw bytes";
  if (!problem.empty()) corrupt(path, "section " + s.name + " " + problem);
  const std::uint64_t hr = XXH3_64bits_digest(raw);
  if (hr != s.raw_xxh3)
    corrupt(path, "section " + s.name + " raw checksum mismatch (stored " + hex64(s.raw_xxh3) + ", computed " +
                      hex64(hr) + ")");
}

ShardHeader verify_shard(const std::string& path) {
  const FileReader in(path);
  ShardHeader h = read_shard_header(in);
  for (std::size_t i = 0; i < h.sections.size(); ++i) read_shard_section(in, h, i, nullptr);
  return h;
}

}  // namespace cairn::ft
