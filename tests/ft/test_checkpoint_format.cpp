// The sharded checkpoint format (ft/checkpoint/shard_file.h, manifest.h;
// docs/checkpoint-format.md): checkpoints written by worlds of 1, 2, 3 and 5 ranks read
// back bitwise whatever world reads them; every kind of damage to a manifest or a shard
// is refused as CorruptCheckpoint (a resume falls back past it), naming the file, while
// another format version is a plain cairn::Error (it needs the user); a shard of another
// step or write swapped in is caught by the manifest; a raw hash that does not match the
// decompressed bytes is caught.
#include <gtest/gtest.h>

#include <xxhash.h>

#include <cstring>
#include <filesystem>
#include <functional>

#include "ft/checkpoint/checkpoint_names.h"
#include "ft/checkpoint/manifest.h"
#include "ft/checkpoint/shard_file.h"
#include "tests/ft/checkpoint_test_util.h"

namespace cairn::ft {
namespace {

namespace fs = std::filesystem;
using test::slurp;
using test::spit;
using test::State;

const std::vector<std::string> kNames = {"params", "adam.m", "adam.v"};

// A checkpoint of `ranks` shards, each written as its rank would, then the manifest.
std::string write_world(const std::string& dir, const State& s, std::int64_t step, int ranks) {
  const auto total = static_cast<std::int64_t>(s.buffers[0].size());
  Manifest m;
  m.step = step;
  m.world_size = ranks;
  m.layout_elements = total;
  m.sections = kNames;
  m.meta = {{"model", "test"}};
  for (int r = 0; r < ranks; ++r) {
    const ElementRange range = shard_range(total, r, ranks);
    ShardHeader h;
    h.step = step;
    h.rank = r;
    h.ranks = ranks;
    h.first_element = range.first;
    h.elements = range.count;
    h.total_elements = total;
    ShardWriter w(shard_path(dir, step, r, ranks), h, 1, std::nullopt);
    for (std::size_t b = 0; b < 3; ++b) {
      const float* p = s.buffers[b].data() + range.first;
      const std::size_t bytes = static_cast<std::size_t>(range.count) * sizeof(float);
      w.begin_section(kNames[b]);
      w.write(p, bytes / 2);  // in two pieces, as staging hands them over
      w.write(reinterpret_cast<const char*>(p) + bytes / 2, bytes - bytes / 2);
      w.end_section(XXH3_64bits(p, bytes));
    }
    m.shards.push_back(shard_entry(w.commit()));
  }
  const std::string path = manifest_path(dir, step);
  write_manifest(path, m);
  return path;
}

std::vector<std::vector<float>> read_all(const std::string& manifest) {
  std::vector<std::vector<float>> out;
  read_manifest_state(manifest, read_manifest(manifest), out);
  return out;
}

bool same_bits(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
      return false;
  return true;
}

enum class Verdict { whole, corrupt, other_error };
struct Result {
  Verdict verdict;
  std::string message;
};
Result try_read(const std::string& manifest) {
  try {
    (void)read_all(manifest);
    return {Verdict::whole, {}};
  } catch (const CorruptCheckpoint& e) {
    return {Verdict::corrupt, e.what()};
  } catch (const Error& e) {
    return {Verdict::other_error, e.what()};
  }
}

TEST(CheckpointFormat, EveryWorldSizeReadsBackBitwiseWhateverWorldReadsIt) {
  const State s(10007, 1);  // a prime: the ranges are uneven
  for (int ranks : {1, 2, 3, 5}) {
    test::TempDir dir("format_world");
    const std::string manifest = write_world(dir.str(), s, 40, ranks);
    const Manifest m = read_manifest(manifest);
    EXPECT_EQ(m.world_size, ranks);
    EXPECT_EQ(m.meta.at("model"), "test");
    ASSERT_EQ(m.shards.size(), static_cast<std::size_t>(ranks));
    std::int64_t covered = 0;
    for (const auto& e : m.shards) {
      EXPECT_EQ(e.first_element, covered);
      covered += e.elements;
    }
    EXPECT_EQ(covered, 10007);
    EXPECT_TRUE(same_bits(read_all(manifest), s.buffers)) << ranks << " ranks";
    EXPECT_EQ(checkpoint_version(manifest), kShardedFormatVersion);
  }
}

TEST(CheckpointFormat, EveryDamageToTheManifestIsDetected) {
  test::TempDir dir("format_manifest");
  const State s(3001, 2);
  const std::string manifest = write_world(dir.str(), s, 7, 2);
  const std::string good = slurp(manifest);
  for (std::size_t keep = 0; keep < good.size(); ++keep) {
    spit(manifest, good.substr(0, keep));
    const Result r = try_read(manifest);
    EXPECT_EQ(r.verdict, Verdict::corrupt) << "cut at " << keep << ": " << r.message;
  }
  for (std::size_t at = 0; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    spit(manifest, bad);
    const Result r = try_read(manifest);
    // The version field is outside the header hash: a changed one reads as another
    // format, which must stop a resume rather than be moved aside as damage.
    const bool version = at >= 8 && at < 12;
    EXPECT_EQ(r.verdict, version ? Verdict::other_error : Verdict::corrupt) << "byte " << at << ": " << r.message;
    EXPECT_NE(r.message.find(manifest), std::string::npos) << r.message;
  }
  spit(manifest, good + "x");
  EXPECT_NE(try_read(manifest).message.find("trailing bytes"), std::string::npos);
  spit(manifest, good);
  EXPECT_EQ(try_read(manifest).verdict, Verdict::whole);
}

TEST(CheckpointFormat, EveryDamageToAShardIsDetected) {
  test::TempDir dir("format_shard");
  const State s(30011, 3);
  const std::string manifest = write_world(dir.str(), s, 9, 3);
  const std::string shard = shard_path(dir.str(), 9, 1, 3);
  const std::string good = slurp(shard);
  const FileReader in(shard);
  const ShardHeader h = read_shard_header(in);
  std::vector<std::size_t> cuts = {0, 10, 23, 24, 100, 4095, 4096, 4097, good.size() / 2, good.size() - 1};
  for (const auto& sec : h.sections) cuts.push_back(kShardDataStart + sec.offset + sec.bytes - 1);
  for (std::size_t keep : cuts) {
    spit(shard, good.substr(0, keep));
    const Result r = try_read(manifest);
    EXPECT_EQ(r.verdict, Verdict::corrupt) << "cut at " << keep << ": " << r.message;
    EXPECT_NE(r.message.find(shard), std::string::npos) << r.message;
  }
  struct Spot {
    std::size_t at;
    const char* expect;
  };
  std::vector<Spot> spots = {{0, "bad magic"}, {30, "header checksum mismatch"}, {3000, "nonzero padding"}};
  for (const auto& sec : h.sections) {
    const std::size_t start = kShardDataStart + sec.offset;
    for (std::size_t at : {start, start + sec.bytes / 2, start + sec.bytes - 1})
      spots.push_back({at, "checksum mismatch"});
  }
  for (const auto& spot : spots) {
    std::string bad = good;
    bad[spot.at] = static_cast<char>(bad[spot.at] ^ 0x01);
    spit(shard, bad);
    const Result r = try_read(manifest);
    EXPECT_EQ(r.verdict, Verdict::corrupt) << "byte " << spot.at << ": " << r.message;
    EXPECT_NE(r.message.find(spot.expect), std::string::npos) << "byte " << spot.at << ": " << r.message;
  }
  spit(shard, good + std::string(10, '\0'));
  EXPECT_EQ(try_read(manifest).verdict, Verdict::corrupt);
  std::string other_version = good;
  other_version[8] = 9;
  spit(shard, other_version);
  EXPECT_EQ(try_read(manifest).verdict, Verdict::other_error) << "another shard version is not damage";
  fs::remove(shard);
  const Result missing = try_read(manifest);
  EXPECT_EQ(missing.verdict, Verdict::corrupt);
  EXPECT_NE(missing.message.find("missing"), std::string::npos) << missing.message;
  spit(shard, good);
  EXPECT_TRUE(same_bits(read_all(manifest), s.buffers));
}

TEST(CheckpointFormat, AShardOfAnotherStepOrWriteIsNotTakenForTheListedOne) {
  test::TempDir dir("format_swap");
  const State a(5000, 4), b(5000, 5);
  const std::string first = write_world(dir.str(), a, 1, 2);
  const std::string a_manifest = slurp(first), a_shard = slurp(shard_path(dir.str(), 1, 0, 2));
  write_world(dir.str(), a, 2, 2);
  // Another write of step 1, with other values, under the same names; then the first
  // write's manifest put back: it lists shards that are no longer there.
  write_world(dir.str(), b, 1, 2);
  spit(first, a_manifest);
  Result r = try_read(first);
  EXPECT_EQ(r.verdict, Verdict::corrupt) << r.message;
  EXPECT_NE(r.message.find("its manifest " + first), std::string::npos) << r.message;
  // Step 2's shard copied under step 1's name: its header holds another step.
  spit(shard_path(dir.str(), 1, 0, 2), slurp(shard_path(dir.str(), 2, 0, 2)));
  r = try_read(first);
  EXPECT_EQ(r.verdict, Verdict::corrupt) << r.message;
  (void)a_shard;
}

TEST(CheckpointFormat, AManifestNamingAFileOutsideItsStepIsRefused) {
  test::TempDir dir("format_names");
  const State s(100, 6);
  const std::string path = write_world(dir.str(), s, 3, 1);
  Manifest m = read_manifest(path);
  m.shards[0].file = "../../etc/passwd";
  write_manifest(path, m);
  const Result r = try_read(path);
  EXPECT_EQ(r.verdict, Verdict::corrupt) << r.message;
  EXPECT_NE(r.message.find("not as this step's shard"), std::string::npos) << r.message;
}

TEST(CheckpointFormat, ARawHashOtherThanTheStagedBytesIsCaught) {
  test::TempDir dir("format_raw");
  const State s(2000, 7);
  ShardHeader h;
  h.step = 1;
  h.elements = h.total_elements = 2000;
  const std::string path = shard_path(dir.str(), 1, 0, 1);
  ShardWriter w(path, h, 1, std::nullopt);
  w.begin_section("params");
  w.write(s.buffers[0].data(), 2000 * sizeof(float));
  w.end_section(12345);  // not the hash of what was written
  w.commit();
  try {
    verify_shard(path);
    FAIL() << "a raw hash mismatch was not caught";
  } catch (const CorruptCheckpoint& e) {
    EXPECT_NE(std::string(e.what()).find("raw checksum mismatch"), std::string::npos) << e.what();
  }
}

TEST(CheckpointFormat, AnInjectedFullDiskFailsPartWayAndLeavesNothing) {
  test::TempDir dir("format_full");
  const State s(100000, 8);
  ShardHeader h;
  h.step = 1;
  h.elements = h.total_elements = 100000;
  const std::string path = shard_path(dir.str(), 1, 0, 1);
  {
    ShardWriter w(path, h, 1, WriteFault{65536, "--inject disk-full:step=0"});
    w.begin_section("params");
    try {
      w.write(s.buffers[0].data(), 100000 * sizeof(float));
      w.end_section(0);
      FAIL() << "the write went past the full disk";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("disk-full"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(fs::is_empty(dir.str())) << "a failed write left a file behind";
}

TEST(CheckpointFormat, NamesTellEachFileOfAStep) {
  EXPECT_EQ(fs::path(manifest_path("d", 40)).filename(), "step-00000040.ckpt");
  EXPECT_EQ(shard_file_name(40, 1, 4), "step-00000040.shard-1-of-4");
  EXPECT_EQ(manifest_step("step-00000040.ckpt"), 40);
  EXPECT_FALSE(manifest_step("step-00000040.shard-1-of-4"));
  EXPECT_EQ(shard_step("step-00000040.shard-1-of-4"), 40);
  EXPECT_FALSE(shard_step("step-00000040.shard-1-of-4.corrupt"));
  EXPECT_EQ(step_of_any("step-00000040.shard-1-of-4.tmp.123"), 40);
  EXPECT_EQ(step_of_any("step-00000040.ckpt.corrupt"), 40);
  EXPECT_FALSE(step_of_any("cairn.lock"));
  EXPECT_FALSE(step_of_any("step-.ckpt"));
  for (int ranks : {1, 2, 7}) {
    std::int64_t next = 0;
    for (int r = 0; r < ranks; ++r) {
      const ElementRange e = shard_range(100, r, ranks);
      EXPECT_EQ(e.first, next);
      next += e.count;
    }
    EXPECT_EQ(next, 100);
  }
}

}  // namespace
}  // namespace cairn::ft
