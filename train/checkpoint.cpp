#include "train/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

#include <xxhash.h>

#include "common/atomic_file.h"
#include "ft/checkpoint/manifest.h"
#include "train/parameter_layout.h"

namespace cairn::train {
namespace {

static_assert(std::endian::native == std::endian::little,
              "checkpoints are little-endian; a big-endian host needs byte swapping here");

// Preamble: magic, format version, header length, XXH3-64 of the header.
constexpr std::array<char, 8> kMagic = {'C', 'A', 'I', 'R', 'N', 'C', 'K', 'P'};
constexpr std::uint64_t kPreambleBytes = 24;
// Sections start on 4 KiB boundaries: mmap- and O_DIRECT-friendly.
constexpr std::uint64_t kSectionAlignment = 4096;
constexpr std::uint64_t kMaxHeaderBytes = 16u << 20;  // a sanity bound for a damaged length
constexpr std::size_t kReadChunkElements = 1u << 20;  // 4 MiB at a time, hashed as read

constexpr const auto& kSectionNames = kStateSectionNames;

using ft::corrupt;

std::string hex64(std::uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

std::uint64_t align_up(std::uint64_t x, std::uint64_t a) { return (x + a - 1) / a * a; }

const std::vector<float>& section_of(const TrainState& s, int i) { return i == 0 ? s.params : i == 1 ? s.m : s.v; }
std::vector<float>& section_of(TrainState& s, int i) { return i == 0 ? s.params : i == 1 ? s.m : s.v; }

struct Preamble {
  std::uint32_t version = 0;
  std::uint32_t header_bytes = 0;
  std::uint64_t header_hash = 0;
};

void put_u32(char* p, std::uint32_t x) { std::memcpy(p, &x, 4); }
void put_u64(char* p, std::uint64_t x) { std::memcpy(p, &x, 8); }
std::uint32_t get_u32(const char* p) { std::uint32_t x; std::memcpy(&x, p, 4); return x; }
std::uint64_t get_u64(const char* p) { std::uint64_t x; std::memcpy(&x, p, 8); return x; }

using CheckpointReader = ft::FileReader;

// The parts of a file every reader needs: the preamble checked, the header parsed.
struct OpenedFile {
  explicit OpenedFile(const std::string& path) : in(path) {}
  CheckpointReader in;
  Preamble pre;
  Json header;
  std::uint64_t data_start = 0;
};

void open_checkpoint(const std::string& path, OpenedFile& f) {
  const std::uint64_t size = f.in.size();
  char pre[kPreambleBytes];
  if (size < kPreambleBytes || !f.in.read_at(0, pre, kPreambleBytes))
    corrupt(path, "truncated: " + std::to_string(size) + " bytes, shorter than the " +
                      std::to_string(kPreambleBytes) + "-byte preamble");
  if (std::memcmp(pre, kMagic.data(), kMagic.size()) != 0)
    corrupt(path, "not a Cairn checkpoint (bad magic; expected CAIRNCKP)");
  f.pre = {get_u32(pre + 8), get_u32(pre + 12), get_u64(pre + 16)};
  if (f.pre.version != kCheckpointFormatVersion)
    fail(path, "checkpoint format version " + std::to_string(f.pre.version) + "; this cairn reads versions " +
                   std::to_string(kCheckpointFormatVersion) + " and " + std::to_string(kShardedCheckpointFormatVersion) +
                   ": resume with the cairn that wrote it");
  if (f.pre.header_bytes > kMaxHeaderBytes || kPreambleBytes + f.pre.header_bytes > size)
    corrupt(path, "truncated or damaged: header of " + std::to_string(f.pre.header_bytes) + " bytes in a " +
                      std::to_string(size) + "-byte file");
  std::string text(f.pre.header_bytes, '\0');
  if (!f.in.read_at(kPreambleBytes, text.data(), text.size())) corrupt(path, "truncated in the header");
  const std::uint64_t h = XXH3_64bits(text.data(), text.size());
  if (h != f.pre.header_hash)
    corrupt(path, "header checksum mismatch (stored " + hex64(f.pre.header_hash) + ", computed " + hex64(h) + ")");
  try {
    f.header = parse_json(text, path);
  } catch (const Error& e) {
    corrupt(path, std::string("malformed header: ") + e.what());
  }
  f.data_start = align_up(kPreambleBytes + f.pre.header_bytes, kSectionAlignment);
}

template <typename T>
T header_field(const Json& h, const char* key, const std::string& path) {
  try {
    return json_field<T>(h, key, path);
  } catch (const Error& e) {
    corrupt(path, std::string("header: ") + e.what());
  }
}

CheckpointInfo info_from_header(const OpenedFile& f, const std::string& path) {
  CheckpointInfo info;
  info.format_version = f.pre.version;
  info.step = header_field<std::int64_t>(f.header, "step", path);
  info.world_size = header_field<std::int64_t>(f.header, "world_size", path);
  info.layout_elements = header_field<std::int64_t>(f.header, "layout_elements", path);
  info.model_shape_hash = header_field<std::string>(f.header, "model_shape_xxh3", path);
  info.model = header_field<Json>(f.header, "model", path);
  info.train = header_field<Json>(f.header, "train", path);
  info.device = header_field<std::string>(f.header, "device", path);
  if (info.step < 0 || info.world_size < 1 || info.layout_elements < 0)
    corrupt(path, "header: negative step, layout size or world size");
  return info;
}

// A manifest's run fields (its meta) as the header of a version 1 file holds them.
CheckpointInfo info_from_manifest(const ft::Manifest& m, const std::string& path) {
  CheckpointInfo info;
  info.format_version = kShardedCheckpointFormatVersion;
  info.step = m.step;
  info.world_size = m.world_size;
  info.layout_elements = m.layout_elements;
  info.model_shape_hash = header_field<std::string>(m.meta, "model_shape_xxh3", path);
  info.model = header_field<Json>(m.meta, "model", path);
  info.train = header_field<Json>(m.meta, "train", path);
  info.device = header_field<std::string>(m.meta, "device", path);
  return info;
}

struct SectionEntry {
  std::uint64_t offset = 0, bytes = 0, hash = 0;
};

// The three sections' places, checked against each other and the file size.
std::array<SectionEntry, 3> section_table(const OpenedFile& f, const CheckpointInfo& info, const std::string& path) {
  const Json sections = header_field<Json>(f.header, "sections", path);
  if (!sections.is_array()) corrupt(path, "header: \"sections\" is not a list");
  std::array<SectionEntry, 3> out;
  const auto want_bytes = static_cast<std::uint64_t>(info.layout_elements) * sizeof(float);
  std::uint64_t end = 0;
  for (int i = 0; i < 3; ++i) {
    const Json* s = nullptr;
    for (const auto& e : sections)
      if (e.is_object() && e.contains("name") && e.at("name") == kSectionNames[i]) s = &e;
    if (!s) corrupt(path, std::string("header: no section \"") + kSectionNames[i] + "\"");
    const auto dtype = header_field<std::string>(*s, "dtype", path);
    const auto encoding = header_field<std::string>(*s, "encoding", path);
    if (dtype != "f32" || encoding != "raw")
      fail(path, std::string("section ") + kSectionNames[i] + " is " + dtype + "/" + encoding +
                     "; this cairn reads f32/raw: resume with the cairn that wrote it");
    out[i].offset = header_field<std::uint64_t>(*s, "offset", path);
    out[i].bytes = header_field<std::uint64_t>(*s, "bytes", path);
    const auto hash = header_field<std::string>(*s, "xxh3", path);
    char* stop = nullptr;
    out[i].hash = std::strtoull(hash.c_str(), &stop, 16);
    if (hash.size() != 16 || *stop != '\0') corrupt(path, "header: bad xxh3 of section " + std::string(kSectionNames[i]));
    if (out[i].bytes != want_bytes)
      corrupt(path, std::string("section ") + kSectionNames[i] + " holds " + std::to_string(out[i].bytes) +
                        " bytes, the layout " + std::to_string(want_bytes));
    if (out[i].offset % kSectionAlignment != 0 || out[i].offset < end)
      corrupt(path, std::string("header: section ") + kSectionNames[i] + " is misplaced");
    end = out[i].offset + out[i].bytes;
  }
  const std::uint64_t want_size = f.data_start + end;
  if (f.in.size() < want_size)
    corrupt(path, "truncated: " + std::to_string(f.in.size()) + " bytes, the header describes " +
                      std::to_string(want_size) + " (the write was cut short)");
  if (f.in.size() > want_size)
    corrupt(path, std::to_string(f.in.size() - want_size) + " trailing bytes after the last section");
  return out;
}

// The padding before each section is written as zeros and covered by no checksum, so a
// byte changed there is the one damage the hashes would miss: check it is still zero.
void check_padding(const OpenedFile& f, const std::array<SectionEntry, 3>& table, const std::string& path) {
  std::uint64_t from = kPreambleBytes + f.pre.header_bytes;
  std::vector<char> buf;
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t to = f.data_start + table[i].offset;
    buf.assign(to - from, '\0');
    if (!f.in.read_at(from, buf.data(), buf.size())) corrupt(path, "truncated before section " + std::string(kSectionNames[i]));
    if (std::any_of(buf.begin(), buf.end(), [](char c) { return c != 0; }))
      corrupt(path, std::string("nonzero padding before section ") + kSectionNames[i] +
                        " (the file was changed after it was written)");
    from = to + table[i].bytes;
  }
}

}  // namespace

std::string model_shape_hash(const ModelConfig& model) {
  Json j = to_json(model);
  j.erase("name");  // the same shape under another name (a preset, a JSON copy) resumes
  const std::string s = j.dump();
  return hex64(XXH3_64bits(s.data(), s.size()));
}

Json resume_settings(const TrainConfig& cfg) {
  return {{"seed", cfg.seed},
          {"steps", cfg.steps},
          {"batch", cfg.batch},
          {"seq_len", cfg.seq_len ? cfg.seq_len : cfg.model.context},
          {"lr", cfg.adamw.lr},
          {"beta1", cfg.adamw.beta1},
          {"beta2", cfg.adamw.beta2},
          {"eps", cfg.adamw.eps},
          {"weight_decay", cfg.adamw.weight_decay},
          {"warmup_steps", cfg.warmup_steps},
          {"min_lr_ratio", cfg.min_lr_ratio},
          {"grad_clip", cfg.grad_clip}};
}

Json checkpoint_meta(const TrainConfig& cfg) {
  return {{"model_shape_xxh3", model_shape_hash(cfg.model)},
          {"model", to_json(cfg.model)},
          {"train", resume_settings(cfg)},
          {"device", std::string(to_string(cfg.device))}};
}

void write_checkpoint(const std::string& path, const TrainConfig& cfg, const TrainState& state,
                      std::int64_t world_size) {
  const std::int64_t n = ParameterLayout(cfg.model).total_elements();
  for (int i = 0; i < 3; ++i)
    if (static_cast<std::int64_t>(section_of(state, i).size()) != n)
      fail(path, std::string("cannot checkpoint: ") + kSectionNames[i] + " holds " +
                     std::to_string(section_of(state, i).size()) + " elements, the model's layout " +
                     std::to_string(n));
  const std::uint64_t bytes = static_cast<std::uint64_t>(n) * sizeof(float);
  Json sections = Json::array();
  std::uint64_t offset = 0;
  for (int i = 0; i < 3; ++i) {
    const auto& s = section_of(state, i);
    sections.push_back({{"name", kSectionNames[i]},
                        {"dtype", "f32"},
                        {"encoding", "raw"},
                        {"offset", offset},
                        {"bytes", bytes},
                        {"xxh3", hex64(XXH3_64bits(s.data(), bytes))}});
    offset = align_up(offset + bytes, kSectionAlignment);
  }
  Json header = checkpoint_meta(cfg);
  header["step"] = state.step;
  header["world_size"] = world_size;
  header["layout_elements"] = n;
  header["sections"] = sections;
  const std::string text = header.dump();
  char pre[kPreambleBytes];
  std::memcpy(pre, kMagic.data(), kMagic.size());
  put_u32(pre + 8, kCheckpointFormatVersion);
  put_u32(pre + 12, static_cast<std::uint32_t>(text.size()));
  put_u64(pre + 16, XXH3_64bits(text.data(), text.size()));

  AtomicFile out(path);
  out.write(pre, kPreambleBytes);
  out.write(text.data(), text.size());
  const std::vector<char> zeros(kSectionAlignment, '\0');
  std::uint64_t at = kPreambleBytes + text.size();
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t start = align_up(at, kSectionAlignment);
    out.write(zeros.data(), start - at);
    out.write(section_of(state, i).data(), bytes);
    at = start + bytes;
  }
  out.commit();
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  if (ft::checkpoint_version(path) == kShardedCheckpointFormatVersion) return info_from_manifest(ft::read_manifest(path), path);
  OpenedFile f(path);
  open_checkpoint(path, f);
  return info_from_header(f, path);
}

