// Runs a whole `cairn train` job of host ranks under `cairn launch` for the straggler
// tests, and reads what the detector wrote: its JSON-lines events and its metrics file.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json_io.h"
#include "common/text_file.h"
#include "tests/train/fortunes_corpus.h"
#include "train/data/text_shard.h"

namespace cairn::ft::test {

inline const std::string kCairn = CAIRN_BINARY_DIR "/bin/cairn";
using train::test::TempDir;

struct JobOutput {
  int code = -1;
  std::string text;  // stdout and stderr of the launcher and its ranks
  double seconds = 0;
};

// A byte shard of one fortune file (a few hundred KiB of real text).
inline std::string make_shard(const TempDir& dir) {
  auto files = train::test::fortune_files();
  if (files.empty()) return {};
  files.resize(1);
  const std::string shard = dir.file("fortunes.bin");
  train::write_byte_shard(files, shard, true);
  return shard;
}

// `cairn launch -n ranks -- cairn train` of the tiny preset with batch 1 and one CPU
// thread a rank (a 2-core box runs 4 ranks), a clean environment, then `extra` (our own
// tokens only).
inline JobOutput run_job(const TempDir& dir, const std::string& shard, int ranks, int steps, const std::string& extra) {
  const std::string out = dir.file("job.out");
  const std::string words = "env -i PATH=/usr/bin:/bin CAIRN_CPU_THREADS=1 " + kCairn + " launch -n " +
                            std::to_string(ranks) + " -- " + kCairn + " train --data " + shard +
                            " --preset tiny --batch 1 --seq-len 16 --threads 1 --backend ucx --log-every 1000000 --steps " +
                            std::to_string(steps) + " " + extra;
  const auto t0 = std::chrono::steady_clock::now();
  const int status = std::system((words + " >" + out + " 2>&1").c_str());
  JobOutput o;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.text = read_text_file(out, true);
  return o;
}

// Why the host cannot judge timings now, or "": these tests time real CPU work of 4
// ranks, and other processes sharing the cores (a build, another job) slow whichever rank
// shares a core with them by 30-60 % for seconds at a time (measured under a load average
// of 6-10 on 2 cores, the sniff's GEMM probe agreeing): a real straggler, and more than
// the 25 % one to be found. The CPUs busier than half over a second before the job starts
// (/proc/stat: nothing of the test's own runs then) is that case. Not the load average:
// it trails the last minute, the tests ctest ran just before included.
inline std::string busy_host_reason() {
  const auto sample = [](unsigned long long& busy, unsigned long long& total) {
    std::FILE* f = std::fopen("/proc/stat", "r");
    if (!f) return false;
    unsigned long long v[8] = {};
    const int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                              &v[5], &v[6], &v[7]);
    std::fclose(f);
    if (n < 5) return false;
    total = 0;
    for (auto x : v) total += x;
    busy = total - v[3] - v[4];  // not idle, not waiting for I/O
    return true;
  };
  unsigned long long b0 = 0, t0 = 0, b1 = 0, t1 = 0;
  if (!sample(b0, t0)) return {};
  std::this_thread::sleep_for(std::chrono::seconds(1));
  if (!sample(b1, t1) || t1 <= t0) return {};
  const double busy = static_cast<double>(b1 - b0) / static_cast<double>(t1 - t0);
  if (busy <= 0.5) return {};
  return "the host's CPUs are " + std::to_string(static_cast<int>(busy * 100)) +
         " % busy with other processes before the job starts: its ranks' timings would measure them";
}

// The alerts of an event stream, in order (a missing file: none).
inline std::vector<Json> read_events(const std::string& path) {
  std::vector<Json> events;
  std::string text;
  try {
    text = read_text_file(path, true);
  } catch (const std::exception&) {
    return events;
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) events.push_back(parse_json(line, path));
  return events;
}

inline std::string dump_all(const std::vector<Json>& events) {
  std::string s;
  for (const auto& e : events) s += e.dump() + "\n";
  return s;
}

}  // namespace cairn::ft::test
