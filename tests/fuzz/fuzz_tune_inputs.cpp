// libFuzzer target: the files `cairn tune` reads besides the profile (fuzz_tuner_profile):
// the sweep's journal (tuner/search/journal.h, which a resumed sweep trusts) and the
// workload (tuner/run/workload.h: a cairn.workload file or a cairn bench --json result).
// The first byte picks the reader, the rest is the file. Any input either fails with
// cairn::Error or reads back consistently: a journal's entries name the header's cells
// and candidates with one time per round; a workload's cells come out sorted, unique, and
// the same after a round trip through workload_to_json. Anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "common/error.h"
#include "common/json_io.h"
#include "tuner/run/workload.h"
#include "tuner/search/journal.h"

namespace {

using namespace cairn::tuner;

// The sweep a fuzzed journal claims to belong to (the seed's header matches it).
JournalHeader header() {
  JournalHeader h;
  h.backend = "ucx";
  h.nranks = 2;
  h.nnodes = 1;
  h.cells = {"all_reduce/f32/sum/65536", "all_reduce/f32/sum/1048576"};
  h.candidates = {"default", "ucx:ring/c131072/d2/k1", "ucx:tree/c131072/d2/k1"};
  h.rounds = {{"explore", 3}, {"final", 12}};
  return h;
}

void check_journal(const std::string& text) {
  const JournalHeader h = header();
  Journal j = Journal::from_text(text, h, "fuzz.jsonl");
  const std::set<std::string> cells(h.cells.begin(), h.cells.end()), cands(h.candidates.begin(), h.candidates.end());
  for (const JournalEntry& e : j.entries()) {
    if (!cells.count(e.cell) || e.candidates.size() != e.times_us.size()) std::abort();
    for (std::size_t i = 0; i < e.candidates.size(); ++i)
      if (!cands.count(e.candidates[i]) || static_cast<int>(e.times_us[i].size()) != e.rounds) std::abort();
  }
}

void check_workload(const std::string& text, bool bench) {
  const cairn::Json doc = cairn::parse_json(text, "fuzz.json");
  const std::vector<Cell> cells = bench ? cells_from_bench_json(doc, "fuzz.json") : cells_from_workload_json(doc, "fuzz.json");
  std::vector<Cell> sorted = cells;
  normalise(sorted);
  if (sorted.size() != cells.size()) std::abort();
  const std::vector<Cell> again = cells_from_workload_json(workload_to_json(cells), "fuzz-again.json");
  if (again.size() != cells.size()) std::abort();
  for (std::size_t i = 0; i < cells.size(); ++i)
    if (again[i].key() != cells[i].key()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 3) {
      case 0: check_journal(text); break;
      case 1: check_workload(text, false); break;
      default: check_workload(text, true); break;
    }
  } catch (const cairn::Error&) {
  }
  return 0;
}
