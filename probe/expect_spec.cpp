#include "probe/expect_spec.h"

#include "common/error.h"
#include "common/untrusted_text.h"

namespace cairn::probe {
namespace {

int positive_int(const Json& doc, const char* key, const std::string& source, int max) {
  const auto& v = doc.at(key);
  if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > max)
    fail(source, std::string("\"") + key + "\" must be an integer from 0 to " + std::to_string(max));
  return v.get<int>();
}

// The rates `cairn acceptance` measures (probe itself reads no rate).
struct RateField {
  std::optional<double> ExpectSpec::*member = nullptr;
  const char* unit = "";
};

RateField rate_field(const std::string& key) {
  if (key == "memory_bandwidth_gb_s") return {&ExpectSpec::memory_bandwidth_gb_s, "GB/s (10^9 B/s)"};
  if (key == "gemm_gflop_s") return {&ExpectSpec::gemm_gflop_s, "GFLOP/s"};
  if (key == "gpu_gemm_tflop_s") return {&ExpectSpec::gpu_gemm_tflop_s, "TFLOP/s (10^12, bf16)"};
  if (key == "device_copy_gb_s") return {&ExpectSpec::device_copy_gb_s, "GB/s (10^9 B/s)"};
  if (key == "bus_bandwidth_gb_s") return {&ExpectSpec::bus_bandwidth_gb_s, "GB/s (10^9 B/s, nccl-tests' busbw)"};
  if (key == "pair_bandwidth_gb_s") return {&ExpectSpec::pair_bandwidth_gb_s, "GB/s (10^9 B/s, one direction)"};
  return {};
}

}  // namespace

ExpectSpec expect_spec_from_json(const Json& doc, const std::string& source) {
  require_schema(doc, kExpectSchema, 1, source);
  ExpectSpec s;
  for (const auto& [key, value] : doc.items()) {
    if (key == "schema" || key == "schema_version") continue;
    if (key == "gpus") {
      s.gpus = positive_int(doc, "gpus", source, 4096);
    } else if (key == "nics") {
      s.nics = positive_int(doc, "nics", source, 4096);
    } else if (key == "nic_rate_gbit_s") {
      if (!value.is_number() || value.get<double>() <= 0 || value.get<double>() > 1e5)
        fail(source, "\"nic_rate_gbit_s\" must be a positive number (e.g. 400 for NDR)");
      s.nic_rate_gbit_s = value.get<double>();
    } else if (const auto rate = rate_field(key); rate.member) {
      if (!value.is_number() || !(value.get<double>() > 0) || value.get<double>() > 1e9)
        fail(source, "\"" + key + "\" must be a positive number of " + rate.unit);
      s.*rate.member = value.get<double>();
    } else if (key == "gpu_model") {
      if (!value.is_string() || value.get<std::string>().empty())
        fail(source, "\"gpu_model\" must be a non-empty string (part of the GPU name, e.g. \"H100\")");
      s.gpu_model = value.get<std::string>();
    } else if (key == "pcie_gen") {
      s.pcie_gen = positive_int(doc, "pcie_gen", source, 7);
    } else if (key == "pcie_width") {
      s.pcie_width = positive_int(doc, "pcie_width", source, 32);
    } else {
      fail(source, "unknown field " + quote_excerpt(key) +
                       " (known: gpus, nics, nic_rate_gbit_s, gpu_model, pcie_gen, pcie_width, memory_bandwidth_gb_s, "
                       "gemm_gflop_s, gpu_gemm_tflop_s, device_copy_gb_s, bus_bandwidth_gb_s, pair_bandwidth_gb_s)");
    }
  }
  return s;
}

ExpectSpec read_expect_spec(const std::string& path) { return expect_spec_from_json(read_json_file(path), path); }

}  // namespace cairn::probe
