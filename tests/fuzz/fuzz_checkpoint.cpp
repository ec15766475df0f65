// libFuzzer target: checkpoint files (train --resume reads what is in the directory,
// whoever wrote it). Any bytes are refused with cairn::Error (CorruptCheckpoint for
// damage) or read back whole; never a crash, a hang or an allocation the file cannot back.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "common/error.h"
#include "tests/fuzz/fuzz_input_file.h"
#include "train/checkpoint.h"

namespace {

// One file per fuzzing process, rewritten for each input.
const std::string& input_path() {
  static const std::string path = cairn::fuzz::input_path("checkpoint", ".ckpt");
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = input_path();
  cairn::fuzz::write_input(path, data, size);
  try {
    (void)cairn::train::read_checkpoint_info(path);
    (void)cairn::train::read_checkpoint(path);
  } catch (const cairn::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
