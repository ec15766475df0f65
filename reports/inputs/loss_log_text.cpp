#include "reports/inputs/loss_log_text.h"

#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "common/error.h"
#include "common/untrusted_text.h"

namespace cairn::reports {
namespace {

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

template <typename T>
std::optional<T> number_of(std::string_view s) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Calls f(line, number) for each non-empty line; stops when f returns false.
template <typename F>
void for_each_line(std::string_view text, F f) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++number;
    if (fields_of(line).empty()) continue;
    if (!f(line, number)) return;
  }
}

}  // namespace

bool looks_like_loss_log(std::string_view text) {
  bool looks = false;
  for_each_line(text, [&](std::string_view line, std::size_t) {
    const auto fields = fields_of(line);
    // Digits only, however many: a step too large is the loss log's error to report.
    looks = fields.size() == 4 && fields[0].find_first_not_of("0123456789") == std::string_view::npos;
    return false;
  });
  return looks;
}

std::vector<LossPoint> parse_loss_log(std::string_view text, const std::string& source) {
  std::vector<LossPoint> points;
  for_each_line(text, [&](std::string_view line, std::size_t number) {
    const auto fields = fields_of(line);
    const auto bad = [&](const std::string& why) {
      throw Error(fmt::format("{} line {}: {} in {}; a --loss-log file has lines \"STEP LOSS GRAD_NORM LR\"", source,
                              number, why, quote_excerpt(line)));
    };
    if (fields.size() != 4) bad(fmt::format("{} field(s), not 4", fields.size()));
    const auto step = number_of<std::int64_t>(fields[0]);
    if (!step || *step < 1) bad("the step is not a whole number of 1 or more");
    LossPoint p;
    p.step = *step;
    double* values[] = {&p.loss, &p.grad_norm, &p.lr};
    for (std::size_t k = 0; k < 3; ++k) {
      const auto v = number_of<double>(fields[k + 1]);
      if (!v) bad(fmt::format("field {} is not a number", k + 2));
      *values[k] = *v;
    }
    points.push_back(p);
    return true;
  });
  if (points.empty()) throw Error(source + ": no steps in the loss log; give a file `cairn train --loss-log` wrote");
  return points;
}

}  // namespace cairn::reports
