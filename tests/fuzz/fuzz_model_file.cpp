// libFuzzer target: cairn.model files (train --preset FILE.json). Any input fails with
// cairn::Error or reads into a model that validates, counts its parameters without
// overflow, and writes back to an equal document.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "common/json_io.h"
#include "train/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn::train;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const ModelConfig c = model_config_from_json(cairn::parse_json(text, "fuzz.json"), "fuzz.json");
    (void)parameter_count(c);  // within validate()'s bounds this cannot overflow
    const cairn::Json out = to_json(c);
    if (to_json(model_config_from_json(out, "again.json")) != out) std::abort();
  } catch (const cairn::Error&) {
  }
  return 0;
}
