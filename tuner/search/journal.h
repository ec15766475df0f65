// The sweep's journal: JSON lines, written as measurements finish, so that a killed sweep
// resumes without measuring again what it had measured.
//
//   line 1   {"schema":"cairn.tune.journal","schema_version":1,"backend":"ucx","nranks":4,
//             "nnodes":1,"cells":[cell keys],"candidates":[candidate keys],
//             "rounds":{"explore":3,"final":12}}   (keys sorted as written)
//   line 2.. {"cell":"all_reduce/f32/sum/1048576","rounds":3,
//             "candidates":["default","ucx:ring/c131072/d2/k1"],"times_us":[[...],[...]]}
//
// One line per Measurer::measure call (a cell and the candidates measured together), each
// written whole with its newline, flushed and fsync'ed before the call returns: a SIGKILL
// loses at most the line being written. A line is complete only with its newline.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tuner/search/candidate.h"

namespace cairn::tuner {

inline constexpr const char* kJournalSchema = "cairn.tune.journal";
inline constexpr int kJournalVersion = 1;

// What identifies a sweep: a journal resumes only the sweep it was written by.
struct JournalHeader {
  std::string backend;
  int nranks = 1;
  int nnodes = 1;
  std::vector<std::string> cells;       // Cell::key() of the workload, in order
  std::vector<std::string> candidates;  // the space's keys, in order
  std::map<std::string, int> rounds;    // the search's round counts by name
  bool operator==(const JournalHeader&) const = default;
};

struct JournalEntry {
  std::string cell;                          // Cell::key()
  int rounds = 0;
  std::vector<std::string> candidates;       // keys, in the order measured
  std::vector<std::vector<double>> times_us; // per candidate, `rounds` times
};

class Journal {
 public:
  // Rank 0 reads the file (empty text when it does not exist) and broadcasts the text.
  static std::string read_text(const std::string& path);

  // Parses a journal against the sweep being run. Empty text: a fresh journal. A last
  // line without its newline (torn by a kill) is dropped and counted. Refused with
  // cairn::Error naming `source`: a header of another sweep (the field that differs and
  // the fix: a new --out or --restart), a malformed line (its number).
  static Journal from_text(const std::string& text, const JournalHeader& expected, const std::string& source);
  // The same against the journal's own header, for a reader of a finished sweep's
  // journal (tune --predict --from): cairn::Error naming `source` for an empty file or a
  // first line that is no journal header.
  static Journal from_text(const std::string& text, const std::string& source);

  // From now on append() writes to `path` when `writer` (rank 0); other ranks only keep
  // the entries in memory. The writer starts the file afresh with the header when the
  // journal was fresh, else cuts a torn tail off and appends after the complete lines.
  void open(const std::string& path, bool writer);
  void append(const JournalEntry& entry);

  const JournalHeader& header() const { return header_; }
  const std::vector<JournalEntry>& entries() const { return entries_; }
  int torn_lines() const { return torn_; }     // dropped at load (0 or 1)
  bool resumed() const { return resumed_; }    // the text had a header

  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) noexcept;
  ~Journal();

 private:
  Journal() = default;
  // from_text's work; `fix` ends an error's line with what to do.
  static Journal parse(const std::string& text, const JournalHeader& expected, const std::string& source,
                       const char* fix);
  JournalHeader header_;
  std::vector<JournalEntry> entries_;
  std::size_t valid_bytes_ = 0;  // length of the complete lines of the text loaded
  int torn_ = 0;
  bool resumed_ = false;
  std::string path_;
  int fd_ = -1;
};

// Measures through the journal: the candidates of a call that the journal recorded for
// this cell at this round count (in journal order, each record used once) come from it;
// the rest are measured by `inner` in one call, interleaved among themselves and with the
// default when the call includes it (the default is then measured again, so that what is
// compared was measured together), and appended as one line.
class JournalMeasurer : public Measurer {
 public:
  JournalMeasurer(Measurer& inner, Journal& journal);
  std::vector<std::vector<double>> measure(const Cell& cell, std::span<const Candidate* const> candidates,
                                           int rounds) override;
  int nranks() const override { return inner_.nranks(); }
  int nnodes() const override { return inner_.nnodes(); }
  int replayed() const { return replayed_; }  // (cell, candidate) series served from the journal
  int measured() const { return measured_; }  // series measured by inner

 private:
  Measurer& inner_;
  Journal& journal_;
  // (cell, candidate, rounds) -> recorded series not yet used, oldest first.
  std::map<std::string, std::vector<std::vector<double>>> pending_;
  std::map<std::string, std::size_t> used_;
  int replayed_ = 0, measured_ = 0;
};

}  // namespace cairn::tuner
