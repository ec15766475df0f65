// What a node is supposed to be: `cairn probe --expect spec.json`, schema "cairn.expect"
// version 1. Every field is optional; unknown fields are errors (a misspelt expectation
// must not pass silently).
//
//   {"schema": "cairn.expect", "schema_version": 1, "gpus": 8, "nics": 8,
//    "nic_rate_gbit_s": 400, "gpu_model": "H100", "pcie_gen": 5, "pcie_width": 16}
//
// The rates are `cairn acceptance`'s (a node below one fails it; probe reads none):
//   memory_bandwidth_gb_s  host STREAM triad        gemm_gflop_s      a node's GEMM rate
//   device_copy_gb_s       GPU device-to-device     bus_bandwidth_gb_s all_reduce busbw
//   pair_bandwidth_gb_s    one direction between two nodes
//   gpu_gemm_tflop_s       a GPU's bf16 GEMM
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
  std::optional<double> memory_bandwidth_gb_s;
  std::optional<double> gemm_gflop_s;
  std::optional<double> gpu_gemm_tflop_s;
  std::optional<double> device_copy_gb_s;
  std::optional<double> bus_bandwidth_gb_s;
  std::optional<double> pair_bandwidth_gb_s;
};

inline constexpr const char* kExpectSchema = "cairn.expect";

ExpectSpec expect_spec_from_json(const Json& doc, const std::string& source);
ExpectSpec read_expect_spec(const std::string& path);

}  // namespace cairn::probe
