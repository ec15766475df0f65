// The sweep: every flag of every command given values that cannot be right, by the kind
// of value it takes (a count, a fraction, a size, a name, an input file, an output file,
// a directory). Each case must be refused with the one-line contract (hostile.h): exit 2,
// no signal, no hang, a line that names the flag or the path. New flags join the tables
// below; a flag that takes an unusual kind of value gets a kind here, not an exception.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

enum class Kind {
  count,         // an integer >= 1
  index,         // an integer >= 0
  integer,       // any integer (a seed)
  positive,      // a finite real > 0
  non_negative,  // a finite real >= 0
  fraction,      // a real in [0, 1]
  size,          // bytes with K/M/G suffixes
  name,          // one of a fixed set of words
  input_file,    // a file read whole (JSON, XML, text)
  input_path,    // a file or a capture directory
  output_file,   // a file written
  output_dir,    // a directory written into
  port,          // a TCP port to listen on, 0 to 65535
  address,       // a numeric IP address to listen on
};

struct Flag {
  std::string flag;                 // as typed: "--lr", "-b"
  Kind kind;
  std::vector<std::string> also;    // other names the message may use instead ("iters" for -n)
  std::vector<std::string> accepts = {};  // value labels that are fine for this flag
};

struct CommandTable {
  std::string command;
  std::vector<std::string> base;  // what makes the rest of the command line valid and quick
                                  // (@shard: --data and a tiny shard; @sandbox: the case's directory)
  std::vector<Flag> flags;
};

// One bad value: a label for the test name and how to make it in a sandbox.
struct BadValue {
  std::string label;
  std::string (*make)(const Sandbox&);
  bool names_path;  // the refusal must name the value (a path), not only the flag
};

std::string fixture_capture() { return CAIRN_SOURCE_DIR "/tests/fixtures/captures/h100-vm"; }

// A port of 127.0.0.1 that a socket of this process listens on for as long as it runs.
std::string port_in_use(const Sandbox&) {
  static const int port = [] {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t len = sizeof(a);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 1) != 0) return 0;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return static_cast<int>(ntohs(a.sin_port));
  }();
  return std::to_string(port);
}

