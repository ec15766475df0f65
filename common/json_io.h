// JSON documents with a schema tag. Every machine-readable output of Cairn carries
// {"schema": "cairn.<kind>", "schema_version": N}; readers check both before reading on.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cairn {

using Json = nlohmann::json;

// Parses text; errors name `source` (a file path or "stdin") and the parser's position.
Json parse_json(const std::string& text, const std::string& source);

// Reads and parses a file (missing, empty, or malformed: cairn::Error naming the file).
Json read_json_file(const std::string& path);

// Throws cairn::Error naming `source` unless doc is an object with schema == kind and
// schema_version == version.
void require_schema(const Json& doc, const std::string& kind, int version,
                    const std::string& source);

// Adds the schema fields to an object.
Json with_schema(Json doc, const std::string& kind, int version);

[[noreturn]] void throw_missing_field(const std::string& key, const std::string& source);
[[noreturn]] void throw_bad_field(const std::string& key, const std::string& source);

// Typed field access with errors that name the source and the field path.
template <typename T>
T json_field(const Json& obj, const std::string& key, const std::string& source) {
  if (!obj.is_object() || !obj.contains(key))
    throw_missing_field(key, source);
  try {
    return obj.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw_bad_field(key, source);
  }
}


}  // namespace cairn
