// cairn probe storage PATH: what the filesystem under PATH delivers to a training run's
// loader and checkpointer, against what the run demands (probe/storage, docs/storage.md).
// Exit 0 every judged figure has headroom, 1 one falls short, 2 could not run.
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/storage_demand_flags.h"
#include "common/byte_size.h"
#include "common/error.h"
#include "probe/storage/storage_demand.h"
#include "probe/storage/storage_probe.h"
#include "probe/storage/storage_report.h"

namespace cairn::cli {

int cmd_probe_storage(const Args& args) {
  namespace ps = probe::storage;
  ps::StorageOptions o;
  StorageDemandFlags demand_flags;
  std::string size = "1G", block = "1M", piece = "16K", small_bytes = "4K";
  po::options_description desc("Options");
  desc.add_options()
      ("path", po::value(&o.path), "the directory to probe (a scratch directory is made and removed under it)")
      ("threads", po::value(&o.threads)->default_value(o.threads), "readers and writers, each with a file of its own")
      ("size", po::value(&size)->default_value(size), "bytes of the large files, all threads together (K/M/G)")
      ("block-bytes", po::value(&block)->default_value(block), "sequential read and write size")
      ("piece-bytes", po::value(&piece)->default_value(piece), "random read size (4096 tokens of 4 bytes)")
      ("small-files", po::value(&o.small_files)->default_value(o.small_files), "files of the create/stat/open pattern")
      ("small-file-bytes", po::value(&small_bytes)->default_value(small_bytes), "bytes of each small file")
      ("direct", po::bool_switch(&o.direct), "O_DIRECT reads and writes (without it the page cache is dropped "
                                             "before each read)")
      ("json", po::bool_switch(), "print JSON (schema cairn.storage, docs/storage.md) instead of the table");
  add_storage_demand_options(desc, demand_flags);
  po::positional_options_description positional;
  positional.add("path", 1);
  po::variables_map vm;
  if (!parse_options("probe storage", "PATH [--threads N] [--size BYTES] [--direct] [--json] [demand flags]", args,
                     desc, vm, &positional))
    return 0;
  if (o.path.empty()) throw Error("give the directory to probe: cairn probe storage PATH");
  o.total_bytes = parse_size(size, "--size");
  o.block_bytes = parse_size(block, "--block-bytes");
  o.piece_bytes = parse_size(piece, "--piece-bytes");
  o.small_file_bytes = parse_size(small_bytes, "--small-file-bytes");
  o.progress = true;  // drawn on stderr only when it is a terminal (common/progress_bar.h)
  // Every flag is checked before the first byte is written.
  ps::validate(o);
  const ps::StorageDemand d = storage_demand_from(vm, demand_flags);

  const ps::StorageFigures f = ps::measure_storage(o);
  const auto verdicts = ps::judge(f, d);
  if (vm["json"].as<bool>())
    std::cout << ps::storage_to_json(o, f, d, verdicts).dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  else
    std::cout << ps::render_storage_table(o, f, verdicts);
  return ps::all_pass(verdicts) ? 0 : 1;
}

}  // namespace cairn::cli
