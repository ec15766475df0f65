#include "reports/sections/format.h"

#include <cmath>

#include <fmt/format.h>

#include "common/error.h"
#include "reports/charts/palette.h"
#include "reports/charts/scale.h"

namespace cairn::reports {
namespace {

const Json* given(const Json& obj, const std::string& key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

[[noreturn]] void wrong_type(const std::string& where, const std::string& key, const char* type) {
  throw Error(fmt::format("{}: field \"{}\" is not {}; give the file as cairn wrote it", where, key, type));
}

}  // namespace

std::optional<double> opt_number(const Json& obj, const std::string& key, const std::string& where) {
  const Json* v = given(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) wrong_type(where, key, "a number");
  return v->get<double>();
}

std::optional<std::string> opt_string(const Json& obj, const std::string& key, const std::string& where) {
  const Json* v = given(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(where, key, "a string");
  return v->get<std::string>();
}

const Json& opt_array(const Json& obj, const std::string& key, const std::string& where) {
  static const Json kEmpty = Json::array();
  const Json* v = given(obj, key);
  if (!v) return kEmpty;
  if (!v->is_array()) wrong_type(where, key, "an array");
  return *v;
}

std::optional<int> opt_int(const Json& obj, const std::string& key, const std::string& where) {
  if (!given(obj, key)) return std::nullopt;
  return json_field<int>(obj, key, where);
}

int req_int(const Json& obj, const std::string& key, const std::string& where) {
  if (!given(obj, key)) throw Error(fmt::format("{}: no field \"{}\"; give the file as cairn wrote it", where, key));
  return json_field<int>(obj, key, where);
}

double req_number(const Json& obj, const std::string& key, const std::string& where) {
  const auto v = opt_number(obj, key, where);
  if (!v) throw Error(fmt::format("{}: no field \"{}\"; give the file as cairn wrote it", where, key));
  return *v;
}

std::string req_string(const Json& obj, const std::string& key, const std::string& where) {
  const auto v = opt_string(obj, key, where);
  if (!v) throw Error(fmt::format("{}: no field \"{}\"; give the file as cairn wrote it", where, key));
  return *v;
}

const Json& object_at(const Json& array, std::size_t k, const std::string& where, const std::string& name) {
  const Json& e = array.at(k);
  if (!e.is_object()) throw Error(fmt::format("{}: {}[{}] is not an object; give the file as cairn wrote it", where, name, k));
  return e;
}

Section make_section(std::string title, std::vector<std::string> sources, std::string intro) {
  Section s;
  s.title = std::move(title);
  s.sources = std::move(sources);
  s.intro = std::move(intro);
  return s;
}

std::string gb_s(double v) { return format_value(v) + " GB/s"; }

std::string or_dash(const std::optional<double>& v, const std::string& unit) {
  if (!v) return "-";
  return unit.empty() ? format_value(*v) : format_value(*v) + " " + unit;
}

Tone verdict_tone(const std::string& verdict) {
  if (verdict == "pass" || verdict == "accepted" || verdict == "healthy" || verdict == "tuned") return Tone::good;
  if (verdict == "fail" || verdict == "rejected") return Tone::bad;
  if (verdict == "skipped" || verdict == "could_not_run") return Tone::warning;
  return Tone::plain;
}

Cell number_cell(double v) { return {format_value(v), Tone::plain, true}; }
Cell number_cell(const std::optional<double>& v) { return {or_dash(v), v ? Tone::plain : Tone::muted, true}; }

std::vector<StepEvent> step_events(const std::vector<const Input*>& event_files) {
  std::vector<StepEvent> out;
  for (const Input* in : event_files) {
    for (std::size_t k = 0; k < in->events.size(); ++k) {
      const Json& e = in->events[k];
      const std::string where = fmt::format("{} event {}", in->path, k + 1);
      StepEvent s;
      if (in->schema == "cairn.straggler_alert") {
        s.step = req_number(e, "step", where) + 1;  // the alert counts steps from 0
        s.rank = opt_int(e, "rank", where).value_or(-1);
        s.kind = "straggler alert";
        s.colour = kAlertColour;
        s.detail = fmt::format("step {}: rank {} {}-slow, {:+.1f} %: {}", format_value(s.step), s.rank,
                               opt_string(e, "type", where).value_or("?"),
                               opt_number(e, "slowdown_percent", where).value_or(0),
                               opt_string(e, "evidence", where).value_or(""));
      } else if (in->schema == "cairn.sdc.event") {
        s.step = req_number(e, "step", where);  // already 1-based
        const std::string action = opt_string(e, "action", where).value_or("?");
        s.kind = "SDC " + action;
        s.colour = action == "repaired" ? kWarningColour : "#7f3c8d";
        const Json& findings = opt_array(e, "findings", where);
        s.detail = fmt::format("step {}: {} check, {}{}", format_value(s.step), opt_string(e, "check", where).value_or("?"),
                               action, findings.empty() || !findings[0].is_string() ? "" : ": " + findings[0].get<std::string>());
      } else {
        continue;  // watchdog verdicts and launch incidents have no step of their own
      }
      if (std::isfinite(s.step)) out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace cairn::reports
