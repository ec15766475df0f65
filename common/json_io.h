// JSON documents with a schema tag. Every machine-readable output of Cairn carries
// {"schema": "cairn.<kind>", "schema_version": N}; readers check both before reading on.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

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

namespace json_detail {

struct NotThisType {};

template <typename T> struct is_vector : std::false_type {};
template <typename U, typename A> struct is_vector<std::vector<U, A>> : std::true_type {};
template <typename T> struct is_string_map : std::false_type {};
template <typename U, typename C, typename A>
struct is_string_map<std::map<std::string, U, C, A>> : std::true_type {};

// nlohmann's get<int>() converts with static_cast: 1e119 into an integer is undefined
// behaviour and 4294967297 silently wraps. An integer field reads only a whole number in
// T's range (1e3 reads as 1000; 1.5, true and "8" do not).
template <typename T>
T whole_number(const Json& v) {
  using L = std::numeric_limits<T>;
  if (v.is_number_unsigned()) {
    const std::uint64_t u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(L::max())) throw NotThisType{};
    return static_cast<T>(u);
  }
  if (v.is_number_integer()) {
    const std::int64_t s = v.get<std::int64_t>();
    if constexpr (L::is_signed) {
      if (s < static_cast<std::int64_t>(L::min()) || s > static_cast<std::int64_t>(L::max())) throw NotThisType{};
    } else {
      if (s < 0 || static_cast<std::uint64_t>(s) > static_cast<std::uint64_t>(L::max())) throw NotThisType{};
    }
    return static_cast<T>(s);
  }
  if (v.is_number_float()) {
    const double x = v.get<double>();
    // [-2^digits, 2^digits) is T's range for signed T, [0, 2^digits) for unsigned; both
    // ends are exact doubles.
    const double end = std::ldexp(1.0, L::digits), lo = L::is_signed ? -end : 0.0;
    if (!std::isfinite(x) || x != std::floor(x) || x < lo || x >= end) throw NotThisType{};
    return static_cast<T>(x);
  }
  throw NotThisType{};
}

// get<T>() with whole_number() for every integer inside T (T itself, a vector's elements,
// a string map's values).
template <typename T>
T checked_get(const Json& v) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return whole_number<T>(v);
  } else if constexpr (is_vector<T>::value) {
    if (!v.is_array()) throw NotThisType{};
    T out;
    out.reserve(v.size());
    for (const Json& e : v) out.push_back(checked_get<typename T::value_type>(e));
    return out;
  } else if constexpr (is_string_map<T>::value) {
    if (!v.is_object()) throw NotThisType{};
    T out;
    for (const auto& [k, e] : v.items()) out.emplace(k, checked_get<typename T::mapped_type>(e));
    return out;
  } else {
    return v.get<T>();
  }
}

}  // namespace json_detail

// Typed field access with errors that name the source and the field path. Integer fields
// (also inside vectors and string maps) take whole numbers in range only.
template <typename T>
T json_field(const Json& obj, const std::string& key, const std::string& source) {
  if (!obj.is_object() || !obj.contains(key))
    throw_missing_field(key, source);
  try {
    return json_detail::checked_get<T>(obj.at(key));
  } catch (const nlohmann::json::exception&) {
    throw_bad_field(key, source);
  } catch (const json_detail::NotThisType&) {
    throw_bad_field(key, source);
  }
}

}  // namespace cairn
