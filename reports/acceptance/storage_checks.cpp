#include "reports/acceptance/storage_checks.h"

#include <optional>

#include <fmt/format.h>

#include "common/error.h"
#include "probe/storage/access_patterns.h"
#include "probe/storage/scratch_dir.h"
#include "probe/storage/stop_signals.h"
#include "reports/acceptance/acceptance.h"
#include "reports/acceptance/node_rates.h"
#include "reports/acceptance/thresholds.h"

namespace cairn::acceptance {
namespace {

namespace ps = probe::storage;

// The write check renames each sample's files over the last one's: room for two sets.
std::uint64_t room_needed(const ps::StorageOptions& p) { return 2 * ps::needed_bytes(p); }

double gb_s(std::uint64_t bytes, double seconds) { return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e9 : 0; }

// The demand a node's figure must meet, when the run gave one.
std::vector<std::optional<Threshold>> demand_thresholds(std::optional<double> demand, const char* what,
                                                        std::size_t nodes) {
  if (!demand) return {};
  return std::vector<std::optional<Threshold>>(
      nodes, Threshold{*demand, "demand", fmt::format("the run's {} demand {:.4g} GB/s", what, *demand)});
}

}  // namespace

ps::StorageOptions probe_options(const StorageCheckOptions& s, const std::string& path) {
  ps::StorageOptions p;
  p.path = path;
  p.total_bytes = s.bytes;
  return p;
}

void check_storage_paths(const StorageCheckOptions& s) {
  ps::validate(s.demand);
  for (const auto& [flag, path] : {std::pair{"--data-path", s.data_path}, {"--checkpoint-path", s.checkpoint_path}}) {
    if (path.empty()) continue;
    const ps::StorageOptions p = probe_options(s, path);
    try {
      ps::validate(p);
      ps::check_probe_path(path, room_needed(p), "--storage-size");
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", flag, e.what()));
    }
  }
}

std::vector<Check> storage_checks(coll::Communicator& comm, coll::bench::Memory& memory,
                                  const std::vector<coll::pairs::Participant>& nodes,
                                  const std::vector<std::string>& machines, const AcceptanceOptions& o,
                                  const std::function<void(int, int)>& progress) {
  const StorageCheckOptions& s = o.storage;
  if (!s.any()) return {};
  std::optional<ps::StopSignals> signals;
  std::optional<ps::ScratchDir> data_dir, checkpoint_dir;
  std::vector<std::string> data_files, checkpoint_files;
  const ps::StorageOptions read = probe_options(s, s.data_path), write = probe_options(s, s.checkpoint_path);
  const std::uint64_t file_bytes = s.bytes / static_cast<std::uint64_t>(read.threads) / read.block_bytes * read.block_bytes;
  const std::uint64_t all_bytes = file_bytes * static_cast<std::uint64_t>(read.threads);
  const auto samples = measure_in_turns(comm, memory, nodes, machines, o.repeats, 2, [&](int, double* values) {
    if (!signals) signals.emplace();
    values[0] = values[1] = 0;
    if (!s.data_path.empty()) {
      if (!data_dir) {  // the shards the reads time: written once, untimed
        data_dir.emplace(s.data_path);
        ps::time_checkpoint_writes(*data_dir, read, file_bytes, data_files);
      }
      values[0] = gb_s(all_bytes, ps::time_sequential_reads(data_files, file_bytes, read));
    }
    if (!s.checkpoint_path.empty()) {
      if (!checkpoint_dir) checkpoint_dir.emplace(s.checkpoint_path);
      checkpoint_files.clear();
      values[1] = gb_s(all_bytes, ps::time_checkpoint_writes(*checkpoint_dir, write, file_bytes, checkpoint_files));
    }
  }, progress);
  data_dir.reset();
  checkpoint_dir.reset();

  std::vector<std::vector<double>> reads, writes;
  for (const auto& v : samples) {
    reads.emplace_back(v.begin(), v.begin() + o.repeats);
    writes.emplace_back(v.begin() + o.repeats, v.end());
  }
  std::vector<Check> checks;
  if (!s.data_path.empty())
    checks = fleet_checks("storage_read", "GB/s", reads, nodes, std::nullopt, o,
                          demand_thresholds(s.demand.read_gb_s(), "read", nodes.size()));
  if (!s.checkpoint_path.empty()) {
    auto w = fleet_checks("storage_write", "GB/s", writes, nodes, std::nullopt, o,
                          demand_thresholds(s.demand.write_gb_s(), "checkpoint write", nodes.size()));
    checks.insert(checks.end(), w.begin(), w.end());
  }
  return checks;
}

}  // namespace cairn::acceptance
