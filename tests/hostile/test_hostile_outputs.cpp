// Hostile cases of what cairn writes: an output path that is a device node, a symbolic
// link, a FIFO, a socket or a directory, and an output that is one of the run's inputs.
// Nothing but a regular file is ever replaced (common/atomic_file.h), and no run destroys
// its own input (common/same_file.h).
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "tests/hostile/device_nodes.h"
#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

namespace fs = std::filesystem;

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A one-NIC node as `cairn topo --export-nccl` writes it.
constexpr const char* kNcclXml = R"(<system version="1">
  <cpu numaid="0" affinity="00000003" arch="x86_64" vendor="AuthenticAMD">
    <pci busid="0000:00:03.0" class="0x020000" vendor="0x1af4" device="0x1041" link_speed="" link_width="">
      <nic>
        <net name="eth0" port="1"/>
      </nic>
    </pci>
  </cpu>
</system>
)";

// One command that writes a file, run with that file at `out`.
struct Writer {
  std::string flag;     // for messages
  std::string command;  // whose prefix its errors carry
  std::function<Command(const Sandbox&, const std::string& out)> make;
  bool one_line = true;  // false under `cairn launch`, which adds lines of its own
};

std::vector<Writer> writers() {
  return {
      {"topo --export-nccl", "topo",
       [](const Sandbox& box, const std::string& out) {
         return Command{.args = {"topo", "--from", box.write("in/node.xml", kNcclXml), "--export-nccl", out}};
       }},
      {"topo --save-cluster", "topo",
       [](const Sandbox&, const std::string& out) {
         return Command{.args = {"topo", "--cluster", "dgx-h100", "--nodes", "2", "--save-cluster", out}};
       }},
      {"train --loss-log", "train",
       [](const Sandbox&, const std::string& out) {
         return Command{.args = {"train", "--data", tiny_shard(), "--steps", "1", "--batch", "1", "--seq-len", "8",
                                 "--log-every", "1", "--loss-log", out}};
       }},
      {"data --output", "data",
       [](const Sandbox& box, const std::string& out) {
         return Command{.args = {"data", "--input", box.write("in/corpus.txt", "a few words of text\n"), "--output", out}};
       }},
      {"pairs --output", "pairs",
       [](const Sandbox&, const std::string& out) {
         return Command{.args = {"launch", "-n", "2", "--no-prefix", "--", cairn_binary(), "pairs", "--backend", "ucx",
                                 "--iters", "1", "--warmup-iters", "0", "--latency-iters", "1", "--bytes", "1K",
                                 "--output", out}};
       },
       false},
      {"report -o", "report",
       [](const Sandbox& box, const std::string& out) {
         return Command{.args = {"report", box.write("in/loss.tsv", "1 5.5 1.7 0.00015\n2 5.4 1.6 0.0003\n"), "-o", out}};
       }},
      {"report --markdown", "report",
       [](const Sandbox& box, const std::string& out) {
         return Command{.args = {"report", box.write("in/loss.tsv", "1 5.5 1.7 0.00015\n2 5.4 1.6 0.0003\n"), "-o",
                                 box.path("in/report.html"), "--markdown", out}};
       }},
  };
}

TEST(HostileOutputs, ACopyOfDevNullStaysADeviceAndTakesTheOutput) {
  for (const Writer& w : writers()) {
    SCOPED_TRACE(w.flag);
    Sandbox box;
    const std::string null = char_device(box, "null", kNullMinor);
    if (null.empty()) GTEST_SKIP() << "mknod is not allowed here";
    EXPECT_TRUE(succeeded(run(box, w.make(box, null))));
    EXPECT_TRUE(is_char_device(null, kNullMinor)) << null << " was replaced";
  }
}

