#include "tuner/profile/profile.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "common/error.h"
#include "common/text_file.h"
#include "common/untrusted_text.h"

namespace cairn::tuner {
namespace {

constexpr const char* kSchema = "cairn.tune.profile";
constexpr int kSchemaVersion = 1;

// NCCL's MAXCHANNELS (src/include/device.h, 2.28): no choice can ask for more.
constexpr int kMaxChannels = 64;
// Strings a profile carries are echoed in log lines and nccl.env: keep them short.
constexpr std::size_t kMaxTextBytes = 256;
// A sparse neighbour: measured sizes more than this far apart leave the sizes between
// them to NCCL (profile.h, find_rule).
constexpr double kMaxGapRatio = 4.0;

constexpr std::array<const char*, kNcclNumAlgorithms> kAlgoNames = {
    "tree", "ring", "collnet_direct", "collnet_chain", "nvls", "nvls_tree", "pat"};
constexpr std::array<const char*, kNcclNumProtocols> kProtoNames = {"ll", "ll128", "simple"};
constexpr std::array<const char*, 5> kFuncNames = {"broadcast", "reduce", "all_gather", "reduce_scatter",
                                                   "all_reduce"};
// NCCL's example plugin spells collectives without the underscore (nccl_tuner.conf).
constexpr std::array<const char*, 5> kNcclFuncNames = {"broadcast", "reduce", "allgather", "reducescatter",
                                                       "allreduce"};
// Collectives Cairn measures (collectives/measure/harness/): the NCCL five and two more.
constexpr std::array<const char*, 7> kCollectives = {"broadcast", "reduce", "all_gather", "reduce_scatter",
                                                     "all_reduce", "alltoall", "sendrecv"};
// Cairn's host algorithms (collectives/backends/communicator.h, Algorithm).
constexpr std::array<const char*, 4> kHostAlgorithms = {"automatic", "ring", "tree", "rhd"};

template <std::size_t N>
std::string joined(const std::array<const char*, N>& names) {
  std::string out;
  for (const char* n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

template <std::size_t N>
int index_of(const std::array<const char*, N>& names, const std::string& s) {
  for (std::size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<int>(i);
  return -1;
}

// Reads one JSON object whose fields are all named in `allowed`, with errors that name
// the source and the field's path ("cells[3].tuned.channels").
class FieldReader {
 public:
  FieldReader(const Json& obj, std::string path, const std::string& source,
              std::initializer_list<const char*> allowed)
      : obj_(obj), path_(std::move(path)), source_(source) {
    if (!obj.is_object()) fail(source_, "field \"" + path_ + "\" must be a JSON object");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const std::string& key = it.key();
      bool known = std::any_of(allowed.begin(), allowed.end(), [&key](const char* a) { return key == a; });
      if (!known)
        fail(source_, "unknown field " + quote_excerpt(where(key)) + " (a typo? schema " + kSchema + " v1 has " +
                          list(allowed) + ")");
    }
  }

  bool has(const char* key) const { return obj_.contains(key); }
  const Json& at(const char* key) const {
    if (!obj_.contains(key)) throw_missing_field(where(key), source_);
    return obj_.at(key);
  }
  std::string where(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  std::int64_t integer(const char* key, std::int64_t lo, std::int64_t hi) const {
    const Json& v = at(key);
    if (!v.is_number_integer()) throw_bad_field(where(key), source_);
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) out_of_range(key, lo, hi);
    const auto x = v.get<std::int64_t>();
    if (x < lo || x > hi) out_of_range(key, lo, hi);
    return x;
  }
  std::size_t size(const char* key, std::size_t lo) const {
    const Json& v = at(key);
    if (!v.is_number_integer()) throw_bad_field(where(key), source_);
    // Parsed non-negative numbers are unsigned, values set in code signed: accept both.
    const bool negative = !v.is_number_unsigned() && v.get<std::int64_t>() < 0;
    if (negative || v.get<std::uint64_t>() < lo)
      fail(source_, "field \"" + where(key) + "\" must be an integer >= " + std::to_string(lo));
    return static_cast<std::size_t>(v.get<std::uint64_t>());
  }
  double number(const char* key, double lo) const {
    const Json& v = at(key);
    if (!v.is_number()) throw_bad_field(where(key), source_);
    const auto x = v.get<double>();
    if (!std::isfinite(x) || x < lo)
      fail(source_, "field \"" + where(key) + "\" must be a finite number >= " + fmt::format("{}", lo));
    return x;
  }
  // Printable ASCII of 1 to kMaxTextBytes bytes (or empty when allow_empty).
  std::string text(const char* key, bool allow_empty = false) const {
    const Json& v = at(key);
    if (!v.is_string()) throw_bad_field(where(key), source_);
    auto s = v.get<std::string>();
    check_text(s, where(key), allow_empty);
    return s;
  }
  void check_text(const std::string& s, const std::string& field, bool allow_empty) const {
    bool printable = std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    if (!printable || s.size() > kMaxTextBytes || (s.empty() && !allow_empty))
      fail(source_, "field \"" + field + "\" must be " + (allow_empty ? "0" : "1") + " to " +
                        std::to_string(kMaxTextBytes) + " printable ASCII characters, got " + quote_excerpt(s));
  }
  template <std::size_t N>
  int name(const char* key, const std::array<const char*, N>& names) const {
    const auto s = text(key);
    int i = index_of(names, s);
    if (i < 0) fail(source_, "field \"" + where(key) + "\" is " + quote_excerpt(s) + "; expected one of " + joined(names));
    return i;
  }
  const std::string& source() const { return source_; }

 private:
  [[noreturn]] void out_of_range(const char* key, std::int64_t lo, std::int64_t hi) const {
    fail(source_, "field \"" + where(key) + "\" must be an integer in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "]");
  }
  static std::string list(std::initializer_list<const char*> names) {
    std::string out;
    for (const char* n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
  }
  const Json& obj_;
  std::string path_;
  const std::string& source_;
};

Json figure_to_json(const CellFigure& f) {
  return {{"time_us", f.time_us}, {"busbw_gb_s", f.busbw_gb_s}, {"spread", f.spread}, {"rounds", f.rounds}};
}

CellFigure figure_from_json(const Json& j, const std::string& path, const std::string& source) {
  FieldReader r(j, path, source, {"time_us", "busbw_gb_s", "spread", "rounds"});
  CellFigure f;
  f.time_us = r.number("time_us", 0);
  if (f.time_us <= 0) fail(source, "field \"" + r.where("time_us") + "\" must be > 0");
  f.busbw_gb_s = r.number("busbw_gb_s", 0);
  f.spread = r.number("spread", 0);
  f.rounds = static_cast<int>(r.integer("rounds", 1, std::numeric_limits<int>::max()));
  return f;
}

Json choice_to_json(const Choice& c) {
  Json j = {{"channels", c.channels}, {"key", c.key}};
  if (c.nccl_algorithm) j["nccl_algorithm"] = to_string(*c.nccl_algorithm);
  if (c.nccl_protocol) j["nccl_protocol"] = to_string(*c.nccl_protocol);
  if (!c.host_algorithm.empty()) {
    j["host_algorithm"] = c.host_algorithm;
    j["chunk_bytes"] = c.chunk_bytes;
    j["pipeline_depth"] = c.pipeline_depth;
  }
  return j;
}

Choice choice_from_json(const Json& j, const std::string& backend, const std::string& path,
                        const std::string& source) {
  FieldReader r(j, path, source,
                {"nccl_algorithm", "nccl_protocol", "channels", "host_algorithm", "chunk_bytes", "pipeline_depth", "key"});
  Choice c;
  c.channels = static_cast<int>(r.integer("channels", 0, kMaxChannels));
  c.key = r.text("key", true);
  if (backend == "nccl") {
    if (r.has("host_algorithm") || r.has("chunk_bytes") || r.has("pipeline_depth"))
      fail(source, "field \"" + path + "\" of an nccl profile has host_algorithm/chunk_bytes/pipeline_depth (ucx fields)");
    c.nccl_algorithm = static_cast<NcclAlgo>(r.name("nccl_algorithm", kAlgoNames));
    c.nccl_protocol = static_cast<NcclProto>(r.name("nccl_protocol", kProtoNames));
  } else {
    if (r.has("nccl_algorithm") || r.has("nccl_protocol"))
      fail(source, "field \"" + path + "\" of a ucx profile has nccl_algorithm/nccl_protocol (nccl fields)");
    c.host_algorithm = kHostAlgorithms[static_cast<std::size_t>(r.name("host_algorithm", kHostAlgorithms))];
    c.chunk_bytes = r.size("chunk_bytes", 0);
    c.pipeline_depth = static_cast<int>(r.integer("pipeline_depth", 0, 1 << 20));
  }
  return c;
}

Json cell_to_json(const ProfileCell& c) {
  Json j = {{"collective", c.collective},
            {"dtype", c.dtype},
            {"bytes", c.bytes},
            {"nnodes", c.nnodes},
            {"nranks", c.nranks},
            {"default", figure_to_json(c.default_figure)},
            {"speedup", c.speedup},
            {"speedup_low", c.speedup_low},
            {"speedup_high", c.speedup_high},
            {"candidates_measured", c.candidates_measured}};
  if (c.tuned) j["tuned"] = choice_to_json(*c.tuned);
  if (c.tuned_figure) j["tuned_figure"] = figure_to_json(*c.tuned_figure);
  return j;
}

// The cells' dtype names: lower-case words ("float", "bfloat16", "int8").
void check_dtype(const std::string& dtype, const std::string& field, const std::string& source) {
  bool word = !dtype.empty() && dtype.size() <= 32 && std::all_of(dtype.begin(), dtype.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
  if (!word) fail(source, "field \"" + field + "\" is " + quote_excerpt(dtype) + "; expected a dtype name such as \"float\"");
}

ProfileCell cell_from_json(const Json& j, const Profile& p, std::size_t index, const std::string& source) {
  const std::string path = "cells[" + std::to_string(index) + "]";
  FieldReader r(j, path, source,
                {"collective", "dtype", "bytes", "nnodes", "nranks", "default", "tuned", "tuned_figure", "speedup",
                 "speedup_low", "speedup_high", "candidates_measured"});
  ProfileCell c;
  c.collective = kCollectives[static_cast<std::size_t>(r.name("collective", kCollectives))];
  c.dtype = r.text("dtype");
  check_dtype(c.dtype, r.where("dtype"), source);
  // Sizes are compared on a log scale (find_rule): a measured size is at least one byte.
  c.bytes = r.size("bytes", 1);
  c.nnodes = static_cast<int>(r.integer("nnodes", 1, std::numeric_limits<int>::max()));
  c.nranks = static_cast<int>(r.integer("nranks", c.nnodes, std::numeric_limits<int>::max()));
  c.default_figure = figure_from_json(r.at("default"), r.where("default"), source);
  if (r.has("tuned") != r.has("tuned_figure"))
    fail(source, "fields \"" + r.where("tuned") + "\" and \"" + r.where("tuned_figure") +
                     "\" come together (a winner and its figure) or not at all");
  if (r.has("tuned")) {
    c.tuned = choice_from_json(r.at("tuned"), p.backend, r.where("tuned"), source);
    c.tuned_figure = figure_from_json(r.at("tuned_figure"), r.where("tuned_figure"), source);
    if (p.backend == "nccl" && !nccl_func_of(c.collective))
      fail(source, "field \"" + r.where("tuned") + "\": NCCL's tuner is not asked about " + c.collective +
                       "; only broadcast, reduce, all_gather, reduce_scatter and all_reduce cells have NCCL winners");
  }
  c.speedup = r.number("speedup", 0);
  c.speedup_low = r.number("speedup_low", 0);
  c.speedup_high = r.number("speedup_high", 0);
  if (!(c.speedup > 0 && c.speedup_low > 0 && c.speedup_low <= c.speedup_high))
    fail(source, "fields \"" + r.where("speedup") + "\", speedup_low, speedup_high must be > 0 with speedup_low <= speedup_high");
  c.candidates_measured = static_cast<int>(r.integer("candidates_measured", 0, std::numeric_limits<int>::max()));
  return c;
}

bool is_env_name(const std::string& s) {
  if (s.empty() || s.size() > 128 || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool is_hex16(const std::string& s) {
  return s.size() == 16 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// floor(sqrt(a * b)) without overflow: the largest size nearer (on a log scale) to a than
// to b, for a < b. A size x goes to a when x^2 <= a*b (ties to the smaller size).
__extension__ typedef unsigned __int128 Wide;  // GCC and Clang; a*b of two sizes fits
std::size_t log_midpoint(std::size_t a, std::size_t b) {
  const Wide prod = static_cast<Wide>(a) * b;
  auto m = static_cast<std::size_t>(std::sqrt(static_cast<long double>(prod)));
  while (static_cast<Wide>(m) * m > prod) --m;
  while (static_cast<Wide>(m + 1) * (m + 1) <= prod) ++m;
  return m;
}

}  // namespace

const char* to_string(NcclAlgo a) {
  auto i = static_cast<std::size_t>(a);
  return i < kAlgoNames.size() ? kAlgoNames[i] : "unknown";
}
const char* to_string(NcclProto p) {
  auto i = static_cast<std::size_t>(p);
  return i < kProtoNames.size() ? kProtoNames[i] : "unknown";
}
const char* to_string(NcclFunc f) {
  auto i = static_cast<std::size_t>(f);
  return i < kFuncNames.size() ? kFuncNames[i] : "unknown";
}

NcclAlgo parse_nccl_algo(const std::string& s) {
  int i = index_of(kAlgoNames, s);
  if (i < 0) throw Error("unknown NCCL algorithm " + quote_excerpt(s) + "; expected one of " + joined(kAlgoNames));
  return static_cast<NcclAlgo>(i);
}

NcclProto parse_nccl_proto(const std::string& s) {
  int i = index_of(kProtoNames, s);
  if (i < 0) throw Error("unknown NCCL protocol " + quote_excerpt(s) + "; expected one of " + joined(kProtoNames));
  return static_cast<NcclProto>(i);
}

NcclFunc parse_nccl_func(const std::string& s) {
  int i = index_of(kFuncNames, s);
  if (i < 0) i = index_of(kNcclFuncNames, s);
  if (i < 0)
    throw Error("unknown NCCL collective " + quote_excerpt(s) + "; expected one of " + joined(kFuncNames) + " (or " +
                joined(kNcclFuncNames) + ")");
  return static_cast<NcclFunc>(i);
}

std::optional<NcclFunc> nccl_func_of(const std::string& collective) {
  int i = index_of(kFuncNames, collective);
  if (i < 0) return std::nullopt;
  return static_cast<NcclFunc>(i);
}

Json profile_to_json(const Profile& p) {
  Json cells = Json::array();
  for (const auto& c : p.cells) cells.push_back(cell_to_json(c));
  Json env = Json::object();
  for (const auto& [k, v] : p.environment) env[k] = v;
  Json j = {{"backend", p.backend},   {"nccl_version", p.nccl_version}, {"topology_hash", p.topology_hash},
            {"nnodes", p.nnodes},     {"nranks", p.nranks},             {"created_utc", p.created_utc},
            {"host", p.host},         {"environment", env},             {"cells", cells}};
  return with_schema(std::move(j), kSchema, kSchemaVersion);
}

Profile profile_from_json(const Json& doc, const std::string& source) {
  require_schema(doc, kSchema, kSchemaVersion, source);
  FieldReader r(doc, "", source,
                {"schema", "schema_version", "backend", "nccl_version", "topology_hash", "nnodes", "nranks",
                 "created_utc", "host", "environment", "cells"});
  Profile p;
  const auto backend = r.text("backend");
  if (backend != "nccl" && backend != "ucx")
    fail(source, "field \"backend\" is " + quote_excerpt(backend) + "; expected \"nccl\" or \"ucx\"");
  p.backend = backend;
  // NCCL_VERSION_CODE: major * 10000 + minor * 100 + patch since 2.9 (nccl.h).
  p.nccl_version = static_cast<int>(r.integer("nccl_version", p.backend == "nccl" ? 1 : 0, 99999999));
  p.topology_hash = r.text("topology_hash");
  if (!is_hex16(p.topology_hash))
    fail(source, "field \"topology_hash\" is " + quote_excerpt(p.topology_hash) + "; expected 16 lower-case hex digits");
  p.nnodes = static_cast<int>(r.integer("nnodes", 1, std::numeric_limits<int>::max()));
  p.nranks = static_cast<int>(r.integer("nranks", p.nnodes, std::numeric_limits<int>::max()));
  p.created_utc = r.text("created_utc", true);
  p.host = r.text("host", true);

  const Json& env = r.at("environment");
  if (!env.is_object()) fail(source, "field \"environment\" must be an object of NAME: \"value\"");
  for (const auto& [name, value] : env.items()) {
    const std::string field = "environment." + name;
    if (!is_env_name(name))
      fail(source, "field \"environment\" has the variable name " + quote_excerpt(name) +
                       "; expected upper-case letters, digits and _");
    // nccl.env writes these two itself, last; a profile that set them would contradict it.
    if (name == "NCCL_TUNER_PLUGIN" || name == "CAIRN_TUNER_PROFILE")
      fail(source, "field \"" + field + "\" is set by nccl.env itself; remove it from the profile");
    if (!value.is_string()) throw_bad_field(field, source);
    r.check_text(value.get<std::string>(), field, true);
    p.environment[name] = value.get<std::string>();
  }

  const Json& cells = r.at("cells");
  if (!cells.is_array()) fail(source, "field \"cells\" must be an array");
  std::set<std::tuple<std::string, std::size_t, int, int>> keys;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    p.cells.push_back(cell_from_json(cells[i], p, i, source));
    const auto& c = p.cells.back();
    // NCCL's tuner sees (collective, nBytes, nNodes, nRanks) and nothing else: two cells
    // of one key (two dtypes of one size) would be two answers to one question.
    if (!keys.emplace(c.collective, c.bytes, c.nnodes, c.nranks).second)
      fail(source, "field \"cells[" + std::to_string(i) + "]\" repeats an earlier cell's (collective, bytes, nnodes, "
                   "nranks) = (" + c.collective + ", " + std::to_string(c.bytes) + ", " + std::to_string(c.nnodes) +
                   ", " + std::to_string(c.nranks) + "); keep one cell per key");
  }
  return p;
}

Profile read_profile_file(const std::string& path) {
  return profile_from_json(parse_json(read_text_file(path, false, kMaxProfileBytes), path), path);
}

void write_profile_file(const Profile& p, const std::string& path) {
  Json doc = profile_to_json(p);
  // Never write what read_profile_file would refuse.
  profile_from_json(doc, path + " (being written)");
  write_file_atomically(path, doc.dump(2) + "\n");
}

std::vector<RuleRange> rule_ranges(const Profile& p, NcclFunc func, int nnodes, int nranks) {
  std::vector<const ProfileCell*> group;
  for (const auto& c : p.cells)
    if (c.nnodes == nnodes && c.nranks == nranks && nccl_func_of(c.collective) == func) group.push_back(&c);
  std::sort(group.begin(), group.end(), [](const auto* a, const auto* b) { return a->bytes < b->bytes; });
  std::vector<RuleRange> out;
  for (std::size_t i = 0; i < group.size(); ++i) {
    const std::size_t s = group[i]->bytes;
    RuleRange r{s, s, group[i]};
    if (i > 0) {
      const std::size_t lo = group[i - 1]->bytes;
      if (static_cast<double>(s) <= kMaxGapRatio * static_cast<double>(lo)) r.min_bytes = log_midpoint(lo, s) + 1;
    }
    if (i + 1 < group.size()) {
      const std::size_t hi = group[i + 1]->bytes;
      if (static_cast<double>(hi) <= kMaxGapRatio * static_cast<double>(s)) r.max_bytes = log_midpoint(s, hi);
    }
    out.push_back(r);
  }
  return out;
}

const RuleRange* find_range(const std::vector<RuleRange>& ranges, std::size_t bytes) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), bytes,
                             [](std::size_t b, const RuleRange& r) { return b < r.min_bytes; });
  if (it == ranges.begin()) return nullptr;
  --it;
  return bytes <= it->max_bytes ? &*it : nullptr;
}

const ProfileCell* find_rule(const Profile& p, NcclFunc func, std::size_t bytes, int nnodes, int nranks) {
  const auto ranges = rule_ranges(p, func, nnodes, nranks);
  const RuleRange* r = find_range(ranges, bytes);
  return r && r->cell->tuned ? r->cell : nullptr;
}

std::string format_nccl_env(const Profile& p, const std::string& profile_path) {
  bool printable = std::all_of(profile_path.begin(), profile_path.end(), [](char c) { return c >= 0x20 && c != 0x7f; });
  if (profile_path.empty() || !printable)
    throw Error("nccl.env: the profile path " + quote_excerpt(profile_path) + " must be one line of printable text");
  std::string out = fmt::format("# NCCL settings from the Cairn tuning profile {}\n", profile_path);
  out += fmt::format("# backend {}, NCCL {}, topology {}, {} nodes, {} ranks, measured {} on {}\n", p.backend,
                     p.nccl_version, p.topology_hash, p.nnodes, p.nranks, p.created_utc, p.host);
  for (const auto& [k, v] : p.environment) out += k + "=" + v + "\n";
  // The per-call choices need Cairn's tuner plugin; a ucx profile has none for NCCL.
  if (p.backend == "nccl") out += "NCCL_TUNER_PLUGIN=cairn\nCAIRN_TUNER_PROFILE=" + profile_path + "\n";
  return out;
}

std::string format_example_plugin_csv(const Profile& p) {
  if (p.backend != "nccl") return "";
  std::string out =
      "# NCCL example tuner plugin configuration (ext-tuner/example/nccl_tuner.conf) from a Cairn profile:\n"
      "# collective_type,min_bytes,max_bytes,algorithm,protocol,channels,nNodes,nRanks,numPipeOps,regBuff\n";
  std::set<std::tuple<int, int, int>> groups;
  for (const auto& c : p.cells)
    if (auto f = nccl_func_of(c.collective)) groups.emplace(static_cast<int>(*f), c.nnodes, c.nranks);
  for (const auto& [f, nnodes, nranks] : groups)
    for (const auto& r : rule_ranges(p, static_cast<NcclFunc>(f), nnodes, nranks)) {
      const auto& choice = r.cell->tuned;
      if (!choice || !choice->nccl_algorithm || !choice->nccl_protocol) continue;
      out += fmt::format("{},{},{},{},{},{},{},{},-1,-1\n", kNcclFuncNames[static_cast<std::size_t>(f)], r.min_bytes,
                         r.max_bytes, to_string(*choice->nccl_algorithm), to_string(*choice->nccl_protocol),
                         choice->channels > 0 ? choice->channels : -1, nnodes, nranks);
    }
  return out;
}

}  // namespace cairn::tuner
