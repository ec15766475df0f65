// The built `cairn train` under `cairn launch -n 2`: the ranks join one UCX job, rank 0
// alone prints one table, and the losses it prints are those of one rank trained on the
// global batch.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/text_file.h"
#include "tests/train/fortunes_corpus.h"
#include "train/data/text_shard.h"

namespace cairn::train {
namespace {

const std::string kCairn = CAIRN_BINARY_DIR "/bin/cairn";

struct Output {
  int code = -1;
  std::string text;  // stdout and stderr
};

// `words` is a command line of our own tokens, run with a clean environment (no
// launcher variables of the test's own leak in) and one CPU thread per process.
Output run_words(const test::TempDir& dir, const std::string& words) {
  const std::string out = dir.file("out");
  const int status =
      std::system(("env -i PATH=/usr/bin:/bin CAIRN_CPU_THREADS=1 " + words + " >" + out + " 2>&1").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text_file(out, true)};
}

// The loss column of the table's rows ("step loss lr grad_norm tokens/s"), with or
// without cairn launch's "[rank r] " prefix.
std::vector<double> table_losses(const std::string& text) {
  std::vector<double> losses;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("[rank ", 0) == 0) line = line.substr(line.find("] ") + 2);
    std::istringstream row(line);
    long long step = 0;
    double loss = 0, lr = 0;
    if (row >> step >> loss >> lr) losses.push_back(loss);
  }
  return losses;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(TrainCli, TwoLaunchedRanksPrintOneTableOfTheGlobalBatch) {
  const test::TempDir dir("train_cli");
  auto files = test::fortune_files();
  ASSERT_FALSE(files.empty()) << "the fortunes package is missing: run scripts/deps.sh";
  files.resize(std::min<std::size_t>(files.size(), 3));
  const std::string shard = dir.file("fortunes.bin");
  write_byte_shard(files, shard, true);
  const std::string train = kCairn + " train --data " + shard + " --steps 3 --log-every 1 --seq-len 32 --backend ucx";

  const Output two = run_words(dir, kCairn + " launch -n 2 -- " + train + " --batch 2");
  ASSERT_EQ(two.code, 0) << two.text;
  EXPECT_EQ(count(two.text, "grad_norm"), 1u) << "one table header, from rank 0:\n" << two.text;
  EXPECT_EQ(count(two.text, "2 ranks (ucx): global batch 4"), 1u) << two.text;
  EXPECT_EQ(count(two.text, "[rank 1]"), 0u) << "rank 1 prints nothing:\n" << two.text;
  const std::vector<double> launched = table_losses(two.text);

  const Output one = run_words(dir, train + " --batch 4");
  ASSERT_EQ(one.code, 0) << one.text;
  const std::vector<double> alone = table_losses(one.text);
  ASSERT_EQ(launched.size(), 3u) << two.text;
  ASSERT_EQ(alone.size(), 3u) << one.text;
  // Printed to 4 decimals; the two runs agree to float rounding, so 2e-4 allows for a
  // last digit rounded the other way.
  for (std::size_t s = 0; s < 3; ++s) EXPECT_NEAR(launched[s], alone[s], 2e-4) << "step " << s + 1;
}

TEST(TrainCli, NcclBackendOnCpuDeviceIsOneClearLine) {
  const test::TempDir dir("train_cli");
  auto files = test::fortune_files();
  ASSERT_FALSE(files.empty()) << "the fortunes package is missing: run scripts/deps.sh";
  files.resize(1);
  const std::string shard = dir.file("fortunes.bin");
  write_byte_shard(files, shard, true);
  const Output r = run_words(dir, kCairn + " launch -n 2 --no-prefix -- " + kCairn + " train --data " + shard +
                                      " --steps 1 --device cpu --backend nccl");
  EXPECT_EQ(r.code, 2) << r.text;
  EXPECT_NE(r.text.find("--backend nccl"), std::string::npos) << r.text;
}

}  // namespace
}  // namespace cairn::train
