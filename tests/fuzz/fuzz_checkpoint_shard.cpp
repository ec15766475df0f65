// libFuzzer target: checkpoint shard files (ft/checkpoint/shard_file.h; a resume reads
// every shard a manifest lists, whoever wrote them). Any bytes are refused with
// cairn::Error (CorruptCheckpoint for damage) or verified whole; never a crash, a hang or
// an allocation the file cannot back. (Manifests: fuzz_checkpoint, through
// train::read_checkpoint.)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "common/error.h"
#include "ft/checkpoint/shard_file.h"
#include "tests/fuzz/fuzz_input_file.h"

namespace {

const std::string& input_path() {
  static const std::string path = cairn::fuzz::input_path("checkpoint_shard", ".shard-0-of-1");
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = input_path();
  cairn::fuzz::write_input(path, data, size);
  try {
    (void)cairn::ft::verify_shard(path);
  } catch (const cairn::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
