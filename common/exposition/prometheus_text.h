// The Prometheus text exposition format, version 0.0.4 (prometheus.io/docs/instrumenting/
// exposition_formats): what every renderer of Cairn's metrics writes with, so label
// values are escaped and numbers spelt one way everywhere.
#pragma once

#include <string>

namespace cairn::exposition {

// The Content-Type a scrape of this format is answered with.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// A label value with backslash, double quote and newline escaped (\\, \", \n).
std::string label_value(const std::string& v);

// A sample value: the shortest text that reads back as the same double (so a scraped
// loss equals the logged one), NaN, +Inf or -Inf.
std::string sample_value(double v);

// "# HELP name help\n# TYPE name type\n" appended to out; type is counter, gauge, summary,
// histogram or untyped. Newlines and backslashes in help are escaped.
void add_family(std::string& out, const std::string& name, const char* type, const std::string& help);

// One family of one unlabelled sample: its HELP and TYPE lines and "name value\n".
void add_sample(std::string& out, const std::string& name, const char* type, const std::string& help, double v);

}  // namespace cairn::exposition
