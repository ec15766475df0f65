// Hostile cases of token shards given to `cairn train --data`: a shard cut short while
// the run reads it, a wrong magic, an empty file, fewer tokens than one sequence, a
// vocabulary larger than the model's, and a directory. Each is one line naming the file.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/hostile/train_args.h"

namespace cairn::hostile {
namespace {

void put_le(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}

// A shard of `count` tokens of 1 byte (2 when vocab > 256), as docs/data-format.md lays it out.
std::string shard_bytes(std::uint64_t count, std::uint32_t vocab = 256, const std::string& magic = "CAIRNTOK") {
  const int width = vocab > 256 ? 2 : 1;
  std::string s = magic;
  put_le(s, 1, 4);
  put_le(s, static_cast<std::uint64_t>(width), 4);
  put_le(s, count, 8);
  put_le(s, vocab, 4);
  put_le(s, 0, 4);
  for (std::uint64_t i = 0; i < count; ++i) put_le(s, 'a' + i % 26, width);
  return s;
}

Outcome train_on(const Sandbox& box, const std::string& shard) {
  return run(box, {.args = train_args({{"--data", shard}}), .timeout = std::chrono::seconds(10)});
}

TEST(HostileShard, AShardCutWhileTrainingReadsItIsOneLineNamingIt) {
  Sandbox box;
  const std::string shard = box.path("cut.shard");
  std::filesystem::copy_file(tiny_shard(), shard);
  const auto bytes = std::filesystem::file_size(shard);
  Command c{.args = train_args({{"--data", shard}, {"--steps", "1000000"}, {"--log-every", "1"}}),
            .stdout_path = box.path("out.txt"),
            .timeout = std::chrono::seconds(20)};
  Running r = start(box, c);
  // Once it has trained a step, it is reading the shard: cut it to its header and a few tokens.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto trained = [&] {
    std::ifstream in(box.path("out.txt"));
    std::stringstream s;
    s << in.rdbuf();
    return s.str().find("\n       1 ") != std::string::npos;
  };
  while (!trained() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(::truncate(shard.c_str(), 40), 0);
  const Outcome o = r.wait();
  EXPECT_TRUE(refused(o, 2, "train", {shard, "shrank from " + std::to_string(bytes) + " to 40 bytes", "resume"}));
}

TEST(HostileShard, AWrongMagicIsRefused) {
  Sandbox box;
  const std::string shard = box.write("magic.shard", shard_bytes(100, 256, "NOTCAIRN"));
  EXPECT_TRUE(refused(train_on(box, shard), 2, "train", {shard, "CAIRNTOK", "cairn data"}));
}

TEST(HostileShard, AnEmptyFileIsRefused) {
  Sandbox box;
  const std::string shard = box.write("empty.shard", "");
  EXPECT_TRUE(refused(train_on(box, shard), 2, "train", {shard, "0 bytes", "cairn data"}));
}

TEST(HostileShard, AShardShorterThanOneSequenceNamesTheFileAndTheSequence) {
  Sandbox box;
  const std::string shard = box.write("short.shard", shard_bytes(5));
  EXPECT_TRUE(refused(train_on(box, shard), 2, "train", {shard, "5 tokens", "--seq-len 8"}));
}

TEST(HostileShard, AVocabularyLargerThanTheModelsIsRefused) {
  Sandbox box;
  const std::string shard = box.write("wide.shard", shard_bytes(100, 300));
  EXPECT_TRUE(refused(train_on(box, shard), 2, "train", {shard, "300", "\"tiny\" has 256"}));
}

TEST(HostileShard, ADirectoryIsRefusedAsADirectory) {
  Sandbox box;
  const std::string dir = box.mkdir("shards");
  EXPECT_TRUE(refused(train_on(box, dir), 2, "train", {dir, "is a directory", "--data"}));
}

}  // namespace
}  // namespace cairn::hostile
