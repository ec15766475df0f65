// The whole report: every input read and identified, then one section per kind of result
// in a fixed order (the verdict first, then what was measured, then the training run).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/html/document.h"
#include "reports/inputs/input.h"

namespace cairn::reports {

struct ReportOptions {
  std::string title = "Cairn report";
  std::string generated;                    // when, as the page says it
  std::optional<double> expect_busbw_gb_s;  // a line on every bench chart
};

// The document of already-read inputs (read_input). cairn::Error naming the file and the
// field for an input that does not hold what its schema says.
Document build_report(const std::vector<Input>& inputs, const ReportOptions& options);

}  // namespace cairn::reports