std::vector<BadValue> bad_values(Kind kind) {
  auto literal = [](const char* label, std::string (*make)(const Sandbox&)) { return BadValue{label, make, false}; };
  std::vector<BadValue> v = {
      literal("empty", [](const Sandbox&) { return std::string(); }),
      literal("word", [](const Sandbox&) { return std::string("many"); }),
  };
  auto number = [&] {
    v.push_back(literal("trailing_junk", [](const Sandbox&) { return std::string("12abc"); }));
    v.push_back(literal("nan", [](const Sandbox&) { return std::string("nan"); }));
  };
  auto file = [](const char* label, std::string (*make)(const Sandbox&)) { return BadValue{label, make, true}; };
  switch (kind) {
    case Kind::count:
    case Kind::index:
    case Kind::integer:
      number();
      v.push_back(literal("fractional", [](const Sandbox&) { return std::string("1.5"); }));
      v.push_back(literal("overflow", [](const Sandbox&) { return std::string("99999999999999999999999"); }));
      if (kind != Kind::integer) v.push_back(literal("negative", [](const Sandbox&) { return std::string("-1"); }));
      if (kind == Kind::count) v.push_back(literal("zero", [](const Sandbox&) { return std::string("0"); }));
      break;
    case Kind::positive:
    case Kind::non_negative:
    case Kind::fraction:
      number();
      v.push_back(literal("inf", [](const Sandbox&) { return std::string("inf"); }));
      v.push_back(literal("minus_inf", [](const Sandbox&) { return std::string("-inf"); }));
      v.push_back(literal("out_of_double", [](const Sandbox&) { return std::string("1e999"); }));
      v.push_back(literal("negative", [](const Sandbox&) { return std::string("-1"); }));
      if (kind == Kind::positive) v.push_back(literal("zero", [](const Sandbox&) { return std::string("0"); }));
      if (kind == Kind::fraction) v.push_back(literal("above_one", [](const Sandbox&) { return std::string("1.5"); }));
      break;
    case Kind::size:
      number();
      v.push_back(literal("unknown_suffix", [](const Sandbox&) { return std::string("12X"); }));
      v.push_back(literal("negative", [](const Sandbox&) { return std::string("-1M"); }));
      v.push_back(literal("overflow", [](const Sandbox&) { return std::string("99999999999999999999G"); }));
      break;
    case Kind::port:
      number();
      v.push_back(literal("fractional", [](const Sandbox&) { return std::string("1.5"); }));
      v.push_back(literal("overflow", [](const Sandbox&) { return std::string("99999999999999999999999"); }));
      v.push_back(literal("negative", [](const Sandbox&) { return std::string("-1"); }));
      v.push_back(literal("above_65535", [](const Sandbox&) { return std::string("65536"); }));
      v.push_back(literal("in_use", port_in_use));
      break;
    case Kind::address:
      v.push_back(literal("bad_octet", [](const Sandbox&) { return std::string("300.1.1.1"); }));
      v.push_back(literal("host_name", [](const Sandbox&) { return std::string("localhost"); }));
      v.push_back(literal("bad_ipv6", [](const Sandbox&) { return std::string("::g"); }));
      v.push_back(literal("control_bytes", [](const Sandbox&) { return std::string("127.0.0.1\x1b[31m"); }));
      break;
    case Kind::name:
      v.push_back(literal("unknown", [](const Sandbox&) { return std::string("no-such-choice"); }));
      v.push_back(literal("control_bytes", [](const Sandbox&) { return std::string("a\x01\x1b[31mb"); }));
      break;
    case Kind::input_file:
    case Kind::input_path:
      v = {
          file("missing", [](const Sandbox& b) { return b.path("missing.json"); }),
          file("empty_file", [](const Sandbox& b) { return b.write("empty.json", ""); }),
          file("garbage", [](const Sandbox& b) {
            std::mt19937 rng(17);
            std::string bytes(4096, '\0');
            for (char& c : bytes) c = static_cast<char>(rng());
            return b.write("garbage.bin", bytes);
          }),
          file("huge_sparse", [](const Sandbox& b) { return b.sparse("huge.json", 10LL << 30); }),
          file("dangling_link", [](const Sandbox& b) { return b.symlink(b.path("gone"), "dangling.json"); }),
          file("link_loop", [](const Sandbox& b) {
            b.symlink(b.path("loop_b"), "loop_a");
            return b.symlink(b.path("loop_a"), "loop_b");
          }),
      };
      if (kind == Kind::input_file) v.push_back(file("directory", [](const Sandbox& b) { return b.mkdir("adir"); }));
      else v.push_back(file("empty_directory", [](const Sandbox& b) { return b.mkdir("adir"); }));
      // A character device that never ends (a copy of /dev/zero), where we may make one.
      if (::geteuid() == 0)
        v.push_back(file("zero_device", [](const Sandbox& b) {
          const std::string p = b.path("zero");
          ::mknod(p.c_str(), S_IFCHR | 0666, ::makedev(1, 5));
          return p;
        }));
      break;
    case Kind::output_file:
      v = {
          file("directory", [](const Sandbox& b) { return b.mkdir("outdir"); }),
          file("missing_parent", [](const Sandbox& b) { return b.path("no/such/dir/out"); }),
      };
      break;
    case Kind::output_dir:
      v = {
          file("regular_file", [](const Sandbox& b) { return b.write("afile", "not a directory\n"); }),
          file("missing_parent", [](const Sandbox& b) { return b.path("no/such/parent/dir"); }),
      };
      break;
  }
  return v;
}

// The flags bench and tune share: the backend and nccl-tests' workload flags.
std::vector<Flag> with_workload_flags(std::vector<Flag> own) {
  std::vector<Flag> flags = {
      {"--backend", Kind::name, {}},
      {"--op", Kind::name, {}},
      {"-b", Kind::size, {"minbytes"}},
      {"-e", Kind::size, {"maxbytes"}},
      {"-i", Kind::size, {"stepbytes"}},
      {"-f", Kind::count, {"stepfactor"}},
      {"-d", Kind::name, {"datatype"}},
      {"-o", Kind::name, {"redop"}},
  };
  flags.insert(flags.end(), own.begin(), own.end());
  return flags;
}

