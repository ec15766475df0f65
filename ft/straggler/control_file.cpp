#include "ft/straggler/control_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>

#include "common/file_kind.h"
#include "common/text_file.h"
#include "common/untrusted_text.h"

namespace cairn::ft {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_number(std::string_view s, double& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

}  // namespace

ControlUpdate parse_control(std::string_view text, const StragglerThresholds& current) {
  ControlUpdate u{current, {}};
  int line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    const auto bad = [&](const std::string& why) {
      u.problems.push_back("line " + std::to_string(line_no) + " " + quote_excerpt(line) + ": " + why);
    };
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      bad("not key=value");
      continue;
    }
    const std::string_view key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    double v = 0;
    if (!parse_number(value, v)) {
      bad("the value is not a finite number");
      continue;
    }
    if (key == "threshold" || key == "z") {
      if (v > 0) u.thresholds.z = v;
      else bad("threshold must be > 0");
    } else if (key == "min_slowdown") {
      if (v >= 0 && v <= 10) u.thresholds.min_slowdown = v;
      else bad("min_slowdown must be a fraction from 0 to 10");
    } else if (key == "hysteresis") {
      if (v >= 1 && v <= 1000 && v == std::floor(v)) u.thresholds.hysteresis = static_cast<int>(v);
      else bad("hysteresis must be a whole number from 1 to 1000");
    } else {
      bad("unknown key (threshold, min_slowdown, hysteresis)");
    }
  }
  return u;
}

StragglerThresholds ControlFile::read(const StragglerThresholds& current,
                                      const std::function<void(const std::string&)>& log) {
  std::string text, problem;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT) problem = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = std::string("is ") + file_kind(st.st_mode) + ", not a regular file";  // a FIFO would block training
  } else {
    try {
      text = read_text_file(path_, true, kMaxControlBytes);
    } catch (const std::exception& e) {
      problem = e.what();
    }
  }
  const std::string seen = problem.empty() ? text : "\x02" + problem;
  const bool changed = seen != last_text_;
  last_text_ = seen;
  if (!problem.empty()) {
    if (changed && log) log("--straggler-control " + path_ + ": " + problem + "; thresholds unchanged");
    return current;
  }
  ControlUpdate u = parse_control(text, current);
  if (changed && log)
    for (const auto& p : u.problems) log("--straggler-control " + path_ + ": " + p + "; ignored");
  return u.thresholds;
}

}  // namespace cairn::ft
