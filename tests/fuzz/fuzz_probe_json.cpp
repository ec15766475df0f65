// libFuzzer target: the JSON documents the probe reads: cairn.probe (--from FILE.json),
// cairn.probe-gpus and cairn.probe-verbs (captures), cairn.expect (--expect). Any input
// fails with cairn::Error or reads into values that write back to an equal document.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "common/json_io.h"
#include "probe/expect_spec.h"
#include "probe/gpu_facts.h"
#include "probe/ibverbs_live.h"
#include "probe/node_json.h"

namespace {

template <typename F>
void expect_only_cairn_errors(F&& f) {
  try {
    f();
  } catch (const cairn::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn::probe;
  std::string text(reinterpret_cast<const char*>(data), size);
  cairn::Json doc;
  try {
    doc = cairn::parse_json(text, "fuzz.json");
  } catch (const cairn::Error&) {
    return 0;
  }
  expect_only_cairn_errors([&] {
    auto node = node_from_json(doc, "fuzz.json");
    auto out = node_to_json(node);
    if (node_to_json(node_from_json(out, "again.json")) != out) std::abort();
  });
  expect_only_cairn_errors([&] {
    auto facts = gpu_facts_from_json(doc, "gpus.json");
    auto out = gpu_facts_to_json(facts);
    if (gpu_facts_to_json(gpu_facts_from_json(out, "again.json")) != out) std::abort();
  });
  expect_only_cairn_errors([&] {
    auto mtus = verbs_mtus_from_json(doc, "verbs.json");
    if (verbs_mtus_from_json(verbs_mtus_to_json(mtus), "again.json") != mtus) std::abort();
  });
  expect_only_cairn_errors([&] { expect_spec_from_json(doc, "spec.json"); });
  return 0;
}
