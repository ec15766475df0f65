#include "probe/storage/storage_report.h"

#include <fmt/format.h>

namespace cairn::probe::storage {
namespace {

const FigureVerdict* verdict_for(const std::vector<FigureVerdict>& v, const std::string& figure) {
  for (const auto& x : v)
    if (x.figure == figure) return &x;
  return nullptr;
}

}  // namespace

Json storage_to_json(const StorageOptions& o, const StorageFigures& f, const StorageDemand& d,
                     const std::vector<FigureVerdict>& verdicts) {
  Json doc;
  doc["path"] = o.path;
  doc["options"] = {{"threads", o.threads},
                    {"total_bytes", o.total_bytes},
                    {"file_bytes", f.file_bytes},
                    {"block_bytes", o.block_bytes},
                    {"piece_bytes", o.piece_bytes},
                    {"small_files", o.small_files},
                    {"small_file_bytes", o.small_file_bytes},
                    {"direct", o.direct}};
  doc["figures"] = {{"write_gb_s", f.write_gb_s},
                    {"sequential_read_gb_s", f.sequential_read_gb_s},
                    {"random_read_gb_s", f.random_read_gb_s},
                    {"random_read_iops", f.random_read_iops},
                    {"create_per_s", f.create_per_s},
                    {"stat_per_s", f.stat_per_s},
                    {"open_per_s", f.open_per_s}};
  Json demand = Json::object();
  if (const auto read = d.read_gb_s())
    demand["read"] = {{"tokens_per_s_per_gpu", *d.tokens_per_s_per_gpu},
                      {"gpus", *d.gpus},
                      {"bytes_per_token", d.bytes_per_token},
                      {"gb_s", *read}};
  if (const auto write = d.write_gb_s())
    demand["write"] = {{"checkpoint_bytes", *d.checkpoint_bytes},
                       {"checkpoint_every_s", *d.checkpoint_every_s},
                       {"write_fraction", kCheckpointWriteFraction},
                       {"source", d.checkpoint_source},
                       {"gb_s", *write}};
  doc["demand"] = demand;
  Json judged = Json::array();
  for (const auto& v : verdicts)
    judged.push_back({{"figure", v.figure},
                      {"measured_gb_s", v.measured_gb_s},
                      {"demanded_gb_s", v.demanded_gb_s},
                      {"headroom", v.headroom},
                      {"pass", v.pass}});
  doc["verdicts"] = judged;
  doc["verdict"] = verdicts.empty() ? "no demand given" : all_pass(verdicts) ? "pass" : "fail";
  return with_schema(doc, kStorageSchema, kStorageSchemaVersion);
}

std::string render_storage_table(const StorageOptions& o, const StorageFigures& f,
                                 const std::vector<FigureVerdict>& verdicts) {
  std::string out = fmt::format("Storage under {}: {} threads, {} MiB a file, {}\n\n", o.path, o.threads,
                                f.file_bytes >> 20, o.direct ? "O_DIRECT" : "page cache dropped before each read");
  out += fmt::format("{:<44} {:>14} {:>14} {:>9}  {}\n", "pattern", "measured", "demanded", "headroom", "verdict");
  auto throughput = [&](const char* label, const char* figure, double gb_s) {
    const FigureVerdict* v = verdict_for(verdicts, figure);
    // MB/s for people: a loader's demand is often well below 1 GB/s.
    out += fmt::format("{:<44} {:>9.1f} MB/s", label, gb_s * 1e3);
    if (v)
      out += fmt::format(" {:>9.1f} MB/s {:>8.2f}x  {}\n", v->demanded_gb_s * 1e3, v->headroom, v->pass ? "pass" : "FAIL");
    else
      out += fmt::format(" {:>14} {:>9}  {}\n", "-", "-", "-");
  };
  throughput(fmt::format("write {} KiB blocks, fsync, rename", o.block_bytes >> 10).c_str(), "write", f.write_gb_s);
  throughput(fmt::format("sequential read, {} KiB blocks", o.block_bytes >> 10).c_str(), "sequential_read",
             f.sequential_read_gb_s);
  throughput(fmt::format("random read, {} KiB pieces ({:.0f} IOPS)", o.piece_bytes >> 10, f.random_read_iops).c_str(),
             "random_read", f.random_read_gb_s);
  auto rate = [&](const char* label, double per_s) {
    out += fmt::format("{:<44} {:>11.0f} /s {:>14} {:>9}  {}\n", label, per_s, "-", "-", "-");
  };
  rate(fmt::format("create {} small files of {} KiB", o.small_files, o.small_file_bytes >> 10).c_str(), f.create_per_s);
  rate("stat of a small file", f.stat_per_s);
  rate("open and close of a small file", f.open_per_s);
  out += verdicts.empty() ? "\nNo demand given (--tokens-per-s-per-gpu, --checkpoint-bytes, --preset): nothing judged.\n"
         : all_pass(verdicts) ? "\nVerdict: pass (every judged figure has headroom >= 1)\n"
                              : "\nVerdict: FAIL (a figure is below the run's demand)\n";
  return out;
}

}  // namespace cairn::probe::storage
