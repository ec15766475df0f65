#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "common/text_file.h"
#include "tests/support/error_of.h"
#include "tests/tuner/search_surface.h"
#include "tuner/search/journal.h"
#include "tuner/search/search.h"
#include "tuner/search/space.h"

namespace cairn::tuner {
namespace {

namespace fs = std::filesystem;

// The test reads and rewrites the journal with Cairn's own whole-file helpers.
std::string slurp(const std::string& path) { return read_text_file(path, /*allow_empty=*/true); }
void spill(const std::string& path, const std::string& text) { write_file_atomically(path, text); }

// Byte offset where line `n` (1-based) starts.
std::size_t line_start(const std::string& text, int n) {
  std::size_t pos = 0;
  for (int i = 1; i < n; ++i) pos = text.find('\n', pos) + 1;
  return pos;
}

class SearchJournal : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() / ("cairn_test_tuner_journal_" + std::to_string(::getpid()) + ".jsonl")).string();
    fs::remove(path_);
    for (std::size_t b = 4096; b <= (std::size_t(16) << 20); b *= 4) cells_.push_back(Cell{"all_reduce", b});
    space_ = host_space({.collective = "all_reduce", .nranks = 8});
  }
  void TearDown() override { fs::remove(path_); }

  // A guided sweep through the journal at path_ (resumed from what the file holds);
  // `loaded` gets the file as it stands once the writer opened it.
  SearchResult sweep(test::SurfaceMeasurer& inner, Journal* loaded = nullptr) {
    const JournalHeader h = journal_header("ucx", inner, cells_, space_, options_);
    Journal j = Journal::from_text(Journal::read_text(path_), h, path_);
    j.open(path_, /*writer=*/true);
    if (loaded) *loaded = Journal::from_text(Journal::read_text(path_), h, path_);
    JournalMeasurer jm(inner, j);
    return guided_search(jm, cells_, space_, options_);
  }

  test::SurfaceMeasurer surface(std::uint64_t seed) {
    return test::SurfaceMeasurer([](const Candidate& c, const Cell& cell) { return test::ucx_like_time(c, cell, 8); },
                                 0.01, seed);
  }

  std::string path_;
  std::vector<Cell> cells_;
  std::vector<Candidate> space_;
  SearchOptions options_;
};

TEST_F(SearchJournal, EveryMeasurementIsOneLineAfterTheHeader) {
  auto inner = surface(1);
  const SearchResult r = sweep(inner);
  const std::string text = slurp(path_);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), r.measure_calls + 1);
  EXPECT_EQ(text.rfind("{\"backend\":\"ucx\"", 0), 0u) << text.substr(0, 80);
  EXPECT_NE(text.find("\"schema\":\"cairn.tune.journal\""), std::string::npos);
  const Journal j = Journal::from_text(text, journal_header("ucx", inner, cells_, space_, options_), path_);
  EXPECT_TRUE(j.resumed());
  EXPECT_EQ(int(j.entries().size()), r.measure_calls);
  EXPECT_EQ(j.torn_lines(), 0);
}

TEST_F(SearchJournal, ResumeAfterATornLineMeasuresOnlyWhatWasMissing) {
  auto first = surface(5);
  const SearchResult original = sweep(first);
  const int m = original.measure_calls;
  ASSERT_GT(m, 20);
  // A SIGKILL in the middle of writing line 12 (the 11th measurement).
  const std::string text = slurp(path_);
  const std::size_t cut = line_start(text, 12) + 17;
  spill(path_, text.substr(0, cut));

  auto second = surface(5);  // the same surface and noise
  Journal loaded = Journal::from_text("", journal_header("ucx", second, cells_, space_, options_), path_);
  const SearchResult resumed = sweep(second, &loaded);
  EXPECT_EQ(loaded.torn_lines(), 0);  // the writer cut the torn tail off before appending
  EXPECT_EQ(int(loaded.entries().size()), 10);
  // Ten calls came from the journal; the inner measurer saw every other call, and only those.
  EXPECT_EQ(resumed.measure_calls, m);
  EXPECT_EQ(second.calls, m - 10);
  // The same decisions as the run that was killed.
  ASSERT_EQ(resumed.cells.size(), original.cells.size());
  for (std::size_t i = 0; i < resumed.cells.size(); ++i) {
    EXPECT_EQ(resumed.cells[i].best.key, original.cells[i].best.key);
    EXPECT_DOUBLE_EQ(resumed.cells[i].verdict.speedup, original.cells[i].verdict.speedup);
  }
  // The file is whole again: a second resume measures nothing.
  auto third = surface(5);
  sweep(third);
  EXPECT_EQ(third.calls, 0);
  const std::string after = slurp(path_);
  EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), m + 1);
}

TEST_F(SearchJournal, TornLineIsDroppedAndCountedOnLoad) {
  auto inner = surface(2);
  sweep(inner);
  const std::string text = slurp(path_);
  const JournalHeader h = journal_header("ucx", inner, cells_, space_, options_);
  const Journal j = Journal::from_text(text.substr(0, line_start(text, 4) + 5), h, path_);
  EXPECT_EQ(j.torn_lines(), 1);
  EXPECT_EQ(j.entries().size(), 2u);
}

