// How long `cairn probe` takes on this node, whole and by stage. The target is the whole
// command under one second on a live GPU node.
//
//   CairnProbeCommand  a fresh `cairn probe --json` process: cold CUDA/NVML start, the
//                      number users see
//   ProbeLive          probe_live() in-process (CUDA already started after the first run)
//   HwlocExport        the peer: hwloc's own discovery and XML export, which every probe
//                      pays; the rest is ours
//   ParseHwlocXml      our reader on the DGX-2 file (16 GPUs, 12 NVSwitches)
//   GpuFactsStage, VerbsMtus, Sysfs   the other stages alone
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <benchmark/benchmark.h>

#include "common/error.h"
#include "common/text_file.h"
#include "probe/discover.h"
#include "probe/hwloc_live.h"
#include "probe/hwloc_xml.h"
#include "probe/ib_sysfs.h"
#include "probe/pcie_sysfs.h"

extern char** environ;

namespace cairn::probe {
namespace {

void CairnProbeCommand(benchmark::State& state) {
  std::string bin = std::string(CAIRN_BINARY_DIR) + "/bin/cairn";
  char arg0[] = "cairn", arg1[] = "probe", arg2[] = "--json";
  char* argv[] = {arg0, arg1, arg2, nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  for (auto _ : state) {
    pid_t pid = 0;
    if (posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv, environ) != 0) {
      state.SkipWithError(("cannot run " + bin).c_str());
      break;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 2) {
      state.SkipWithError("cairn probe could not run (exit 2)");
      break;
    }
  }
  posix_spawn_file_actions_destroy(&actions);
}
BENCHMARK(CairnProbeCommand)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

void ProbeLive(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(probe_live());
}
BENCHMARK(ProbeLive)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

void HwlocExport(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(export_live_hwloc_xml());
}
BENCHMARK(HwlocExport)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

void ParseHwlocXml(benchmark::State& state) {
  std::string xml;
  try {
    xml = read_text_file(std::string(CAIRN_SHARED_DIR) + "/topologies/hwloc/nvidiaDGX2.xml");
  } catch (const Error& e) {  // a copy of the build without the shared tree beside it
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(parse_hwloc_xml(xml, "dgx2"));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * xml.size()));
}
BENCHMARK(ParseHwlocXml)->Unit(benchmark::kMicrosecond);

void Sysfs(benchmark::State& state) {
  NodeInfo node = parse_hwloc_xml(export_live_hwloc_xml(), "live");
  SysfsRoot sysfs("/sys");
  for (auto _ : state) {
    NodeInfo n = node;
    read_pcie_links(sysfs, n);
    merge_ib_devices(n, read_ib_devices(sysfs));
    read_netdev_ports(sysfs, n);
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(Sysfs)->Unit(benchmark::kMillisecond)->UseRealTime();

void GpuFactsStage(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(query_gpu_facts());
}
BENCHMARK(GpuFactsStage)->Unit(benchmark::kMillisecond)->UseRealTime();

void VerbsMtus(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(query_verbs_mtus());
}
BENCHMARK(VerbsMtus)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace cairn::probe

BENCHMARK_MAIN();