TEST(HostileOutputs, ACopyOfDevFullStaysADeviceAndTheWriteFailsNamingIt) {
  for (const Writer& w : writers()) {
    SCOPED_TRACE(w.flag);
    Sandbox box;
    const std::string full = char_device(box, "full", kFullMinor);
    if (full.empty()) GTEST_SKIP() << "mknod is not allowed here";
    const Outcome o = run(box, w.make(box, full));
    if (w.one_line) {
      EXPECT_TRUE(refused(o, 2, w.command, {full, "No space left on device"}));
    } else {
      EXPECT_TRUE(ended_cleanly(o));
      EXPECT_NE(o.exit_code, 0) << o.describe();
      EXPECT_NE(o.err.find(full + ": write failed: No space left on device"), std::string::npos) << o.describe();
    }
    EXPECT_TRUE(is_char_device(full, kFullMinor)) << full << " was replaced";
  }
}

TEST(HostileOutputs, ASymlinkStaysALinkAndTheFileItPointsToIsReplaced) {
  for (const Writer& w : writers()) {
    SCOPED_TRACE(w.flag);
    Sandbox box;
    const std::string target = box.write("elsewhere/real", "old contents");
    const std::string link = box.symlink("elsewhere/real", "link");
    EXPECT_TRUE(succeeded(run(box, w.make(box, link))));
    EXPECT_TRUE(is_symlink(link)) << link << " was replaced";
    const std::string now = contents(target);
    EXPECT_FALSE(now.empty());
    EXPECT_NE(now, "old contents") << target << " was not written";
  }
}

// A resumed run keeps the lines of a loss log that is a file; a device has none to keep.
TEST(HostileOutputs, AResumedRunLogsToADeviceToo) {
  Sandbox box;
  const std::string null = char_device(box, "null", kNullMinor);
  if (null.empty()) GTEST_SKIP() << "mknod is not allowed here";
  for (int run_number = 0; run_number < 2; ++run_number) {  // the second resumes from the first's checkpoint
    EXPECT_TRUE(succeeded(run(box, {.args = {"train", "--data", tiny_shard(), "--steps", "2", "--batch", "1",
                                             "--seq-len", "8", "--checkpoint-dir", box.path("ckpt"), "--checkpoint-every",
                                             "1", "--resume", "--loss-log", null}})));
    EXPECT_TRUE(is_char_device(null, kNullMinor)) << null << " was replaced";
  }
}

TEST(HostileOutputs, ADanglingSymlinkCreatesTheFileItNames) {
  Sandbox box;
  box.mkdir("elsewhere");
  const std::string link = box.symlink("elsewhere/new.json", "link");
  EXPECT_TRUE(succeeded(run(box, {.args = {"topo", "--cluster", "dgx-h100", "--nodes", "2", "--save-cluster", link}})));
  EXPECT_TRUE(is_symlink(link)) << link << " was replaced";
  EXPECT_NE(contents(box.path("elsewhere/new.json")).find("cairn.cluster"), std::string::npos);
}

TEST(HostileOutputs, AFifoIsWrittenInPlaceAsShellRedirectionWouldWriteIt) {
  Sandbox box;
  const std::string fifo = box.fifo("fifo");
  // Open for reading first, without blocking, so the writer's open does not wait for us; a
  // cluster model is far smaller than the pipe's buffer.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  EXPECT_TRUE(succeeded(run(box, {.args = {"topo", "--cluster", "dgx-h100", "--nodes", "2", "--save-cluster", fifo},
                                  .timeout = std::chrono::seconds(10)})));
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(reader, buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(reader);
  EXPECT_NE(got.find("cairn.cluster"), std::string::npos) << "read from the FIFO: " << got.substr(0, 200);
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo))) << fifo << " was replaced";
}

TEST(HostileOutputs, ASocketOrADirectoryAtTheOutputIsRefusedNamingIt) {
  Sandbox box;
  const std::string socket = box.path("sock");
  ASSERT_TRUE(make_socket(socket));
  const std::string dir = box.mkdir("dir");
  for (const std::string& out : {socket, dir}) {
    EXPECT_TRUE(refused(run(box, {.args = {"topo", "--cluster", "dgx-h100", "--nodes", "2", "--save-cluster", out}}), 2,
                        "topo", {out, "give a file path"}));
  }
  EXPECT_TRUE(fs::is_socket(fs::symlink_status(socket))) << socket << " was replaced";
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(dir)));
}

