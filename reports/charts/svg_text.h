// Text and numbers as they go into SVG and HTML. Everything a report draws comes from
// files (host names, evidence, labels), so every piece of text passes through xml_escape.
#pragma once

#include <string>
#include <string_view>

namespace cairn::reports {

// &, <, >, " and ' as entities; control characters other than tab and newline (which XML
// 1.0 forbids) and bytes of invalid UTF-8 as U+FFFD, so any input makes a well-formed page.
std::string xml_escape(std::string_view text);

// A coordinate for an SVG attribute: two decimals at most, non-finite values as 0 and
// magnitudes clamped, so a huge input value never writes "inf" or "1e+308" into a path.
std::string svg_number(double v);

}  // namespace cairn::reports
