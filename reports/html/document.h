// The report as a document: a summary at the top (one finding per line, coloured by
// tone), then one section per kind of result, each with its heading, where it came from,
// its charts (inline SVG) and tables. Rendered as one self-contained HTML file (inline
// CSS, no scripts, no fonts, nothing fetched) or as a Markdown summary.
#pragma once

#include <string>
#include <vector>

#include "reports/html/table.h"

namespace cairn::reports {

struct Finding {
  std::string topic;  // "all_reduce", "pairs", "verdict"
  std::string text;   // "peak busbw 2.1 GB/s at 1M (bench.json)"
  Tone tone = Tone::plain;
};

struct Section {
  std::string title;                 // "Collective bandwidth"
  std::vector<std::string> sources;  // the files it shows
  std::string intro;                 // one sentence: what the charts show (plain text)
  std::vector<std::string> charts;   // <svg> elements
  std::vector<Table> tables;
  std::vector<Finding> findings;     // for the summary
};

struct Document {
  std::string title = "Cairn report";
  std::string generated;             // "2026-12-07T16:30:00Z"
  std::vector<std::string> inputs;   // every file read, in the order given
  std::vector<Section> sections;
};

std::string render_html(const Document& d);
std::string render_markdown(const Document& d);

}  // namespace cairn::reports
