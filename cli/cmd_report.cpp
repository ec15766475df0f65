// cairn report: one self-contained HTML file (inline SVG charts and CSS, no scripts,
// nothing fetched) and an optional Markdown summary of any cairn.* results: bench curves,
// the pairs heatmap, the topology matrix, default against tuned, training curves with
// their alerts, the straggler timeline and the acceptance verdicts (reports/, docs/report.md).
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/same_file.h"
#include "common/text_file.h"
#include "common/utc_time.h"
#include "reports/html/document.h"
#include "reports/inputs/input.h"
#include "reports/sections/report.h"

namespace cairn::cli {

int cmd_report(const Args& args) {
  std::vector<std::string> inputs;
  std::string output, markdown;
  reports::ReportOptions options;
  double expect = 0;
  po::options_description desc("Options");
  desc.add_options()
      ("results", po::value(&inputs)->multitoken(), "the result files (also given without the flag)")
      ("output,o", po::value(&output), "the HTML report to write (required)")
      ("markdown", po::value(&markdown), "also write a Markdown summary to FILE")
      ("title", po::value(&options.title)->default_value(options.title), "the report's heading")
      ("expect-busbw-gb-s", po::value(&expect), "an expected bus bandwidth (GB/s), drawn on every bench chart");
  po::positional_options_description positional;
  positional.add("results", -1);
  po::variables_map vm;
  if (!parse_options("report",
                     "RESULTS... -o report.html [--markdown summary.md] [--title T] [--expect-busbw-gb-s X]\n"
                     "RESULTS: " + reports::accepted_inputs(),
                     args, desc, vm, &positional))
    return 0;
  if (inputs.empty()) throw Error("no results given: name one or more cairn.* JSON files or loss logs");
  if (output.empty()) throw Error("-o is missing: give the HTML file to write (-o report.html)");
  if (vm.count("expect-busbw-gb-s")) {
    if (!(expect > 0 && expect < 1e12)) throw Error("--expect-busbw-gb-s must be a bandwidth in GB/s above 0");
    options.expect_busbw_gb_s = expect;
  }
  std::vector<FlaggedPath> read;
  for (const std::string& in : inputs) read.push_back({"RESULTS", in});
  refuse_output_over_inputs({"-o", output}, read);
  if (!markdown.empty()) {
    refuse_output_over_inputs({"--markdown", markdown}, read);
    if (same_existing_file(output, markdown) || output == markdown)
      throw Error("-o " + output + " and --markdown " + markdown + " are one file: give two");
  }
  AtomicFile::check_writable(output);  // before reading, so a bad path costs nothing
  if (!markdown.empty()) AtomicFile::check_writable(markdown);

  std::vector<reports::Input> results;
  for (const std::string& in : inputs) results.push_back(reports::read_input(in));
  options.generated = utc_now_iso8601();
  const reports::Document doc = reports::build_report(results, options);
  write_file_atomically(output, reports::render_html(doc));
  if (!markdown.empty()) write_file_atomically(markdown, reports::render_markdown(doc));
  std::cout << "# cairn report: " << doc.sections.size() << " section(s) from " << results.size() << " file(s) in "
            << output << (markdown.empty() ? "" : " and " + markdown) << "\n";
  return 0;
}

}  // namespace cairn::cli
