// cairn probe storage PATH: what the filesystem under PATH delivers to a training run's
// loader and checkpointer, against what the run demands (probe/storage, docs/storage.md).
// Exit 0 every judged figure has headroom, 1 one falls short, 2 could not run.
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/byte_size.h"
#include "common/error.h"
#include "probe/storage/storage_demand.h"
#include "probe/storage/storage_probe.h"
#include "probe/storage/storage_report.h"
#include "train/config.h"

namespace cairn::cli {

int cmd_probe_storage(const Args& args) {
  namespace ps = probe::storage;
  ps::StorageOptions o;
  ps::StorageDemand d;
  std::string size = "1G", block = "1M", piece = "16K", small_bytes = "4K", checkpoint_bytes, preset;
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
      ("json", po::bool_switch(), "print JSON (schema cairn.storage, docs/storage.md) instead of the table")
      ("tokens-per-s-per-gpu", po::value<double>(), "read demand: tokens a GPU trains on per second")
      ("gpus", po::value<int>(), "read demand: GPUs of the run")
      ("bytes-per-token", po::value(&d.bytes_per_token)->default_value(d.bytes_per_token),
       "read demand: bytes a token takes in the shards (1, 2 or 4)")
      ("checkpoint-bytes", po::value(&checkpoint_bytes), "write demand: bytes of one checkpoint (K/M/G)")
      ("preset", po::value(&preset), "write demand: the checkpoint of a model preset (12 bytes a parameter)")
      ("checkpoint-every-s", po::value<double>(), "write demand: seconds between checkpoints (a checkpoint may "
                                                  "take 10 % of them)");
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
  if (vm.count("tokens-per-s-per-gpu")) d.tokens_per_s_per_gpu = vm["tokens-per-s-per-gpu"].as<double>();
  if (vm.count("gpus")) d.gpus = vm["gpus"].as<int>();
  if (vm.count("checkpoint-every-s")) d.checkpoint_every_s = vm["checkpoint-every-s"].as<double>();
  if (vm.count("checkpoint-bytes") && vm.count("preset"))
    throw Error("--checkpoint-bytes and --preset both give the checkpoint's size; give one of them");
  if (vm.count("checkpoint-bytes")) d.checkpoint_bytes = parse_size(checkpoint_bytes, "--checkpoint-bytes");
  if (vm.count("preset")) {
    const std::int64_t parameters = train::parameter_count(train::preset(preset));
    d.checkpoint_bytes = ps::checkpoint_bytes_for_parameters(parameters);
    d.checkpoint_source = "--preset " + preset;
  }
  // Every flag is checked before the first byte is written.
  ps::validate(o);
  ps::validate(d);

  const ps::StorageFigures f = ps::measure_storage(o);
  const auto verdicts = ps::judge(f, d);
  if (vm["json"].as<bool>())
    std::cout << ps::storage_to_json(o, f, d, verdicts).dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  else
    std::cout << ps::render_storage_table(o, f, verdicts);
  return ps::all_pass(verdicts) ? 0 : 1;
}

}  // namespace cairn::cli