Checkpoint read_checkpoint(const std::string& path) {
  if (ft::checkpoint_version(path) == kShardedCheckpointFormatVersion) {
    const ft::Manifest m = ft::read_manifest(path);
    Checkpoint c;
    c.info = info_from_manifest(m, path);
    if (m.sections != std::vector<std::string>(std::begin(kSectionNames), std::end(kSectionNames)))
      fail(path, "holds other sections than params, adam.m, adam.v: resume with the cairn that wrote it");
    std::vector<std::vector<float>> buffers;
    ft::read_manifest_state(path, m, buffers);
    c.state.step = c.info.step;
    for (int i = 0; i < 3; ++i) section_of(c.state, i) = std::move(buffers[static_cast<std::size_t>(i)]);
    return c;
  }
  OpenedFile f(path);
  open_checkpoint(path, f);
  Checkpoint c;
  c.info = info_from_header(f, path);
  const auto table = section_table(f, c.info, path);
  check_padding(f, table, path);
  c.state.step = c.info.step;
  for (int i = 0; i < 3; ++i) {
    auto& buf = section_of(c.state, i);
    buf.resize(static_cast<std::size_t>(c.info.layout_elements));
    const std::uint64_t start = f.data_start + table[i].offset;
    XXH3_state_t* st = XXH3_createState();
    XXH3_64bits_reset(st);
    bool ok = true;
    try {
      for (std::size_t at = 0; ok && at < buf.size(); at += kReadChunkElements) {
        const std::size_t count = std::min(kReadChunkElements, buf.size() - at);
        ok = f.in.read_at(start + at * sizeof(float), buf.data() + at, count * sizeof(float));
        if (ok) XXH3_64bits_update(st, buf.data() + at, count * sizeof(float));
      }
    } catch (...) {
      XXH3_freeState(st);
      throw;
    }
    const std::uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    if (!ok) corrupt(path, std::string("truncated in section ") + kSectionNames[i]);
    if (h != table[i].hash)
      corrupt(path, std::string("section ") + kSectionNames[i] + " checksum mismatch (stored " +
                        hex64(table[i].hash) + ", computed " + hex64(h) + ")");
  }
  return c;
}

