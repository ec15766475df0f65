// cairn: one command in front of probe, topology, collectives, tuner, training and reports.
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/error.h"

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
};

void usage(std::ostream& os) {
  os << "Usage: cairn <command> [options]   (cairn <command> --help for its options)\n\n"
        "Commands:\n";
  for (const auto& s : kSubcommands) os << "  " << s.name << std::string(12 - std::strlen(s.name), ' ') << s.summary << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::cout << "cairn " << CAIRN_VERSION << "\n";
    return 0;
  }
  for (const auto& s : kSubcommands) {
    if (std::strcmp(argv[1], s.name) != 0) continue;
    cairn::cli::Args args(argv + 2, argv + argc);
    try {
      return s.run(args);
    } catch (const cairn::CheckFailed& e) {
      std::cerr << "cairn " << s.name << ": " << e.what() << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "cairn " << s.name << ": " << e.what() << "\n";
      return 2;
    }
  }
  std::cerr << "cairn: unknown command '" << argv[1] << "' (see 'cairn --help')\n";
  return 2;
}
