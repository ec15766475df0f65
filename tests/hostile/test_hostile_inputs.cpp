// Hostile cases of what cairn reads: every file flag given a copy of /dev/zero, a sparse
// 10 GiB file, a directory, an empty file, binary garbage, a dangling symbolic link, a
// loop of them or invalid UTF-8; a file where a directory is expected; an input too large
// for a memory limit; and error messages that would echo hostile input whole. Each ends
// at once with one line naming the file (common/text_file.h, common/untrusted_text.h).
#include <fstream>
#include <functional>
#include <random>

#include "tests/hostile/device_nodes.h"
#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

// One flag that names an input file, and the command that reads it.
struct Reader {
  std::string command;
  std::function<std::vector<std::string>(const std::string& file)> args;
};

std::vector<Reader> readers() {
  return {
      {"probe", [](const std::string& f) { return std::vector<std::string>{"probe", "--from", f}; }},
      {"probe", [](const std::string& f) { return std::vector<std::string>{"probe", "--expect", f}; }},
      {"topo", [](const std::string& f) { return std::vector<std::string>{"topo", "--from", f}; }},
      {"topo", [](const std::string& f) { return std::vector<std::string>{"topo", "--cluster", f}; }},
      {"train", [](const std::string& f) {
         return std::vector<std::string>{"train", "--preset", f, "--data", tiny_shard(), "--steps", "1"};
       }},
      {"data", [](const std::string& f) {
         return std::vector<std::string>{"data", "--input", f, "--output", "out.shard"};
       }},
  };
}

// Every reader given `file` ends within a few seconds with one line naming it (and each
// of `names`).
void expect_every_reader_refuses(const Sandbox& box, const std::string& file, std::initializer_list<std::string> names) {
  for (const Reader& r : readers()) {
    const std::vector<std::string> args = r.args(file);
    SCOPED_TRACE(args[0] + " " + args[1]);
    const Outcome o = run(box, {.args = args, .timeout = std::chrono::seconds(10)});
    EXPECT_TRUE(refused(o, 2, r.command, {file}));
    for (const std::string& name : names) EXPECT_NE(o.err.find(name), std::string::npos) << name << ": " << o.err;
  }
}

TEST(HostileInputs, ACopyOfDevZeroIsRefusedAsNotARegularFile) {
  Sandbox box;
  const std::string zero = char_device(box, "zero", kZeroMinor);
  if (zero.empty()) GTEST_SKIP() << "mknod is not allowed here";
  expect_every_reader_refuses(box, zero, {"not a regular file (a character device)"});
}

TEST(HostileInputs, ASparseTenGibFileIsRefusedByItsSizeBeforeReading) {
  Sandbox box;
  const std::string huge = box.sparse("huge.xml", 10LL << 30);
  expect_every_reader_refuses(box, huge, {"10.0 GiB", "limit"});
}

TEST(HostileInputs, ADirectoryWhereAFileIsExpectedIsRefused) {
  Sandbox box;
  const std::string dir = box.mkdir("adir");
  for (const Reader& r : readers()) {
    const std::vector<std::string> args = r.args(dir);
    if (args[1] == "--from") continue;  // --from takes a capture or snapshot directory too
    SCOPED_TRACE(args[0] + " " + args[1]);
    EXPECT_TRUE(refused(run(box, {.args = args}), 2, r.command, {dir, "directory"}));
  }
}