// A capture goes only into a new or empty directory, so its files never land on a node;
// the directory itself may be a link to one.
TEST(HostileOutputs, ProbeCaptureRefusesANodeAndFollowsALinkToADirectory) {
  Sandbox box;
  const std::string null = char_device(box, "null", kNullMinor);
  if (null.empty()) GTEST_SKIP() << "mknod is not allowed here";
  EXPECT_TRUE(refused(run(box, {.args = {"probe", "--capture", null}}), 2, "probe", {null, "new directory"}));
  EXPECT_TRUE(is_char_device(null, kNullMinor)) << null << " was replaced";

  box.mkdir("elsewhere/cap");
  const std::string link = box.symlink("elsewhere/cap", "cap");
  const Outcome o = run(box, {.args = {"probe", "--capture", link}});
  EXPECT_TRUE(ended_cleanly(o));
  EXPECT_NE(o.exit_code, 2) << o.describe();
  EXPECT_TRUE(is_symlink(link)) << link << " was replaced";
  EXPECT_TRUE(fs::exists(box.path("elsewhere/cap/meta.json")));
}

// A command whose output is also one of its inputs, and the input it must not destroy.
struct SameFileCase {
  std::string command;
  std::vector<std::string> args;
  std::vector<std::string> names;  // what the error must name
  std::string input;               // unchanged afterwards
};

TEST(HostileOutputs, AnOutputThatIsAnInputIsRefusedNamingBoth) {
  Sandbox box;
  const std::string shard = box.write("tiny.shard", contents(tiny_shard()));
  const std::string shard_link = box.path("shard.hardlink");
  fs::create_hard_link(shard, shard_link);
  const std::string corpus = box.write("corpus.txt", "some words\n");
  const std::string corpus_link = box.symlink("corpus.txt", "corpus.link");
  const std::string xml = box.write("node.xml", kNcclXml);
  const Outcome saved = run(box, {.args = {"topo", "--cluster", "dgx-h100", "--nodes", "2", "--save-cluster",
                                           box.path("cluster.json")}});
  ASSERT_TRUE(succeeded(saved));
  const std::string cluster = box.path("cluster.json");
  const std::string cluster_link = box.path("cluster.hardlink");
  fs::create_hard_link(cluster, cluster_link);

  const std::vector<SameFileCase> cases = {
      {"train", {"train", "--data", shard, "--steps", "1", "--loss-log", shard}, {"--loss-log", "--data", shard}, shard},
      {"train", {"train", "--data", shard, "--steps", "1", "--loss-log", shard_link},
       {"--loss-log", shard_link, "--data", shard}, shard},
      {"data", {"data", "--input", corpus, "--output", corpus}, {"--output", "--input", corpus}, corpus},
      {"data", {"data", "--input", corpus, "--output", corpus_link}, {"--output", corpus_link, "--input", corpus}, corpus},
      {"topo", {"topo", "--from", xml, "--export-nccl", xml}, {"--export-nccl", "--from", xml}, xml},
      {"topo", {"topo", "--cluster", cluster, "--save-cluster", cluster}, {"--save-cluster", "--cluster", cluster}, cluster},
      {"topo", {"topo", "--cluster", cluster, "--save-cluster", cluster_link},
       {"--save-cluster", cluster_link, "--cluster", cluster}, cluster},
  };
  for (const SameFileCase& c : cases) {
    SCOPED_TRACE(c.args[c.args.size() - 2] + " " + c.args.back());
    const std::string before = contents(c.input);
    const Outcome o = run(box, {.args = c.args});
    EXPECT_TRUE(refused(o, 2, c.command));
    for (const std::string& name : c.names) EXPECT_NE(o.err.find(name), std::string::npos) << name << ": " << o.err;
    EXPECT_EQ(contents(c.input), before) << c.input << " was overwritten";
  }
}

}  // namespace
}  // namespace cairn::hostile
