// What the restart tests share: running a command line of the built `cairn` with a clean
// environment, and the one comparison of two runs' final state (weights and both AdamW
// moments, bit for bit) through the public read_checkpoint(), kept here alone so a change
// of the checkpoint format touches one helper.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/text_file.h"
#include "train/checkpoint.h"

namespace cairn::ft::test {

inline const std::string kCairn = CAIRN_BINARY_DIR "/bin/cairn";

struct Output {
  int code = -1;
  std::string text;  // stdout and stderr
};

// `words` is a shell command line of our own tokens, run with a clean environment (no
// launcher variables of the test's own leak in) and one CPU thread per process.
inline Output run_words(const std::string& dir, const std::string& words) {
  const std::string out = dir + "/out.txt";
  const int status = std::system(
      ("cd " + dir + " && env -i PATH=/usr/bin:/bin CAIRN_CPU_THREADS=1 " + words + " >" + out + " 2>&1").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text_file(out, true)};
}

inline std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The final checkpoints of two runs hold the same step, weights and moments, bitwise.
inline ::testing::AssertionResult same_final_state(const std::string& expected_path, const std::string& actual_path) {
  const train::Checkpoint a = train::read_checkpoint(expected_path), b = train::read_checkpoint(actual_path);
  if (a.state.step != b.state.step)
    return ::testing::AssertionFailure() << "step " << b.state.step << " != " << a.state.step;
  if (!same_bits(a.state.params, b.state.params)) return ::testing::AssertionFailure() << "the weights differ";
  if (!same_bits(a.state.m, b.state.m)) return ::testing::AssertionFailure() << "the first moments differ";
  if (!same_bits(a.state.v, b.state.v)) return ::testing::AssertionFailure() << "the second moments differ";
  return ::testing::AssertionSuccess();
}

}  // namespace cairn::ft::test