void require_resumable(const CheckpointInfo& info, const TrainConfig& cfg, std::int64_t world_size,
                       const std::string& path) {
  const std::string fix = ": resume with the checkpoint's settings, or start a new run in another --checkpoint-dir";
  if (info.model_shape_hash != model_shape_hash(cfg.model))
    fail(path, "holds model \"" + info.model.value("name", std::string("?")) + "\" of another shape than \"" +
                   cfg.model.name + "\" (shape hash " + info.model_shape_hash + " vs " +
                   model_shape_hash(cfg.model) + ")" + fix);
  const std::int64_t n = ParameterLayout(cfg.model).total_elements();
  if (info.layout_elements != n)
    fail(path, "holds " + std::to_string(info.layout_elements) + " parameter elements, the model's layout " +
                   std::to_string(n) + fix);
  (void)world_size;  // another world reads it too: world_change_note
  const Json want = resume_settings(cfg);
  for (const auto& [key, value] : want.items())
    if (!info.train.contains(key) || info.train.at(key) != value)
      fail(path, "was trained with " + key + " " + (info.train.contains(key) ? info.train.at(key).dump() : "unset") +
                     ", this run has " + value.dump() + fix);
}

}  // namespace cairn::train

namespace cairn::train {

std::string world_change_note(const CheckpointInfo& info, std::int64_t world_size, const std::string& path) {
  if (info.world_size == world_size) return {};
  return path + " was written by a run on " + std::to_string(info.world_size) + " ranks, this one has " +
         std::to_string(world_size) +
         ": it resumes from the same weights and moments, but the data order (which depends on rank and world) and "
         "the global batch change from here, so the run is not the bitwise continuation of the one that wrote it; "
         "resume on " + std::to_string(info.world_size) + " ranks for that";
}

}  // namespace cairn::train