TEST_F(SearchJournal, HeaderOfAnotherSweepIsRefused) {
  auto inner = surface(3);
  sweep(inner);
  const std::string text = slurp(path_);
  auto other_space = space_;
  other_space.pop_back();
  const JournalHeader other = journal_header("ucx", inner, cells_, other_space, options_);
  const std::string e = cairn::test::error_of([&] { Journal::from_text(text, other, path_); });
  EXPECT_NE(e.find(path_), std::string::npos) << e;
  EXPECT_NE(e.find("candidates differ"), std::string::npos) << e;
  EXPECT_NE(e.find("--restart"), std::string::npos) << e;
  EXPECT_NE(e.find("--out"), std::string::npos) << e;
  SearchOptions more = options_;
  more.final_rounds = 20;
  const std::string r = cairn::test::error_of([&] { Journal::from_text(text, journal_header("ucx", inner, cells_, space_, more), path_); });
  EXPECT_NE(r.find("round counts differ"), std::string::npos) << r;
}

// A file of another kind where the journal should be.
std::string test_other_file() {
  JournalHeader h;
  return cairn::test::error_of([&] {
    Journal::from_text("{\"schema\":\"cairn.tune.profile\",\"schema_version\":1}\n", h, "out.jsonl");
  });
}

TEST_F(SearchJournal, MalformedLineIsRefusedWithItsNumber) {
  auto inner = surface(4);
  sweep(inner);
  std::string text = slurp(path_);
  const JournalHeader h = journal_header("ucx", inner, cells_, space_, options_);
  const std::size_t a = line_start(text, 3), b = line_start(text, 4);
  const std::string broken = text.substr(0, a) + "{\"cell\": 12\n" + text.substr(b);
  const std::string e = cairn::test::error_of([&] { Journal::from_text(broken, h, path_); });
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  const std::string unknown = text.substr(0, a) + R"({"cell":"all_reduce/float/sum/5","rounds":3,"candidates":["default"],"times_us":[[1,2,3]]})" + "\n" + text.substr(b);
  const std::string u = cairn::test::error_of([&] { Journal::from_text(unknown, h, path_); });
  EXPECT_NE(u.find("line 3"), std::string::npos) << u;
  EXPECT_NE(u.find("not in the header's workload"), std::string::npos) << u;
  EXPECT_NE(u.find("--restart"), std::string::npos) << u;
  const std::string other = test_other_file();
  EXPECT_NE(other.find("line 1"), std::string::npos) << other;
  EXPECT_NE(other.find("expected \"cairn.tune.journal\""), std::string::npos) << other;
  EXPECT_NE(other.find("--out"), std::string::npos) << other;
  const std::string garbage = text.substr(0, a) + "not json\n" + text.substr(b);
  EXPECT_NE(cairn::test::error_of([&] { Journal::from_text(garbage, h, path_); }).find("line 3: not a JSON object"), std::string::npos);
}

TEST_F(SearchJournal, OnlyTheWriterTouchesTheFile) {
  auto inner = surface(6);
  const JournalHeader h = journal_header("ucx", inner, cells_, space_, options_);
  Journal j = Journal::from_text("", h, path_);
  j.open(path_, /*writer=*/false);
  JournalMeasurer jm(inner, j);
  guided_search(jm, cells_, space_, options_);
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_GT(j.entries().size(), 0u);  // kept in memory on every rank
  EXPECT_EQ(jm.measured(), inner.series);
}

// Records what the journal asked the real measurer for.
class Recording : public Measurer {
 public:
  explicit Recording(Measurer& inner) : inner_(inner) {}
  std::vector<std::vector<double>> measure(const Cell& cell, std::span<const Candidate* const> c, int rounds) override {
    std::vector<std::string> keys;
    for (const Candidate* x : c) keys.push_back(x->key);
    asked.push_back(keys);
    return inner_.measure(cell, c, rounds);
  }
  int nranks() const override { return inner_.nranks(); }
  int nnodes() const override { return inner_.nnodes(); }
  std::vector<std::vector<std::string>> asked;

 private:
  Measurer& inner_;
};

TEST_F(SearchJournal, WhatIsMissingIsMeasuredWithTheDefault) {
  auto inner = surface(7);
  Recording rec(inner);
  const JournalHeader h = journal_header("ucx", inner, cells_, space_, options_);
  Journal j = Journal::from_text("", h, path_);
  j.open(path_, /*writer=*/true);
  const Candidate* ab[] = {&space_[0], &space_[1]};
  const Candidate* abc[] = {&space_[0], &space_[1], &space_[2]};
  {
    JournalMeasurer first(rec, j);
    first.measure(cells_[0], ab, 3);
  }
  {
    JournalMeasurer again(rec, j);
    again.measure(cells_[0], ab, 3);  // all recorded: nothing measured
    EXPECT_EQ(rec.asked.size(), 1u);
    EXPECT_EQ(again.replayed(), 2);
    again.measure(cells_[0], ab, 3);  // each record serves once: a second call is measured
    EXPECT_EQ(rec.asked.size(), 2u);
  }
  // A call of one new candidate beside recorded ones measures it with the default again.
  JournalMeasurer mixed(rec, j);
  const auto t = mixed.measure(cells_[0], abc, 3);
  ASSERT_EQ(rec.asked.size(), 3u);
  EXPECT_EQ(rec.asked[2], (std::vector<std::string>{space_[0].key, space_[2].key}));
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(int(t[2].size()), 3);
  EXPECT_EQ(mixed.replayed(), 1);
  EXPECT_EQ(mixed.measured(), 2);
  EXPECT_EQ(j.entries().size(), 3u);
}

}  // namespace
}  // namespace cairn::tuner
