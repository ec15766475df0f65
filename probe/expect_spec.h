// What a node is supposed to be: `cairn probe --expect spec.json`, schema "cairn.expect"
// version 1. Every field is optional; unknown fields are errors (a misspelt expectation
// must not pass silently).
//
//   {"schema": "cairn.expect", "schema_version": 1, "gpus": 8, "nics": 8,
//    "nic_rate_gbit_s": 400, "gpu_model": "H100", "pcie_gen": 5, "pcie_width": 16}
#pragma once

#include <optional>
#include <string>

#include "common/json_io.h"

namespace cairn::probe {

struct ExpectSpec {
  std::optional<int> gpus;               // at least this many GPUs
  std::optional<int> nics;               // at least this many RDMA NICs (ibverbs, Slingshot)
  std::optional<double> nic_rate_gbit_s; // every RDMA port at least this fast
  std::string gpu_model;                 // substring of every GPU's name ("H100")
  std::optional<int> pcie_gen;           // GPUs and NICs can train at least this generation
  std::optional<int> pcie_width;         // ... and this many lanes
};

inline constexpr const char* kExpectSchema = "cairn.expect";

ExpectSpec expect_spec_from_json(const Json& doc, const std::string& source);
ExpectSpec read_expect_spec(const std::string& path);

}  // namespace cairn::probe
