// One file `cairn report` was given, read and told apart by its content: a cairn.* JSON
// document (bench, pairs, probe, topo, tune profile or prediction, acceptance), JSON lines
// of cairn.* events (straggler alerts, SDC events, watchdog verdicts, launch incidents),
// or `cairn train --loss-log` text.
#pragma once

#include <string>
#include <vector>

#include "common/json_io.h"
#include "reports/inputs/loss_log_text.h"

namespace cairn::reports {

// The pseudo-schema of a loss log, which has none of its own.
inline constexpr const char* kLossLogKind = "loss-log";

struct Input {
  std::string path;    // as given
  std::string label;   // the file's name without its directory and .json/.jsonl/.tsv: a series' name
  std::string schema;  // "cairn.bench", ..., or kLossLogKind
  int version = 0;
  Json doc;                        // a document
  std::vector<Json> events;        // event lines (a single event document counts as one)
  std::vector<LossPoint> loss;     // a loss log
};

// What the report reads, for errors and --help: "cairn.bench v1-2, cairn.pairs v1, ...".
std::string accepted_inputs();

// Reads and identifies one file. cairn::Error naming the file for anything it cannot
// show: missing, unreadable, empty, not JSON and not a loss log, a schema it does not
// know or a version it does not read (the message lists what it reads), a JSON line that
// does not parse (its line number), or event lines of different schemas.
Input read_input(const std::string& path);
// The same for text already read (empty text included), `path` naming it in errors.
Input input_from_text(const std::string& text, const std::string& path);

}  // namespace cairn::reports
