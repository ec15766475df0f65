// A table of text cells, rendered as an HTML <table> or a Markdown table; cells carry a
// verdict class ("pass", "fail", ...) that the page colours.
#pragma once

#include <string>
#include <vector>

namespace cairn::reports {

// How a cell (or a summary line) reads: the page colours it, Markdown spells it out.
enum class Tone { plain, good, bad, warning, muted };

struct Cell {
  std::string text;
  Tone tone = Tone::plain;
  bool numeric = false;  // right-aligned
};

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<Cell>> rows;
};

// "good", "bad", ...: the CSS class of a tone ("" for plain).
const char* tone_class(Tone t);

std::string render_html_table(const Table& t);
std::string render_markdown_table(const Table& t);
// Text for one Markdown table cell or line: pipes, backslashes and Markdown's markup
// characters escaped, newlines and other control characters as spaces.
std::string markdown_escape(const std::string& text);

}  // namespace cairn::reports
