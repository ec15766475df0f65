#include "tuner/run/session.h"

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/output_dir.h"
#include "common/text_file.h"
#include "tuner/run/shared_text.h"

namespace cairn::tuner {
namespace {

std::string journal_path(const std::string& dir, const std::string& collective) {
  return (std::filesystem::path(dir) / fmt::format("journal-{}.jsonl", collective)).string();
}


// Groups the cells by collective, keeping the workload's order within each.
std::map<std::string, std::vector<Cell>> by_collective(const std::vector<Cell>& cells) {
  std::map<std::string, std::vector<Cell>> groups;
  for (const Cell& c : cells) groups[c.collective].push_back(c);
  return groups;
}

}  // namespace

void prepare_out_dir(const std::string& dir) {
  make_output_dir("--out", dir);
  AtomicFile::check_writable((std::filesystem::path(dir) / "profile.json").string());
}

SessionResult run_session(coll::Communicator& comm, coll::bench::Memory& memory, CommMeasurer& measurer,
                          const SessionOptions& options) {
  const bool writer = comm.rank() == 0;
  if (writer) prepare_out_dir(options.out_dir);
  SessionResult result;
  for (const auto& [collective, cells] : by_collective(options.cells)) {
    // Per-process candidates (NCCL_* variables NCCL reads once per process) need fresh
    // worker processes for each value; this runner measures in-process levels only.
    std::vector<Candidate> space;
    for (Candidate& c : options.space(collective)) {
      if (c.level == Level::per_process) {
        ++result.left_out_per_process;
        continue;
      }
      space.push_back(std::move(c));
    }
    const std::string path = journal_path(options.out_dir, collective);
    const JournalHeader header = journal_header(options.context.backend, measurer, cells, space, options.search);
    const std::string text =
        broadcast_text(comm, memory, writer && !options.restart ? Journal::read_text(path) : std::string());
    Journal journal = Journal::from_text(text, header, path);
    journal.open(path, writer);
    result.torn_lines += journal.torn_lines();
    JournalMeasurer through(measurer, journal);
    const SearchResult found = options.exhaustive ? exhaustive_search(through, cells, space, options.search)
                                                  : guided_search(through, cells, space, options.search);
    result.grid_pairs += found.grid_pairs;
    result.pairs_measured += found.pairs_measured;
    result.replayed += through.replayed();
    result.measured += through.measured();
    for (const CellOutcome& o : found.cells) {
      // A winner that returns wrong data is no winner: check it once with data.
      if (o.winner) {
        const std::int64_t wrong = measurer.check(o.cell, *o.winner);
        if (wrong) {
          result.wrong += wrong;
          result.wrong_cells.push_back(fmt::format("{} with {}", o.cell.key(), o.winner->key));
        }
      }
      result.outcomes.push_back(o);
    }
  }
  result.profile = to_profile(result.outcomes, options.context);
  if (writer) {
    const std::filesystem::path dir(options.out_dir);
    const std::string profile = (dir / "profile.json").string();
    write_profile_file(result.profile, profile);
    const std::string absolute = std::filesystem::absolute(profile).lexically_normal().string();
    write_file_atomically((dir / "nccl.env").string(), format_nccl_env(result.profile, absolute));
    write_file_atomically((dir / "nccl_tuner.conf").string(), format_example_plugin_csv(result.profile));
    result.files = {profile, (dir / "nccl.env").string(), (dir / "nccl_tuner.conf").string()};
  }
  return result;
}

std::string format_session(const SessionResult& r, const SessionOptions& o) {
  const double share = r.grid_pairs ? 100.0 * static_cast<double>(r.pairs_measured) / static_cast<double>(r.grid_pairs) : 0;
  std::string s = fmt::format("# cairn tune: {} on {} rank(s), {} node(s); {} search measured {} of {} (cell, candidate) pairs ({:.1f} %)\n",
                              o.context.backend, o.context.nranks, o.context.nnodes,
                              o.exhaustive ? "exhaustive" : "guided", r.pairs_measured, r.grid_pairs, share);
  if (r.left_out_per_process)
    s += fmt::format("# {} per-process candidate(s) (NCCL_* variables) left out: each needs fresh worker processes\n",
                     r.left_out_per_process);
  if (r.replayed) s += fmt::format("# resumed: {} series from the journal, {} measured now\n", r.replayed, r.measured);
  s += fmt::format("# {:<15} {:>6} {:>12} {:>11} {:>11} {:>24}  {:<8} {}\n", "collective", "type", "size", "default us",
                   "best us", "speedup [interval]", "verdict", "choice");
  for (const CellOutcome& c : r.outcomes) {
    const std::string interval = fmt::format("{:.3f} [{:.3f}, {:.3f}]", c.verdict.speedup, c.verdict.speedup_low,
                                             c.verdict.speedup_high);
    s += fmt::format("  {:<15} {:>6} {:>12} {:>11.2f} {:>11.2f} {:>24}  {:<8} {}\n", c.cell.collective,
                     coll::to_string(c.cell.dtype), c.cell.bytes, c.default_stats.median, c.best_stats.median,
                     interval, c.winner ? "tuned" : "default", c.winner ? c.winner->key : c.best.is_default ? std::string("default") : c.best.key + " (within noise)");
  }
  if (!r.files.empty()) {
    s += "# wrote";
    for (const std::string& f : r.files) s += " " + f;
    s += "\n";
  }
  return s;
}

Candidate candidate_of(const ProfileCell& cell) {
  Candidate c;
  if (!cell.tuned) {
    c.key = "default";
    c.is_default = true;
    return c;
  }
  const Choice& ch = *cell.tuned;
  c.key = ch.key.empty() ? "tuned" : ch.key;
  c.nccl = ch;
  if (!ch.nccl_algorithm) {
    c.host.algorithm = coll::parse_algorithm(ch.host_algorithm);
    c.host.chunk_bytes = ch.chunk_bytes;
    c.host.pipeline_depth = ch.pipeline_depth;
    c.host.channels = ch.channels;
    c.nccl = Choice{};
  }
  return c;
}

}  // namespace cairn::tuner
