#include "common/json_io.h"

#include "common/error.h"
#include "common/text_file.h"
#include "common/untrusted_text.h"

namespace cairn {

Json parse_json(const std::string& text, const std::string& source) {
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // Syntax errors are parse_error, a number too large for a double out_of_range (406,
    // found by fuzz_probe_json: 7777777e977777). e.what() is
    // "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    // Its "last read: '...'" quotes the token being read, which a hostile file can make
    // megabytes long: keep an excerpt of it.
    std::string what = e.what();
    auto pos = what.find("] ");
    if (pos != std::string::npos) what = what.substr(pos + 2);
    const std::string last_read = "; last read: '";
    if (auto at = what.find(last_read); at != std::string::npos && what.back() == '\'')
      what = what.substr(0, at) + "; last read: " +
             quote_excerpt(std::string_view(what).substr(at + last_read.size(), what.size() - at - last_read.size() - 1));
    fail(source, "malformed JSON (" + what + ")");
  }
}

Json read_json_file(const std::string& path) { return parse_json(read_text_file(path), path); }

void require_schema(const Json& doc, const std::string& kind, int version,
                    const std::string& source) {
  if (!doc.is_object()) fail(source, "expected a JSON object with \"schema\": \"" + kind + "\"");
  auto it = doc.find("schema");
  if (it == doc.end() || !it->is_string())
    fail(source, "no \"schema\" field; expected \"" + kind + "\"");
  if (*it != kind)
    fail(source, "schema is \"" + it->get<std::string>() + "\", expected \"" + kind + "\"");
  auto v = doc.find("schema_version");
  if (v == doc.end() || !v->is_number_integer())
    fail(source, "no integer \"schema_version\" field");
  if (v->get<long long>() != version)
    fail(source, "schema_version " + std::to_string(v->get<long long>()) +
                     " is not supported; this cairn reads version " + std::to_string(version) +
                     " (re-create the file with this cairn)");
}

Json with_schema(Json doc, const std::string& kind, int version) {
  doc["schema"] = kind;
  doc["schema_version"] = version;
  return doc;
}

void throw_missing_field(const std::string& key, const std::string& source) {
  fail(source, "missing field \"" + key + "\"");
}

void throw_bad_field(const std::string& key, const std::string& source) {
  fail(source, "field \"" + key + "\" has the wrong type");
}

}  // namespace cairn
