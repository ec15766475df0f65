#include "ft/checkpoint/manifest.h"

#include <filesystem>
#include <memory>

#include <xxhash.h>

#include "common/atomic_file.h"
#include "ft/checkpoint/checkpoint_names.h"

namespace cairn::ft {
namespace {

// The keys the manifest owns; the caller's meta may not use them.
constexpr const char* kOwnKeys[] = {"step", "world_size", "layout_elements", "sections", "shards"};

}  // namespace

ShardEntry shard_entry(const ShardHeader& h) {
  return {shard_file_name(h.step, h.rank, h.ranks), h.rank, h.first_element, h.elements, h.file_bytes, h.header_xxh3};
}

void write_manifest(const std::string& path, const Manifest& m) {
  Json j = m.meta.is_object() ? m.meta : Json::object();
  for (const char* k : kOwnKeys) j.erase(k);
  j["step"] = m.step;
  j["world_size"] = m.world_size;
  j["layout_elements"] = m.layout_elements;
  j["sections"] = m.sections;
  Json shards = Json::array();
  for (const auto& s : m.shards)
    shards.push_back({{"file", s.file},
                      {"rank", s.rank},
                      {"first_element", s.first_element},
                      {"elements", s.elements},
                      {"bytes", s.bytes},
                      {"header_xxh3", hex64(s.header_xxh3)}});
  j["shards"] = shards;
  const std::string text = j.dump();
  char pre[kPreambleBytes];
  encode_preamble({kManifestMagic, kShardedFormatVersion, static_cast<std::uint32_t>(text.size()),
                   XXH3_64bits(text.data(), text.size())},
                  pre);
  AtomicFile out(path, AtomicFile::Sync::durable);
  out.write(pre, kPreambleBytes);
  out.write(text.data(), text.size());
  out.commit();
}

std::uint32_t checkpoint_version(const std::string& path) {
  const FileReader in(path);
  const Preamble p = read_preamble(in);
  if (p.magic != kManifestMagic) corrupt(path, "not a Cairn checkpoint (bad magic; expected CAIRNCKP)");
  return p.version;
}

Manifest read_manifest(const std::string& path) {
  const FileReader in(path);
  const Preamble pre = read_preamble(in);
  if (pre.magic != kManifestMagic) corrupt(path, "not a Cairn checkpoint (bad magic; expected CAIRNCKP)");
  if (pre.version != kShardedFormatVersion)
    fail(path, "checkpoint format version " + std::to_string(pre.version) + "; this reader takes version " +
                   std::to_string(kShardedFormatVersion) + ": resume with the cairn that wrote it");
  const std::string text = read_header_text(in, pre);
  if (in.size() != kPreambleBytes + text.size())
    corrupt(path, std::to_string(in.size() - kPreambleBytes - text.size()) + " trailing bytes after the manifest");
  Json j;
  try {
    j = parse_json(text, path);
  } catch (const Error& e) {
    corrupt(path, std::string("malformed header: ") + e.what());
  }
  if (!j.is_object()) corrupt(path, "header: not a JSON object");
  Manifest m;
  m.step = header_field<std::int64_t>(j, "step", path);
  m.world_size = header_field<int>(j, "world_size", path);
  m.layout_elements = header_field<std::int64_t>(j, "layout_elements", path);
  m.sections = header_field<std::vector<std::string>>(j, "sections", path);
  if (m.step < 0 || m.world_size < 1 || m.world_size > (1 << 20) || m.layout_elements < 0 || m.sections.empty() ||
      m.sections.size() > 16)
    corrupt(path, "header: step, world size, layout size or sections out of range");
  const Json shards = header_field<Json>(j, "shards", path);
  if (!shards.is_array() || shards.size() != static_cast<std::size_t>(m.world_size))
    corrupt(path, "header: " + std::to_string(shards.is_array() ? shards.size() : 0) + " shards listed for a world of " +
                      std::to_string(m.world_size));
  for (int r = 0; r < m.world_size; ++r) {
    const Json& e = shards[static_cast<std::size_t>(r)];
    ShardEntry s;
    s.file = header_field<std::string>(e, "file", path);
    s.rank = header_field<int>(e, "rank", path);
    s.first_element = header_field<std::int64_t>(e, "first_element", path);
    s.elements = header_field<std::int64_t>(e, "elements", path);
    s.bytes = header_field<std::uint64_t>(e, "bytes", path);
    if (!parse_hex64(header_field<std::string>(e, "header_xxh3", path), s.header_xxh3))
      corrupt(path, "header: bad header_xxh3 of shard " + std::to_string(r));
    const ElementRange want = shard_range(m.layout_elements, r, m.world_size);
    // Only its own name: a manifest never makes a reader open a file outside the step.
    if (s.rank != r || s.file != shard_file_name(m.step, r, m.world_size) || s.first_element != want.first ||
        s.elements != want.count)
      corrupt(path, "header: shard " + std::to_string(r) + " is listed as " + s.file + " rank " +
                        std::to_string(s.rank) + " [" + std::to_string(s.first_element) + ", +" +
                        std::to_string(s.elements) + "), not as this step's shard of its rank");
    m.shards.push_back(s);
  }
  for (const char* k : kOwnKeys) j.erase(k);
  m.meta = std::move(j);
  return m;
}

void read_manifest_state(const std::string& manifest_path, const Manifest& m, std::vector<std::vector<float>>& out) {
  const std::filesystem::path dir = std::filesystem::path(manifest_path).parent_path();
  // Every shard's header first (cheap), so damage anywhere is found before the large
  // allocation, and no allocation is larger than the files can back.
  std::vector<std::unique_ptr<FileReader>> files;
  std::vector<ShardHeader> headers;
  for (const auto& e : m.shards) {
    const std::string path = (dir / e.file).string();
    auto in = std::make_unique<FileReader>(path);
    if (in->size() != e.bytes)
      corrupt(path, std::to_string(in->size()) + " bytes, its manifest " + manifest_path + " says " +
                        std::to_string(e.bytes));
    ShardHeader h = read_shard_header(*in);
    if (h.header_xxh3 != e.header_xxh3 || h.step != m.step || h.rank != e.rank || h.ranks != m.world_size ||
        h.total_elements != m.layout_elements)
      corrupt(path, "not the shard its manifest " + manifest_path + " lists (header hash " + hex64(h.header_xxh3) +
                        ", listed " + hex64(e.header_xxh3) + "; another write of the step, or copied over)");
    if (h.sections.size() != m.sections.size())
      corrupt(path, "holds " + std::to_string(h.sections.size()) + " sections, its manifest lists " +
                        std::to_string(m.sections.size()));
    for (std::size_t i = 0; i < m.sections.size(); ++i)
      if (h.sections[i].name != m.sections[i])
        corrupt(path, "section " + std::to_string(i) + " is " + h.sections[i].name + ", its manifest says " + m.sections[i]);
    files.push_back(std::move(in));
    headers.push_back(std::move(h));
  }
  out.assign(m.sections.size(), {});
  for (std::size_t i = 0; i < m.sections.size(); ++i) {
    out[i].resize(static_cast<std::size_t>(m.layout_elements));
    for (std::size_t r = 0; r < files.size(); ++r)
      read_shard_section(*files[r], headers[r], i, out[i].data() + headers[r].first_element);
  }
}

}  // namespace cairn::ft