const std::vector<CommandTable>& commands() {
  static const std::vector<CommandTable> tables = {
      {"probe", {}, {
           {"--expect", Kind::input_file, {}},
           {"--from", Kind::input_path, {}},
           {"--capture", Kind::output_dir, {}},
       }},
      {"probe", {"storage", "@sandbox"}, {
           {"--threads", Kind::count, {}},
           {"--size", Kind::size, {}},
           {"--block-bytes", Kind::size, {}},
           {"--piece-bytes", Kind::size, {}},
           {"--small-files", Kind::count, {}},
           {"--small-file-bytes", Kind::size, {}},
           {"--tokens-per-s-per-gpu", Kind::positive, {}},
           {"--gpus", Kind::count, {}},
           {"--bytes-per-token", Kind::count, {}},
           {"--checkpoint-bytes", Kind::size, {}},
           {"--checkpoint-every-s", Kind::positive, {}},
           {"--preset", Kind::name, {}},
       }},
      {"topo", {}, {
           {"--from", Kind::input_path, {}},
           {"--cluster", Kind::input_file, {}},
       }},
      {"topo", {"--from", fixture_capture()}, {
           {"--export-nccl", Kind::output_file, {}},
       }},
      {"topo", {"--cluster", "dgx-h100"}, {
           {"--nodes", Kind::count, {}},
       }},
      {"topo", {"--cluster", "dgx-h100", "--nodes", "2"}, {
           {"--save-cluster", Kind::output_file, {}},
       }},
      {"data", {"--output", "out.shard"}, {
           {"--input", Kind::input_file, {}, {"garbage"}},  // any bytes are byte tokens
       }},
      {"data", {"--input", "/etc/hostname"}, {
           {"--output", Kind::output_file, {}},
       }},
      {"train", {"--steps", "1", "--batch", "1", "--seq-len", "16", "--log-every", "1", "@shard"}, {
           {"--preset", Kind::input_file, {}},
           {"--steps", Kind::count, {}},
           {"--batch", Kind::count, {}},
           {"--seq-len", Kind::index, {}},
           {"--lr", Kind::positive, {}},
           {"--warmup", Kind::index, {}},
           {"--min-lr-ratio", Kind::fraction, {}},
           {"--weight-decay", Kind::non_negative, {}},
           {"--beta2", Kind::fraction, {}},
           {"--grad-clip", Kind::non_negative, {}},
           {"--seed", Kind::integer, {}},
           {"--device", Kind::name, {}},
           {"--backend", Kind::name, {}},
           {"--threads", Kind::index, {}},
           {"--log-every", Kind::count, {}},
           {"--eval-batches", Kind::index, {}},
           {"--checkpoint-dir", Kind::output_dir, {}},
           {"--checkpoint-every", Kind::index, {}},
           {"--mtbf", Kind::positive, {}},
           {"--checkpoint-staging-mb", Kind::index, {}},
           {"--keep-checkpoints", Kind::count, {}},
           {"--loss-log", Kind::output_file, {}},
           {"--inject", Kind::name, {}},
           {"--sdc-retries", Kind::index, {}},
           {"--sdc-policy", Kind::name, {}},
           {"--sdc-param-check-every", Kind::index, {}},
           {"--sdc-events", Kind::output_file, {}},
           {"--watchdog-timeout", Kind::non_negative, {}},
           {"--watchdog-report", Kind::output_file, {}},
           {"--straggler-every", Kind::count, {}},
           {"--straggler-warmup", Kind::index, {}},
           {"--straggler-baseline-windows", Kind::count, {}},
           {"--straggler-static-slowdown", Kind::positive, {}},
           {"--straggler-threshold", Kind::positive, {}},
           {"--straggler-min-slowdown", Kind::non_negative, {}},
           {"--straggler-hysteresis", Kind::count, {}},
           {"--straggler-sniff-kib", Kind::count, {}},
           {"--straggler-hook-timeout-s", Kind::positive, {}},
           {"--straggler-events", Kind::output_file, {}},
           {"--straggler-metrics", Kind::output_file, {}},
           // Missing (or a link to nothing) is fine: the operator may write it later.
           {"--straggler-control", Kind::input_file, {}, {"missing", "dangling_link", "empty_file"}},
           {"--straggler-hook", Kind::name, {}, {"word", "unknown"}},  // any shell command line
           {"--metrics-port", Kind::port, {}},
           {"--metrics-addr", Kind::address, {}},
           {"--divergence-window", Kind::count, {}},
           {"--divergence-warmup", Kind::count, {}},
           {"--divergence-threshold", Kind::positive, {}},
           {"--divergence-loss-ratio", Kind::positive, {}},
           {"--divergence-grad-norm-ratio", Kind::positive, {}},
           {"--divergence-cooldown", Kind::index, {}},
           {"--divergence-hook-timeout-s", Kind::positive, {}},
           {"--divergence-events", Kind::output_file, {}},
           {"--divergence-hook", Kind::name, {}, {"word", "unknown"}},  // any shell command line
       }},
      {"train", {"--steps", "1"}, {
           {"--data", Kind::input_file, {}},
       }},
      {"launch", {"-n", "1", "--", "/bin/true"}, {
           {"-n", Kind::count, {"ranks"}},
           {"--nnodes", Kind::count, {}},
           {"--node-rank", Kind::index, {}},
           {"--master-port", Kind::count, {}, {"zero"}},  // 0: a free port
           {"--grace-s", Kind::non_negative, {}, {"inf"}},  // inf: never force-kill
           {"--max-restarts", Kind::index, {}},
           {"--incidents", Kind::output_file, {}},
       }},
      {"pairs", {}, {
           {"--backend", Kind::name, {}},
           {"--bytes", Kind::size, {}},
           {"--iters", Kind::count, {}},
           {"--warmup-iters", Kind::index, {}},
           {"--latency-bytes", Kind::size, {}},
           {"--latency-iters", Kind::count, {}},
           {"--threshold", Kind::fraction, {}},
           {"--expect-gb-s", Kind::positive, {}},
           {"--output", Kind::output_file, {}},
           {"--timeout-s", Kind::non_negative, {}, {"inf"}},  // inf: never time out
       }},
      {"acceptance", {"--backend", "ucx", "--no-probe", "--repeats", "3", "--triad-bytes", "1M", "--gemm-side", "16"}, {
           {"--backend", Kind::name, {}},
           {"--expect", Kind::input_file, {}},
           {"--baseline", Kind::input_file, {}},
           {"--repeats", Kind::count, {}},
           {"--extra-rounds", Kind::index, {}},
           {"--fleet-fraction", Kind::fraction, {}},
           {"--baseline-fraction", Kind::fraction, {}},
           {"--spec-fraction", Kind::fraction, {}},
           {"--bench-fraction", Kind::fraction, {}},
           {"--datasheet-fraction", Kind::fraction, {}},
           {"--pairs-threshold", Kind::fraction, {}},
           {"--bench-bytes", Kind::size, {}},
           {"--bench-iters", Kind::count, {}},
           {"--pairs-bytes", Kind::size, {}},
           {"--pairs-iters", Kind::count, {}},
           {"--triad-bytes", Kind::size, {}},
           {"--data-path", Kind::output_dir, {}},
           {"--checkpoint-path", Kind::output_dir, {}},
           {"--storage-size", Kind::size, {}},
           {"--tokens-per-s-per-gpu", Kind::positive, {}},
           {"--gpus", Kind::count, {}},
           {"--bytes-per-token", Kind::count, {}},
           {"--checkpoint-bytes", Kind::size, {}},
           {"--checkpoint-every-s", Kind::positive, {}},
           {"--preset", Kind::name, {}},
           {"--gemm-side", Kind::count, {}},
           {"--inject", Kind::name, {}},
           {"--output", Kind::output_file, {}},
           {"--timeout-s", Kind::non_negative, {}, {"inf"}},  // inf: never time out
       }},
      {"bench", {"-b", "1K", "-e", "1K", "-n", "1", "-w", "0"}, with_workload_flags({
           {"-n", Kind::count, {"iters"}},
           {"-w", Kind::index, {"warmup_iters"}},
           {"-c", Kind::index, {"check"}},
           {"-r", Kind::index, {"root"}},
           {"-a", Kind::index, {"average"}},
           {"-z", Kind::index, {"blocking"}},
           {"-T", Kind::non_negative, {"timeout"}, {"inf"}},  // inf: never time out
           {"-t", Kind::count, {"nthreads"}},
           {"-g", Kind::count, {"ngpus"}},
           {"--device", Kind::index, {}, {"negative"}},  // -1: the local rank's GPU
       })},
      {"tune", {"--backend", "ucx", "-b", "1K", "-e", "1K", "--rounds", "1", "--final-rounds", "6"}, with_workload_flags({
           {"--out", Kind::output_dir, {}},
           {"--search", Kind::name, {}},
           {"--rounds", Kind::count, {}},
           {"--final-rounds", Kind::count, {}},
           {"--coverage", Kind::fraction, {}},
           {"-T", Kind::non_negative, {"timeout"}, {"inf"}},  // inf: never time out
           {"--device", Kind::index, {}, {"negative"}},  // -1: the local rank's GPU
           {"--threshold", Kind::positive, {}},
       })},
      {"tune", {"--backend", "ucx", "--rounds", "1", "--final-rounds", "6"}, {
           {"--workload", Kind::input_file, {}},
       }},
      {"tune", {"--backend", "ucx", "--final-rounds", "6"}, {
           {"--verify", Kind::input_file, {}},
       }},
      {"tune", {"--predict", "--cluster", "gh200-alps"}, {
           {"--nodes", Kind::count, {}},
       }},
      {"tune", {"--predict", "--nodes", "2"}, {
           {"--cluster", Kind::name, {}},
       }},
      {"tune", {"--predict", "--cluster", "gh200-alps", "--nodes", "2"}, {
           {"--from", Kind::input_file, {}},
       }},
      {"report", {CAIRN_SOURCE_DIR "/tests/fixtures/reports/acceptance.json", "-o", "report.html"}, {
           {"--results", Kind::input_file, {}},
           {"--markdown", Kind::output_file, {}},
           {"--expect-busbw-gb-s", Kind::positive, {}},
       }},
  };
  return tables;
}

