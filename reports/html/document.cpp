#include "reports/html/document.h"

#include <fmt/format.h>

#include "reports/charts/svg_text.h"

namespace cairn::reports {
namespace {

// Inline, so the file needs nothing else; the fonts are the reader's own.
constexpr const char* kStyle = R"svg(
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px 32px; color: #1a1a1a; max-width: 1100px; }
h1 { font-size: 26px; margin-bottom: 4px; }
h2 { font-size: 20px; border-bottom: 2px solid #0072b2; padding-bottom: 4px; margin-top: 36px; }
p.meta, p.source { color: #555; font-size: 13px; margin: 4px 0 12px; }
p.intro { font-size: 14px; }
table { border-collapse: collapse; margin: 10px 0 18px; font-size: 13px; }
th, td { border: 1px solid #c8c8c8; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef3f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.good, li.good::marker { color: #006e50; font-weight: bold; }
td.bad, li.bad::marker { color: #b3261e; font-weight: bold; }
td.warning { color: #9a5b00; font-weight: bold; }
td.muted { color: #777; }
ul.summary { list-style: none; padding-left: 0; font-size: 14px; }
ul.summary li { padding: 4px 8px; margin: 3px 0; border-left: 6px solid #bbb; background: #f7f7f7; }
ul.summary li.good { border-left-color: #009e73; }
ul.summary li.bad { border-left-color: #d55e00; background: #fff1ec; }
ul.summary li.warning { border-left-color: #e69f00; }
ul.summary b { display: inline-block; min-width: 150px; }
nav a { margin-right: 14px; font-size: 13px; }
svg.chart { display: block; margin: 8px 0 16px; border: 1px solid #e0e0e0; }
)svg";

std::string join_sources(const std::vector<std::string>& sources) {
  std::string out;
  for (const std::string& s : sources) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string render_html(const Document& d) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>" + xml_escape(d.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += "<h1>" + xml_escape(d.title) + "</h1>\n";
  out += fmt::format("<p class=\"meta\">Generated {} by cairn report from {} file(s): {}</p>\n", xml_escape(d.generated),
                     d.inputs.size(), xml_escape(join_sources(d.inputs)));
  out += "<h2 id=\"summary\">Summary</h2>\n<ul class=\"summary\">\n";
  for (const Section& s : d.sections)
    for (const Finding& f : s.findings) {
      const std::string cls = tone_class(f.tone);
      out += (cls.empty() ? std::string("<li>") : "<li class=\"" + cls + "\">") + "<b>" + xml_escape(f.topic) + "</b> " +
             xml_escape(f.text) + "</li>\n";
    }
  out += "</ul>\n<nav>";
  for (std::size_t k = 0; k < d.sections.size(); ++k)
    out += fmt::format("<a href=\"#section-{}\">{}</a>", k + 1, xml_escape(d.sections[k].title));
  out += "</nav>\n";
  for (std::size_t k = 0; k < d.sections.size(); ++k) {
    const Section& s = d.sections[k];
    out += fmt::format("<section>\n<h2 id=\"section-{}\">{}</h2>\n", k + 1, xml_escape(s.title));
    out += "<p class=\"source\">From " + xml_escape(join_sources(s.sources)) + "</p>\n";
    if (!s.intro.empty()) out += "<p class=\"intro\">" + xml_escape(s.intro) + "</p>\n";
    for (const std::string& chart : s.charts) out += chart + "\n";
    for (const Table& t : s.tables) out += render_html_table(t);
    out += "</section>\n";
  }
  return out + "</body>\n</html>\n";
}

std::string render_markdown(const Document& d) {
  std::string out = "# " + markdown_escape(d.title) + "\n\n";
  out += fmt::format("Generated {} by `cairn report` from {} file(s): {}.\n\n", markdown_escape(d.generated),
                     d.inputs.size(), markdown_escape(join_sources(d.inputs)));
  out += "## Summary\n\n";
  for (const Section& s : d.sections)
    for (const Finding& f : s.findings) {
      const char* mark = f.tone == Tone::bad ? "FAIL " : f.tone == Tone::warning ? "WARN " : "";
      out += "- **" + markdown_escape(f.topic) + "** " + mark + markdown_escape(f.text) + "\n";
    }
  for (const Section& s : d.sections) {
    out += "\n## " + markdown_escape(s.title) + "\n\nFrom " + markdown_escape(join_sources(s.sources)) + ".\n";
    for (const Table& t : s.tables) out += "\n" + render_markdown_table(t);
  }
  return out;
}

}  // namespace cairn::reports
