// One `cairn tune` sweep on a communicator: for each collective of the workload, its
// search space, a journal (resumed when one of the same sweep exists), the guided or the
// exhaustive search, a data check of every winner, and on rank 0 the files production
// gets: profile.json, nccl.env, and NCCL's example-plugin CSV (nccl_tuner.conf).
//
// The out directory holds, per collective, journal-<collective>.jsonl: kill the sweep
// and run the same command again, and it goes on from the last line written.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "collectives/measure/memory.h"
#include "tuner/run/comm_measurer.h"
#include "tuner/search/search.h"

namespace cairn::tuner {

struct SessionOptions {
  std::vector<Cell> cells;
  bool exhaustive = false;
  SearchOptions search;
  std::string out_dir = "tune";
  bool restart = false;      // ignore (and replace) journals of an earlier sweep
  ProfileContext context;    // backend, version, topology, sizes, host
  // The candidates for one collective; the first is the default.
  std::function<std::vector<Candidate>(const std::string& collective)> space;
};

struct SessionResult {
  std::vector<CellOutcome> outcomes;   // every cell, in workload order
  long grid_pairs = 0, pairs_measured = 0;
  int replayed = 0, measured = 0, torn_lines = 0;
  int left_out_per_process = 0;        // candidates the space has that need fresh workers
  std::int64_t wrong = 0;              // wrong elements in the winners' data checks
  std::vector<std::string> wrong_cells;
  Profile profile;
  std::vector<std::string> files;      // written by rank 0
};

// Makes the out directory (its last component only) and checks profile.json can be written
// there; throws naming --out. Rank 0's, before anything is measured.
void prepare_out_dir(const std::string& dir);

// Collective. Rank 0 checks the out directory can be written before anything is measured.
SessionResult run_session(coll::Communicator& comm, coll::bench::Memory& memory, CommMeasurer& measurer,
                          const SessionOptions& options);

// The table rank 0 prints at the end.
std::string format_session(const SessionResult& r, const SessionOptions& options);

// The candidate a profile cell's choice stands for (for --verify): the default when the
// cell's default stays.
Candidate candidate_of(const ProfileCell& cell);

}  // namespace cairn::tuner
