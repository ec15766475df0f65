// What the section renderers share: tolerant field access (a missing or null field is
// "not given"; a present field of the wrong type is an error naming the file and field),
// number and verdict formatting, and the events that happened at a training step.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/json_io.h"
#include "reports/html/document.h"
#include "reports/html/table.h"
#include "reports/inputs/input.h"

namespace cairn::reports {

// Missing or null: nullopt. Another type: cairn::Error "WHERE: field KEY is not a number".
std::optional<double> opt_number(const Json& obj, const std::string& key, const std::string& where);
std::optional<std::string> opt_string(const Json& obj, const std::string& key, const std::string& where);
// Missing or null: an empty array.
const Json& opt_array(const Json& obj, const std::string& key, const std::string& where);
// Whole numbers in range only (ranks, counts): 1e300 or 1.5 is an error naming the field.
std::optional<int> opt_int(const Json& obj, const std::string& key, const std::string& where);
int req_int(const Json& obj, const std::string& key, const std::string& where);
// Required fields: cairn::Error naming the field when missing or of another type.
double req_number(const Json& obj, const std::string& key, const std::string& where);
std::string req_string(const Json& obj, const std::string& key, const std::string& where);
// An element of an array that must be an object ("WHERE: checks[3] is not an object").
const Json& object_at(const Json& array, std::size_t k, const std::string& where, const std::string& name);

// Calls f(element, "WHERE KEY[k]") for each element of the array parent[KEY] (none when
// missing), each of which must be an object; returns how many there were.
template <typename F>
std::size_t for_each_object(const Json& parent, const std::string& key, const std::string& where, F&& f) {
  const Json& list = opt_array(parent, key, where);
  for (std::size_t k = 0; k < list.size(); ++k) f(object_at(list, k, where, key), fmt::format("{} {}[{}]", where, key, k));
  return list.size();
}

// A section with its heading, the files it shows and the sentence saying what it shows.
Section make_section(std::string title, std::vector<std::string> sources, std::string intro);

std::string gb_s(double v);                 // "12.3 GB/s"
std::string or_dash(const std::optional<double>& v, const std::string& unit = "");
// pass/accepted/healthy: good; fail/rejected: bad; skipped/could_not_run: warning.
Tone verdict_tone(const std::string& verdict);
Cell number_cell(double v);
Cell number_cell(const std::optional<double>& v);

// Something that happened at a training step (1-based, as the progress table and the
// loss log count): a straggler alert, an SDC event.
struct StepEvent {
  double step = 0;
  int rank = -1;
  std::string kind;    // "straggler alert", "SDC repaired", ...
  std::string detail;  // the evidence, for a tooltip
  std::string colour;
};
std::vector<StepEvent> step_events(const std::vector<const Input*>& event_files);

}  // namespace cairn::reports
