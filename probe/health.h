// Health checks over a probed node. Each finding has a severity and a stable check id
// (scripts and the acceptance report key on the id, never on the message):
//
//   ib_port_not_active    error    an InfiniBand/RoCE port is not ACTIVE
//   ib_port_slow          error    an RDMA port runs below --expect nic_rate_gbit_s
//   pcie_downtrained      error    a GPU or NIC link trained narrower than both ends allow,
//                                  or a NIC slower; warning for a GPU at a lower rate only
//                                  (idle GPUs drop their link rate to save power)
//   pcie_below_expected   error    a GPU/NIC link cannot reach --expect pcie_gen/pcie_width
//   gpu_without_near_nic  warning  no RDMA NIC under the GPU's PCIe switch nor its NUMA node
//   nvlink_down           error    fewer NVLinks active than the GPU has
//   ecc_uncorrected       error    uncorrectable ECC errors since the driver loaded
//   gpu_retirement_pending error   a page retirement / row remap waits for a GPU reset
//   gpu_retired_pages     warning  pages retired or rows remapped
//   gpu_throttling        warning  clocks held down for power, thermal or hardware reasons
//   gpu_count             error    fewer GPUs than --expect gpus
//   nic_count             error    fewer RDMA NICs than --expect nics
//   gpu_model             error    a GPU's name lacks --expect gpu_model
#pragma once

#include <string>
#include <vector>

#include "common/json_io.h"
#include "probe/expect_spec.h"
#include "probe/node.h"

namespace cairn::probe {

enum class Severity { error, warning, info };

struct Finding {
  Severity severity = Severity::info;
  std::string check;    // stable id, see above
  std::string subject;  // "mlx5_1 port 1", "GPU 3 (0000:9a:00.0)"
  std::string message;  // what is wrong and what to do
};

// Errors first, then warnings, then infos; in device order within each.
std::vector<Finding> check_node(const NodeInfo& node, const ExpectSpec& expect = {});

int count_findings(const std::vector<Finding>& findings, Severity severity);
const char* to_string(Severity severity);
Json findings_to_json(const std::vector<Finding>& findings);

// RDMA-capable: what NCCL's network transport can use (verbs or Slingshot).
bool is_rdma_nic(const NicInfo& nic);

}  // namespace cairn::probe
