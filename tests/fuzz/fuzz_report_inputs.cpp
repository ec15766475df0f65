// libFuzzer target: what `cairn report` reads (reports/inputs: cairn.* documents, JSON
// lines of events, loss-log text) and everything it renders from it (reports/sections,
// the HTML and Markdown). Any input either fails with cairn::Error or renders to a page
// whose markup is all its own: no script, no source and no link but to its own sections,
// whatever the fields say (their text, "http://" included, is escaped into plain text).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "reports/html/document.h"
#include "reports/inputs/input.h"
#include "reports/inputs/loss_log_text.h"
#include "reports/sections/report.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    cairn::reports::parse_loss_log(text, "fuzz.tsv");
  } catch (const cairn::Error&) {
  }
  try {
    const cairn::reports::Input in = cairn::reports::input_from_text(text, "fuzz.json");
    const cairn::reports::Document doc = cairn::reports::build_report({in}, {});
    const std::string html = cairn::reports::render_html(doc);
    cairn::reports::render_markdown(doc);
    // The page's own markup has none of these; one that appeared came from the input.
    if (html.find("<script") != std::string::npos || html.find("src=\"") != std::string::npos) std::abort();
    for (std::size_t at = html.find("href=\""); at != std::string::npos; at = html.find("href=\"", at + 1))
      if (html.compare(at + 6, 1, "#") != 0) std::abort();
  } catch (const cairn::Error&) {
  }
  return 0;
}