TEST(HostileInputs, EmptyGarbageAndBrokenLinksAreRefusedNamingTheFile) {
  Sandbox box;
  std::string garbage(4096, '\0');
  std::mt19937 rng(17);
  for (char& c : garbage) c = static_cast<char>(rng());
  garbage[0] = '{';  // the JSON readers' path too
  box.symlink("loop-b.json", "loop-a.json");
  box.symlink("loop-a.json", "loop-b.json");
  for (const auto& [file, why] : std::vector<std::pair<std::string, std::string>>{
           {box.write("empty.json", ""), "empty"},
           {box.write("garbage.bin", garbage), "malformed"},
           {box.symlink("nowhere.json", "dangling.json"), "does not exist"},
           {box.path("loop-a.json"), "loop"},
       }) {
    SCOPED_TRACE(file);
    for (const Reader& r : readers()) {
      const std::vector<std::string> args = r.args(file);
      if (args[0] == "data" && why == "malformed") continue;  // any bytes are text to tokenise
      SCOPED_TRACE(args[0] + " " + args[1]);
      const Outcome o = run(box, {.args = args});
      EXPECT_TRUE(refused(o, 2, r.command, {file}));
      EXPECT_NE(o.err.find(why), std::string::npos) << why << ": " << o.err;
    }
  }
}

TEST(HostileInputs, InvalidUtf8InJsonIsQuotedEscaped) {
  Sandbox box;
  const std::string bad = box.write("bad-utf8.json", "{\"schema\": \"cairn.expect\", \"schema_version\": 1, "
                                                      "\"gpu_model\": \"\xff\xfe\x01\"}");
  for (const Reader& r : readers()) {
    const std::vector<std::string> args = r.args(bad);
    if (args[0] == "data") continue;
    SCOPED_TRACE(args[0] + " " + args[1]);
    const Outcome o = run(box, {.args = args});
    EXPECT_TRUE(refused(o, 2, r.command, {bad, "UTF-8"}));
    EXPECT_EQ(o.err.find('\xff'), std::string::npos) << "the raw byte is echoed: " << o.err;
  }
}

TEST(HostileInputs, AFileWhereADirectoryIsExpectedIsRefused) {
  Sandbox box;
  const std::string file = box.write("not-a-dir", "x");
  EXPECT_TRUE(refused(run(box, {.args = {"probe", "--capture", file}}), 2, "probe", {file, "directory"}));
  EXPECT_TRUE(refused(run(box, {.args = {"data", "--input", file, "--output", file + "/out.shard"}}), 2, "data",
                      {file + "/out.shard"}));
}

TEST(HostileInputs, AnInputTooLargeForTheMemoryLimitSaysSo) {
  if (kAddressSanitizer) GTEST_SKIP() << "address space limits mean nothing under AddressSanitizer";
  Sandbox box;
  // Under the 256 MiB limit, over what the memory limit leaves once cairn's libraries are
  // mapped (about 0.9 GiB of address space): the read or the parse runs out of memory.
  const std::string big = box.sparse("big.xml", 250LL << 20);
  for (const std::string command : {"probe", "topo"}) {
    const Outcome o = run(box, {.args = {command, "--from", big}, .max_address_bytes = 1100LL << 20});
    EXPECT_TRUE(refused(o, 2, command, {big, "not enough memory", "ulimit -v"}));
    EXPECT_EQ(o.err.find("malformed"), std::string::npos) << o.err;
  }
}

// A value from a file is quoted in part, at the parser that read it.
TEST(HostileInputs, AHugeCpusetAttributeIsQuotedInPart) {
  Sandbox box;
  const std::string xml = box.write("huge-cpuset.xml", "<?xml version=\"1.0\"?>\n<topology version=\"2.0\">"
                                                       "<object type=\"Machine\" cpuset=\"" +
                                                           std::string(20 << 20, 'z') + "\"/></topology>\n");
  const Outcome o = run(box, {.args = {"probe", "--from", xml}});
  EXPECT_TRUE(refused(o, 2, "probe", {xml, "cpuset", "not shown"}));
}

TEST(HostileInputs, AHugeTokenInJsonIsQuotedInPart) {
  Sandbox box;
  const std::string json = box.write("huge-token.json", "{\"schema\": \"" + std::string(3 << 20, 'a') + "\x01\"}");
  const Outcome o = run(box, {.args = {"topo", "--cluster", json}});
  EXPECT_TRUE(refused(o, 2, "topo", {json, "malformed JSON", "not shown"}));
}

}  // namespace
}  // namespace cairn::hostile
