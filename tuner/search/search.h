// The search: which candidate to run at every cell, with proof that it beats the default.
// Both searches end every cell with a head-to-head of their pick against the default,
// interleaved over SearchOptions::final_rounds fresh rounds, judged by the noise rule
// (stats.h): the pick wins only when the lower bound of its speedup's interval exceeds 1,
// else the default stays. Every rank runs the same search and takes decisions only from
// the times the Measurer returns (identical on every rank), so all ranks issue the same
// measurements in the same order.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tuner/profile/profile.h"
#include "tuner/search/candidate.h"
#include "tuner/search/journal.h"
#include "tuner/search/stats.h"

namespace cairn::tuner {

struct SearchOptions {
  int explore_rounds = 3;      // rounds of each exploring measurement (medians of 3 resist one outlier)
  int final_rounds = 12;       // the head-to-head; at least min_rounds_for(coverage)
  double coverage = 0.95;      // of the speedup's interval (one-sided false-winner rate <= 2.5 %)
  double margin = 1.10;        // guided: measure what is predicted within 10 % of the best
  double max_fraction = 0.25;  // guided: at most this share of the grid's (cell, candidate) pairs
  int batch = 4;               // guided: candidates per exploring call, beside the current best
  int max_survivors = 4;       // guided: candidates that enter successive halving per cell
  // Called after every measurement: cells finished, cells in all, what was measured.
  std::function<void(int done, int total, const std::string& what)> progress;
};

struct CandidateFigure {
  std::string key;
  double median_us = 0;
  double spread = 0;
  int rounds = 0;              // all rounds measured for it at this cell
};

struct CellOutcome {
  Cell cell;
  Candidate best;                    // the search's pick before the noise rule
  std::optional<Candidate> winner;   // the pick when the noise rule declared it; none: the default stays
  Summary default_stats;             // of the head-to-head (exploration when the pick is the default)
  Summary best_stats;
  NoiseVerdict verdict;              // speedup = median of paired default / pick
  int candidates_measured = 0;
  std::vector<CandidateFigure> measured;  // every candidate measured at this cell, fastest first
};

struct SearchResult {
  std::vector<CellOutcome> cells;    // in the order of the cells given
  long grid_pairs = 0;               // cells x candidates
  long pair_cap = 0;                 // the guided search's bound: max_fraction x grid_pairs
  long pairs_measured = 0;           // distinct (cell, candidate) pairs measured
  int measure_calls = 0;
};

// Every candidate at every cell (explore_rounds, all interleaved in one call per cell),
// the fastest median is the pick. The space's first candidate must be the default.
SearchResult exhaustive_search(Measurer& measurer, std::span<const Cell> cells, std::span<const Candidate> space,
                               const SearchOptions& options);

// Model-guided successive halving over the same grid (docs/tuner.md):
//  1. seed: the default and each family's first candidate (its default knobs) at every cell;
//  2. explore, cells by size: alpha-beta fits per candidate over the sizes measured
//     (tuner/model/alpha_beta.h) predict the unmeasured pairs; measure, `batch` at a time
//     with the current best, the candidates predicted within `margin` of it and the
//     one-knob moves from it (family_knobs in space.h) until none is left or the cell's
//     share of the pair cap is spent;
//  3. halve: the `max_survivors` fastest within the margin, measured together, the better
//     half kept while the rounds double, until one is left;
//  4. the head-to-head and the noise rule.
// Never measures more distinct (cell, candidate) pairs than pair_cap.
SearchResult guided_search(Measurer& measurer, std::span<const Cell> cells, std::span<const Candidate> space,
                           const SearchOptions& options);

// The journal's header for this sweep (journal.h): a resumed journal must match it.
JournalHeader journal_header(const std::string& backend, const Measurer& measurer, std::span<const Cell> cells,
                             std::span<const Candidate> space, const SearchOptions& options);

// What a profile needs beside the outcomes.
struct ProfileContext {
  std::string backend;       // "nccl" or "ucx"
  int nccl_version = 0;
  std::string topology_hash;
  int nnodes = 1;
  int nranks = 1;
  std::string created_utc;
  std::string host;
  std::map<std::string, std::string> environment;  // the process-wide settings chosen
};

// One profile cell per outcome: the default's and (when declared) the winner's figures,
// busbw by nccl-tests' formula for the collective at nranks.
Profile to_profile(const std::vector<CellOutcome>& outcomes, const ProfileContext& context);

}  // namespace cairn::tuner
