#include "cli/storage_demand_flags.h"

#include "common/byte_size.h"
#include "common/error.h"
#include "train/config.h"

namespace cairn::cli {

void add_storage_demand_options(po::options_description& desc, StorageDemandFlags& f) {
  desc.add_options()
      ("tokens-per-s-per-gpu", po::value<double>(), "read demand: tokens a GPU trains on per second")
      ("gpus", po::value<int>(), "read demand: GPUs of the run")
      ("bytes-per-token", po::value(&f.demand.bytes_per_token)->default_value(f.demand.bytes_per_token),
       "read demand: bytes a token takes in the shards (1, 2 or 4)")
      ("checkpoint-bytes", po::value(&f.checkpoint_bytes), "write demand: bytes of one checkpoint (K/M/G)")
      ("preset", po::value(&f.preset), "write demand: the checkpoint of a model preset (12 bytes a parameter)")
      ("checkpoint-every-s", po::value<double>(), "write demand: seconds between checkpoints (a checkpoint may "
                                                  "take 10 % of them)");
}

probe::storage::StorageDemand storage_demand_from(const po::variables_map& vm, StorageDemandFlags& f) {
  namespace ps = probe::storage;
  ps::StorageDemand d = f.demand;
  if (vm.count("tokens-per-s-per-gpu")) d.tokens_per_s_per_gpu = vm["tokens-per-s-per-gpu"].as<double>();
  if (vm.count("gpus")) d.gpus = vm["gpus"].as<int>();
  if (vm.count("checkpoint-every-s")) d.checkpoint_every_s = vm["checkpoint-every-s"].as<double>();
  if (vm.count("checkpoint-bytes") && vm.count("preset"))
    throw Error("--checkpoint-bytes and --preset both give the checkpoint's size; give one of them");
  if (vm.count("checkpoint-bytes")) d.checkpoint_bytes = parse_size(f.checkpoint_bytes, "--checkpoint-bytes");
  if (vm.count("preset")) {
    const std::int64_t parameters = train::parameter_count(train::preset(f.preset));
    d.checkpoint_bytes = ps::checkpoint_bytes_for_parameters(parameters);
    d.checkpoint_source = "--preset " + f.preset;
  }
  ps::validate(d);
  return d;
}

}  // namespace cairn::cli
