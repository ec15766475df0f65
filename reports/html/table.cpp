#include "reports/html/table.h"

#include <string_view>

#include "reports/charts/svg_text.h"

namespace cairn::reports {

const char* tone_class(Tone t) {
  switch (t) {
    case Tone::good: return "good";
    case Tone::bad: return "bad";
    case Tone::warning: return "warning";
    case Tone::muted: return "muted";
    case Tone::plain: break;
  }
  return "";
}

std::string render_html_table(const Table& t) {
  std::string out = "<table>\n<thead><tr>";
  for (const std::string& h : t.headers) out += "<th>" + xml_escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (const Cell& c : row) {
      std::string cls = tone_class(c.tone);
      if (c.numeric) cls += cls.empty() ? "num" : " num";
      out += cls.empty() ? "<td>" : "<td class=\"" + cls + "\">";
      out += xml_escape(c.text) + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

std::string markdown_escape(const std::string& text) {
  static constexpr std::string_view kMarkup = "\\|`*_[]<>#";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F)
      out += ' ';
    else if (kMarkup.find(ch) != std::string_view::npos)
      out += std::string("\\") + ch;
    else
      out += ch;
  }
  return out;
}

std::string render_markdown_table(const Table& t) {
  if (t.headers.empty()) return "";
  std::string out = "|";
  for (const std::string& h : t.headers) out += " " + markdown_escape(h) + " |";
  out += "\n|";
  for (std::size_t k = 0; k < t.headers.size(); ++k) out += "---|";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const Cell& c : row) {
      const std::string text = markdown_escape(c.text);
      // Markdown has no colour: a failing cell is bold.
      out += " " + (c.tone == Tone::bad ? "**" + text + "**" : text) + " |";
    }
    out += "\n";
  }
  return out;
}

}  // namespace cairn::reports
