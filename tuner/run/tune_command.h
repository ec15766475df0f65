// `cairn tune` as one rank of a job: the job's communicator (NCCL through Cairn's tuner
// plugin in sweep mode, or UCX), then a sweep (session.h) or a --verify (verify.h), and
// the table on rank 0. --diff and --predict need no job (diff.h, predict_report.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "collectives/backends/open_backend.h"
#include "tuner/run/session.h"

namespace cairn::tuner {

struct TuneRequest {
  coll::BackendChoice backend = coll::BackendChoice::automatic;
  int device = -1;               // CUDA device for nccl; -1: the local rank's
  double timeout_s = 600;        // a stuck call aborts after this (0: never)
  std::string plugin;            // Cairn's tuner plugin; empty: default_plugin_path()
  std::vector<Cell> cells;       // the workload (a sweep)
  std::string verify;            // a profile to measure against the defaults instead
  SessionOptions session;        // --out, the search's options; cells and context are filled in
};

// Collective over the job this process belongs to. Returns the exit code (0, or 1 when
// --verify finds a cell slower than the default); throws cairn::Error (could not run)
// and cairn::CheckFailed (a winner returned wrong data).
int run_tune(TuneRequest request, std::ostream& out);

// --diff: the table, and 1 when a cell got slower by more than threshold_pct percent.
int run_diff(const std::string& before, const std::string& after, double threshold_pct, std::ostream& out);

}  // namespace cairn::tuner
