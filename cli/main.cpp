// cairn: one command in front of probe, topology, collectives, tuner, training and reports.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "collectives/backends/ucx/ucx_signals.h"
#include "common/checked_output.h"
#include "common/env_knobs.h"
#include "common/error.h"
#include "common/untrusted_text.h"

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(const cairn::cli::Args&);
};

// One line per subcommand, in pipeline order.
const std::vector<Subcommand> kSubcommands = {
    {"probe", "what this node is made of and what is wrong with it", cairn::cli::cmd_probe},
    {"topo", "topology and GPU/NIC paths of a node, NCCL topology files, cluster models", cairn::cli::cmd_topo},
    {"data", "turn text files into a byte-level token shard", cairn::cli::cmd_data},
    {"train", "train a model preset on a token shard (CPU or GPU, alone or data parallel)", cairn::cli::cmd_train},
    {"launch", "start N local ranks of a command (rendezvous env, --bind)", cairn::cli::cmd_launch},
    {"pairs", "bandwidth and latency of every pair of ranks or nodes; flags slow links", cairn::cli::cmd_pairs},
    {"bench", "collective bandwidth as nccl-tests measures it, on NCCL or UCX", cairn::cli::cmd_bench},
    {"plan", "TP/PP/DP layouts of a model that fit GPU memory, ranked by predicted step time", cairn::cli::cmd_plan},
    {"tune", "the fastest NCCL or UCX choices for a workload, proven over the noise; a profile for production", cairn::cli::cmd_tune},
    {"acceptance", "accept or reject the nodes and links of a job, with statistical verdicts and evidence", cairn::cli::cmd_acceptance},
    {"report", "one self-contained HTML report (and a Markdown summary) of cairn results", cairn::cli::cmd_report},
};

void usage(std::ostream& os) {
  os << "Usage: cairn <command> [options]   (cairn <command> --help for its options)\n\n"
        "Commands:\n";
  for (const auto& s : kSubcommands) os << "  " << s.name << std::string(12 - std::strlen(s.name), ' ') << s.summary << "\n";
  os << "\nOutput files replace regular files atomically, follow symbolic links and are written in place on\n"
        "devices and FIFOs; an output may not be one of the run's inputs (docs/files.md).\n";
}

// Every error is one line on stderr, however long or many-lined its message.
void print_error(const std::string& prefix, const std::string& message) {
  std::cerr << prefix << cairn::one_line(message, cairn::kMaxErrorLineBytes - prefix.size() - 1) << "\n";
}

// Standard output, through a buffer that keeps the error of a failed write. Never
// destroyed: std::cout is flushed after static destructors have run; a command that calls
// exit() itself still has its output written out by the atexit handler.
cairn::CheckedOutput& standard_output() {
  static cairn::CheckedOutput* out = [] {
    auto* o = new cairn::CheckedOutput(1);
    std::atexit([] { standard_output().finish(); });
    return o;
  }();
  return *out;
}

// A full disk or a closed file under standard output must not pass for success: writes
// out what is buffered, through std::cout and through stdio (train's progress lines), and
// if any write to standard output failed, says why.
bool stdout_ok(const std::string& prefix) {
  std::cout.flush();
  int e = standard_output().finish();
  errno = 0;
  if (std::fflush(stdout) != 0 && e == 0) e = errno;
  const bool failed = e != 0 || std::ferror(stdout);
  if (!failed) return true;
  // stdio keeps no reason for a write that failed before this flush.
  print_error(prefix, std::string("cannot write to standard output: ") + (e != 0 ? std::strerror(e) : "a write failed"));
  return false;
}

// The exit code of a command that ran (0, 1 or 2), or 2 if its output was lost.
int finish(const std::string& prefix, int code) { return stdout_ok(prefix) ? code : 2; }

}  // namespace

int main(int argc, char** argv) {
  cairn::coll::ucx::restore_hangup_signal();
  std::cout.rdbuf(&standard_output());
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? std::cerr : std::cout);
    return finish("cairn: ", argc < 2 ? 2 : 0);
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::cout << "cairn " << CAIRN_VERSION << "\n";
    return finish("cairn: ", 0);
  }
  for (const auto& s : kSubcommands) {
    if (std::strcmp(argv[1], s.name) != 0) continue;
    cairn::cli::Args args(argv + 2, argv + argc);
    const std::string prefix = std::string("cairn ") + s.name + ": ";
    int code = 2;
    std::string error;
    try {
      cairn::env::check_all(cairn::env::process_vars());
      code = s.run(args);
    } catch (const cairn::CheckFailed& e) {
      code = 1;
      error = e.what();
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (error.empty()) return finish(prefix, code);
    // The command's own error is the one line printed, even if standard output failed too.
    std::cout.flush();
    print_error(prefix, error);
    return code;
  }
  print_error("cairn: ", std::string("unknown command '") + argv[1] + "' (see 'cairn --help')");
  return 2;
}
