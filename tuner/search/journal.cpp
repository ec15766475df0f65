#include "tuner/search/journal.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <limits>
#include <cstring>
#include <set>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_io.h"
#include "common/text_file.h"

namespace cairn::tuner {
namespace {

Json header_to_json(const JournalHeader& h) {
  Json doc = {{"backend", h.backend}, {"nranks", h.nranks}, {"nnodes", h.nnodes},
              {"cells", h.cells},     {"candidates", h.candidates}, {"rounds", h.rounds}};
  return with_schema(std::move(doc), kJournalSchema, kJournalVersion);
}

JournalHeader header_from_json(const Json& doc, const std::string& source) {
  require_schema(doc, kJournalSchema, kJournalVersion, source);
  JournalHeader h;
  h.backend = json_field<std::string>(doc, "backend", source);
  h.nranks = json_field<int>(doc, "nranks", source);
  h.nnodes = json_field<int>(doc, "nnodes", source);
  h.cells = json_field<std::vector<std::string>>(doc, "cells", source);
  h.candidates = json_field<std::vector<std::string>>(doc, "candidates", source);
  h.rounds = json_field<std::map<std::string, int>>(doc, "rounds", source);
  return h;
}

// The first field in which two headers differ, for the refusal.
std::string first_difference(const JournalHeader& a, const JournalHeader& b) {
  if (a.backend != b.backend) return fmt::format("backend {} vs {}", a.backend, b.backend);
  if (a.nranks != b.nranks) return fmt::format("nranks {} vs {}", a.nranks, b.nranks);
  if (a.nnodes != b.nnodes) return fmt::format("nnodes {} vs {}", a.nnodes, b.nnodes);
  if (a.cells != b.cells) return "the workload's cells differ";
  if (a.candidates != b.candidates) return "the search space's candidates differ";
  return "the round counts differ";
}

// A run the backend did not honour (NCCL refused a forced choice: the Measurer returns
// +inf) is null in the file: JSON has no infinity.
Json times_to_json(const std::vector<std::vector<double>>& times) {
  Json all = Json::array();
  for (const std::vector<double>& series : times) {
    Json one = Json::array();
    for (double t : series) one.push_back(std::isfinite(t) ? Json(t) : Json(nullptr));
    all.push_back(one);
  }
  return all;
}

std::vector<std::vector<double>> times_from_json(const Json& doc, const std::string& where) {
  const Json all = json_field<Json>(doc, "times_us", where);
  if (!all.is_array()) throw_bad_field("times_us", where);
  std::vector<std::vector<double>> times;
  for (const Json& series : all) {
    if (!series.is_array()) throw_bad_field("times_us", where);
    std::vector<double> one;
    for (const Json& t : series) {
      if (t.is_null()) one.push_back(std::numeric_limits<double>::infinity());
      else if (t.is_number()) one.push_back(t.get<double>());
      else throw_bad_field("times_us", where);
    }
    times.push_back(std::move(one));
  }
  return times;
}

Json entry_to_json(const JournalEntry& e) {
  return Json{{"cell", e.cell}, {"rounds", e.rounds}, {"candidates", e.candidates}, {"times_us", times_to_json(e.times_us)}};
}

// One record line, checked against the header; `where` names the file and line.
JournalEntry entry_from_json(const Json& doc, const JournalHeader& h, const std::string& where) {
  JournalEntry e;
  e.cell = json_field<std::string>(doc, "cell", where);
  e.rounds = json_field<int>(doc, "rounds", where);
  e.candidates = json_field<std::vector<std::string>>(doc, "candidates", where);
  e.times_us = times_from_json(doc, where);
  const std::set<std::string> cells(h.cells.begin(), h.cells.end()), cands(h.candidates.begin(), h.candidates.end());
  if (!cells.count(e.cell)) throw Error(fmt::format("{}: cell '{}' is not in the header's workload", where, e.cell));
  if (e.rounds < 1) throw Error(fmt::format("{}: rounds {} must be at least 1", where, e.rounds));
  if (e.candidates.empty() || e.times_us.size() != e.candidates.size())
    throw Error(fmt::format("{}: {} candidates with {} time series; need one series per candidate", where,
                            e.candidates.size(), e.times_us.size()));
  for (std::size_t i = 0; i < e.candidates.size(); ++i) {
    if (!cands.count(e.candidates[i]))
      throw Error(fmt::format("{}: candidate '{}' is not in the header's search space", where, e.candidates[i]));
    if (int(e.times_us[i].size()) != e.rounds)
      throw Error(fmt::format("{}: candidate '{}' has {} times for {} rounds", where, e.candidates[i],
                              e.times_us[i].size(), e.rounds));
    for (double t : e.times_us[i])
      if (!(t > 0))  // +inf (null): a run the backend did not honour
        throw Error(fmt::format("{}: candidate '{}' has a time that is not a positive number", where, e.candidates[i]));
  }
  return e;
}

// Runs a reader of one line; its error gets the way out appended.
template <typename Read>
auto with_fix(Read read, const char* why, const char* fix) {
  try {
    return read();
  } catch (const Error& e) {
    throw Error(fmt::format("{} ({}): {}", e.what(), why, fix));
  }
}

// What to do about a damaged journal: the sweep that resumes it, or a reader (--from).
constexpr const char* kResumeFix = "pass a new --out, or --restart to measure everything again";
constexpr const char* kReaderFix = "give a journal-*.jsonl that cairn tune wrote";

[[noreturn]] void throw_io(const std::string& path, const char* what) {
  throw Error(fmt::format("journal {}: cannot {}: {}; check the directory and free space, or pass another --out", path,
                          what, std::strerror(errno)));
}

void write_all(int fd, const std::string& bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_io(path, "write");
    done += std::size_t(n);
  }
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) throw_io(path, "fsync");
}

