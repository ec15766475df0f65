// `cairn train` command lines for the hostile cases: a short run of the tiny preset on
// the harness's shard, with any flag replaced by the case's value.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/hostile/hostile.h"

namespace cairn::hostile {

// "train --data <tiny shard> --device cpu --steps 2 --batch 1 --seq-len 8 --log-every 100"
// with each of `flags` ({"--lr", "nan"}) set or replaced, and `extra` appended. The CPU
// by default, so a case means the same on a machine with one GPU (where two ranks would
// share it, which NCCL refuses) as on one without.
inline std::vector<std::string> train_args(const std::map<std::string, std::string>& flags = {},
                                           const std::vector<std::string>& extra = {}) {
  std::map<std::string, std::string> all = {
      {"--data", tiny_shard()}, {"--device", "cpu"}, {"--steps", "2"}, {"--batch", "1"}, {"--seq-len", "8"}, {"--log-every", "100"}};
  for (const auto& [flag, value] : flags) all[flag] = value;
  std::vector<std::string> args = {"train"};
  for (const auto& [flag, value] : all) {
    args.push_back(flag);
    args.push_back(value);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace cairn::hostile
