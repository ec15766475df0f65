#include "common/exposition/prometheus_text.h"

#include <cmath>

#include <fmt/format.h>

namespace cairn::exposition {

std::string label_value(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string sample_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // fmt's shortest round-trip form
}

void add_family(std::string& out, const std::string& name, const char* type, const std::string& help) {
  std::string h;
  for (char c : help) {
    if (c == '\\') h += "\\\\";
    else if (c == '\n') h += "\\n";
    else h += c;
  }
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, h, name, type);
}

void add_sample(std::string& out, const std::string& name, const char* type, const std::string& help, double v) {
  add_family(out, name, type, help);
  out += name + " " + sample_value(v) + "\n";
}

}  // namespace cairn::exposition