std::string series_key(const std::string& cell, const std::string& candidate, int rounds) {
  return fmt::format("{}|{}|{}", cell, candidate, rounds);
}

}  // namespace

std::string Journal::read_text(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return {};
  return read_text_file(path, /*allow_empty=*/true);
}

Journal Journal::from_text(const std::string& text, const JournalHeader& expected, const std::string& source) {
  return parse(text, expected, source, kResumeFix);
}

Journal Journal::parse(const std::string& text, const JournalHeader& expected, const std::string& source,
                       const char* fix) {
  Journal j;
  j.header_ = expected;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    ++line_no;
    if (nl == std::string::npos) {  // the line a kill tore: never committed
      j.torn_ = 1;
      break;
    }
    const std::string line = text.substr(pos, nl - pos);
    const std::string where = fmt::format("journal {} line {}", source, line_no);
    const Json doc = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object())
      throw Error(fmt::format("{}: not a JSON object; the file is damaged: {}", where, fix));
    if (line_no == 1) {
      const JournalHeader found = with_fix([&] { return header_from_json(doc, where); }, "not a journal of this cairn", fix);
      if (!(found == expected))
        throw Error(fmt::format("journal {} was written by another sweep ({}); pass a new --out, or --restart to "
                                "measure everything again",
                                source, first_difference(found, expected)));
      j.resumed_ = true;
    } else {
      j.entries_.push_back(with_fix([&] { return entry_from_json(doc, expected, where); }, "the file is damaged", fix));
    }
    pos = nl + 1;
    j.valid_bytes_ = pos;
  }
  return j;
}

Journal Journal::from_text(const std::string& text, const std::string& source) {
  const std::size_t nl = text.find('\n');
  if (nl == std::string::npos)
    throw Error(fmt::format("journal {}: no complete header line; {}", source, kReaderFix));
  const std::string where = fmt::format("journal {} line 1", source);
  const Json doc = Json::parse(text.substr(0, nl), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) throw Error(fmt::format("{}: not a JSON object; {}", where, kReaderFix));
  return parse(text, with_fix([&] { return header_from_json(doc, where); }, "not a journal of this cairn", kReaderFix),
               source, kReaderFix);
}

