#include "reports/inputs/input.h"

#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "collectives/launch/incident.h"
#include "collectives/measure/harness/report.h"
#include "collectives/measure/pairs/analysis.h"
#include "common/error.h"
#include "common/text_file.h"
#include "common/untrusted_text.h"
#include "ft/watchdog/hang_verdict.h"
#include "probe/node_json.h"

namespace cairn::reports {
namespace {

struct KnownSchema {
  const char* name;
  int min_version, max_version;
  bool events;  // written as JSON lines, one event each
};

// Every machine output the report draws, up to the version its writer writes now (the
// writers' constants where they have one). Earlier versions of bench and pairs only lack
// fields the report does not draw (the run's configuration and environment).
constexpr KnownSchema kKnownSchemas[] = {
    {"cairn.acceptance", 1, 1, false},
    {coll::bench::kBenchSchema, 1, coll::bench::kBenchSchemaVersion, false},
    {coll::pairs::kPairsSchema, 1, coll::pairs::kPairsSchemaVersion, false},
    {"cairn.topo", 1, 1, false},
    {probe::kProbeSchema, 1, probe::kProbeSchemaVersion, false},
    {"cairn.tune.profile", 1, 1, false},
    {"cairn.tune.prediction", 1, 1, false},
    {"cairn.straggler_alert", 1, 1, true},
    {"cairn.sdc.event", 1, 1, true},
    {"cairn.watchdog_verdict", 1, ft::kVerdictSchemaVersion, true},
    {"cairn.launch_incident", 1, coll::kIncidentSchemaVersion, true},
};

const KnownSchema* find_schema(const std::string& name) {
  for (const KnownSchema& k : kKnownSchemas)
    if (name == k.name) return &k;
  return nullptr;
}

std::string label_of(const std::string& path) {
  std::filesystem::path p(path);
  const std::string ext = p.extension().string();
  if (ext == ".json" || ext == ".jsonl" || ext == ".tsv" || ext == ".txt" || ext == ".log") p.replace_extension();
  std::string name = p.filename().string();
  return name.empty() ? path : name;
}

// The schema and version of a document, checked against what the report reads.
const KnownSchema& identify(const Json& doc, const std::string& where, int& version) {
  if (!doc.is_object() || !doc.contains("schema"))
    throw Error(where + ": no \"schema\" field, so not a Cairn result; cairn report reads " + accepted_inputs());
  const Json& s = doc["schema"];
  const std::string name = s.is_string() ? s.get<std::string>() : s.dump();
  const KnownSchema* known = find_schema(name);
  if (!known)
    throw Error(fmt::format("{}: schema {} is not one cairn report reads; it reads {}", where, quote_excerpt(name),
                            accepted_inputs()));
  const Json& v = doc.contains("schema_version") ? doc["schema_version"] : Json();
  if (!v.is_number_integer() || v.get<std::int64_t>() < known->min_version ||
      v.get<std::int64_t>() > known->max_version)
    throw Error(fmt::format("{}: {} schema_version {} is not one this cairn reads (it reads v{}{}); use the cairn "
                            "that wrote it",
                            where, name, v.is_number() ? v.dump() : quote_excerpt(v.dump()), known->min_version,
                            known->max_version > known->min_version ? fmt::format("-{}", known->max_version) : ""));
  version = static_cast<int>(v.get<std::int64_t>());
  return *known;
}

// JSON lines: one cairn.* event per non-empty line, all of one schema.
void read_event_lines(const std::string& text, Input& in) {
  std::size_t number = 0, start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(start, nl - start);
    start = nl + 1;
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{} line {}", in.path, number);
    Json event = Json::parse(line, nullptr, false);
    if (event.is_discarded())
      throw Error(where + ": not JSON; a file of events has one cairn.* JSON object per line");
    int version = 0;
    const KnownSchema& k = identify(event, where, version);
    if (!k.events)
      throw Error(fmt::format("{}: a {} document is a file of its own, not a line among events", where, k.name));
    if (!in.schema.empty() && in.schema != k.name)
      throw Error(fmt::format("{}: a {} line among {} lines; give each kind of event in a file of its own", where,
                              k.name, in.schema));
    in.schema = k.name;
    in.version = version;
    in.events.push_back(std::move(event));
  }
}

}  // namespace

std::string accepted_inputs() {
  std::string out;
  for (const KnownSchema& k : kKnownSchemas) {
    out += out.empty() ? "" : ", ";
    out += k.max_version > k.min_version ? fmt::format("{} v{}-{}", k.name, k.min_version, k.max_version)
                                         : fmt::format("{} v{}", k.name, k.min_version);
  }
  return out + " and cairn train --loss-log text";
}

Input read_input(const std::string& path) { return input_from_text(read_text_file(path), path); }

Input input_from_text(const std::string& text, const std::string& path) {
  Input in;
  in.path = path;
  in.label = label_of(path);
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw Error(path + ": empty or only white space; give a cairn.* result or a loss log");
  if (text[first] == '{' || text[first] == '[') {
    Json doc;
    try {
      doc = Json::parse(text, nullptr, false);
    } catch (const std::bad_alloc&) {
      fail_out_of_memory(path, "parse it");
    }
    if (doc.is_discarded()) {
      read_event_lines(text, in);  // not one document: perhaps one event per line
      return in;
    }
    const KnownSchema& k = identify(doc, path, in.version);
    in.schema = k.name;
    if (k.events)
      in.events.push_back(std::move(doc));
    else
      in.doc = std::move(doc);
    return in;
  }
  if (!looks_like_loss_log(text))
    throw Error(path + ": neither JSON nor a loss log, so not a Cairn result; cairn report reads " + accepted_inputs());
  in.schema = kLossLogKind;
  in.loss = parse_loss_log(text, path);
  return in;
}

}  // namespace cairn::reports
