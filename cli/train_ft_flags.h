// The fault-tolerance flags of `cairn train` (train/fault_tolerance.h, docs/ft.md), one
// function a layer so each layer's flags stay beside each other.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/options.h"
#include "train/fault_tolerance.h"

namespace cairn::cli {

// Flag values that need parsing after the command line is read (--inject's texts).
struct FtFlagTexts {
  std::vector<std::string> inject;
  std::optional<int> metrics_port;  // --metrics-port, checked as read
  std::string metrics_addr;         // --metrics-addr, checked as read; empty: not given
};

void add_fault_tolerance_flags(po::options_description& desc, train::FaultToleranceOptions& o, FtFlagTexts& texts);
// After parse_options: parses what add_fault_tolerance_flags() kept as text.
void finish_fault_tolerance_flags(const FtFlagTexts& texts, train::FaultToleranceOptions& o);

}  // namespace cairn::cli