struct Case {
  const CommandTable* table;
  const Flag* flag;
  BadValue value;
  std::string name;  // the test's name
};

// gtest prints a parameter that has no printer as its bytes; print the case's name.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::string identifier(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  while (!s.empty() && s.front() == '_') s.erase(s.begin());
  return s;
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const CommandTable& t : commands())
    for (const Flag& f : t.flags)
      for (const BadValue& v : bad_values(f.kind)) {
        if (std::find(f.accepts.begin(), f.accepts.end(), v.label) != f.accepts.end()) continue;
        std::string name = t.command + "_" + identifier(f.flag) + "_" + v.label;
        const bool taken = std::any_of(cases.begin(), cases.end(), [&](const Case& c) { return c.name == name; });
        if (taken) name += "_" + std::to_string(cases.size());
        cases.push_back({&t, &f, v, name});
      }
  return cases;
}

class Sweep : public ::testing::TestWithParam<Case> {};

TEST_P(Sweep, IsRefusedInOneLineNamingIt) {
  const Case& c = GetParam();
  Sandbox box;
  const std::string value = c.value.make(box);
  std::vector<std::string> args = {c.table->command};
  for (const std::string& a : c.table->base) {
    if (a == "@shard") {
      args.push_back("--data");
      args.push_back(tiny_shard());
    } else if (a == "@sandbox") {  // a directory a command works in (probe storage PATH)
      args.push_back(box.dir());
    } else {
      args.push_back(a);
    }
  }
  // Before the base's "--" (launch's command), so the flag stays the launcher's.
  const auto dash = std::find(args.begin(), args.end(), "--");
  const auto at = args.insert(dash, c.flag->flag);
  args.insert(at + 1, value);

  const Outcome o = run(box, {.args = args, .timeout = std::chrono::seconds(20)});
  ASSERT_TRUE(refused(o, 2, c.table->command)) << c.name;
  if (c.value.names_path) {
    EXPECT_NE(o.err.find(value), std::string::npos) << "the line does not name " << value << ": " << o.err;
  } else {
    std::vector<std::string> names = c.flag->also;
    names.push_back(c.flag->flag.substr(c.flag->flag.find_first_not_of('-')));
    const bool named = std::any_of(names.begin(), names.end(),
                                   [&](const std::string& n) { return o.err.find(n) != std::string::npos; });
    EXPECT_TRUE(named) << "the line does not name " << c.flag->flag << ": " << o.err;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryFlag, Sweep, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

}  // namespace
}  // namespace cairn::hostile