void Journal::open(const std::string& path, bool writer) {
  path_ = path;
  if (!writer) return;
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_io(path, resumed_ ? "open for appending" : "create");
  // One writer at a time: two sweeps on one --out (a rerun beside a sweep still running)
  // would interleave their lines. The lock goes with the process, also on SIGKILL.
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw Error(fmt::format("{}: another cairn tune is writing this journal; wait for it to end or give another --out",
                            path));
  }
  if (!resumed_) {
    if (::ftruncate(fd_, 0) != 0) throw_io(path, "truncate");
    write_all(fd_, header_to_json(header_).dump() + "\n", path);
    for (const JournalEntry& e : entries_) write_all(fd_, entry_to_json(e).dump() + "\n", path);
    return;
  }
  // Cut a torn last line off, so that the next line starts on a line of its own.
  if (::ftruncate(fd_, off_t(valid_bytes_)) != 0 || ::lseek(fd_, 0, SEEK_END) < 0) throw_io(path, "truncate");
}

void Journal::append(const JournalEntry& entry) {
  entries_.push_back(entry);
  if (fd_ >= 0) write_all(fd_, entry_to_json(entry).dump() + "\n", path_);
}

Journal::Journal(Journal&& o) noexcept
    : header_(std::move(o.header_)), entries_(std::move(o.entries_)), valid_bytes_(o.valid_bytes_), torn_(o.torn_),
      resumed_(o.resumed_), path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)) {}

Journal& Journal::operator=(Journal&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    header_ = std::move(o.header_);
    entries_ = std::move(o.entries_);
    valid_bytes_ = o.valid_bytes_;
    torn_ = o.torn_;
    resumed_ = o.resumed_;
    path_ = std::move(o.path_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

JournalMeasurer::JournalMeasurer(Measurer& inner, Journal& journal) : inner_(inner), journal_(journal) {
  for (const JournalEntry& e : journal.entries())
    for (std::size_t i = 0; i < e.candidates.size(); ++i)
      pending_[series_key(e.cell, e.candidates[i], e.rounds)].push_back(e.times_us[i]);
}

std::vector<std::vector<double>> JournalMeasurer::measure(const Cell& cell, std::span<const Candidate* const> candidates,
                                                          int rounds) {
  const std::string cell_key = cell.key();
  std::vector<std::vector<double>> out(candidates.size());
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const std::string key = series_key(cell_key, candidates[i]->key, rounds);
    auto it = pending_.find(key);
    std::size_t& used = used_[key];
    if (it != pending_.end() && used < it->second.size()) {
      out[i] = it->second[used++];
    } else {
      missing.push_back(i);
    }
  }
  if (missing.empty()) {
    replayed_ += int(candidates.size());
    return out;
  }
  // What is compared was measured together: a call that measures anything measures its
  // default again with it.
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i]->is_default && std::find(missing.begin(), missing.end(), i) == missing.end()) missing.push_back(i);
  std::sort(missing.begin(), missing.end());
  std::vector<const Candidate*> todo;
  for (std::size_t i : missing) todo.push_back(candidates[i]);
  const auto times = inner_.measure(cell, todo, rounds);
  if (times.size() != todo.size())
    throw Error(fmt::format("tuner: the measurer returned {} time series for {} candidates", times.size(), todo.size()));
  JournalEntry entry{cell_key, rounds, {}, {}};
  for (std::size_t j = 0; j < todo.size(); ++j) {
    out[missing[j]] = times[j];
    entry.candidates.push_back(todo[j]->key);
    entry.times_us.push_back(times[j]);
  }
  journal_.append(entry);
  measured_ += int(todo.size());
  replayed_ += int(candidates.size() - todo.size());
  return out;
}

}  // namespace cairn::tuner
