#include "collectives/backends/nccl/nccl_config.h"

#include <fmt/format.h>

#include "common/error.h"

namespace cairn::coll::detail {

namespace {
constexpr int kMaxCgaClusterSize = 8;  // NCCL caps cgaClusterSize there (with a warning)
}

void validate_nccl_options(const NcclOptions& o) {
  if (o.min_ctas && *o.min_ctas < 1)
    throw Error(fmt::format("NcclOptions::min_ctas is {}; it must be at least 1 (or unset for NCCL's default)", *o.min_ctas));
  if (o.max_ctas && *o.max_ctas < 1)
    throw Error(fmt::format("NcclOptions::max_ctas is {}; it must be at least 1 (or unset for NCCL's default)", *o.max_ctas));
  if (o.min_ctas && o.max_ctas && *o.min_ctas > *o.max_ctas)
    throw Error(fmt::format("NcclOptions::min_ctas ({}) is more than max_ctas ({}); make min_ctas <= max_ctas", *o.min_ctas,
                            *o.max_ctas));
  if (o.cga_cluster_size && (*o.cga_cluster_size < 0 || *o.cga_cluster_size > kMaxCgaClusterSize))
    throw Error(fmt::format("NcclOptions::cga_cluster_size is {}; it must be 0 (off) to {}", *o.cga_cluster_size,
                            kMaxCgaClusterSize));
  if (o.cta_policy && (*o.cta_policy < 0 || *o.cta_policy > 2))
    throw Error(fmt::format("NcclOptions::cta_policy is {}; use 0 (default), 1 (efficiency) or 2 (zero)", *o.cta_policy));
  if (o.nvls_ctas && *o.nvls_ctas < 1)
    throw Error(fmt::format("NcclOptions::nvls_ctas is {}; it must be at least 1 (or unset)", *o.nvls_ctas));
  if (o.channels_per_net_peer && *o.channels_per_net_peer < 1)
    throw Error(fmt::format("NcclOptions::channels_per_net_peer is {}; it must be at least 1 (or unset)",
                            *o.channels_per_net_peer));
  if (o.net_name && o.net_name->empty())
    throw Error("NcclOptions::net_name is empty; name a network (\"IB\", \"Socket\") or leave it unset");
}

ncclConfig_t make_nccl_config(const NcclOptions& o, bool blocking) {
  validate_nccl_options(o);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = blocking ? 1 : 0;
  if (o.min_ctas) config.minCTAs = *o.min_ctas;
  if (o.max_ctas) config.maxCTAs = *o.max_ctas;
  if (o.cga_cluster_size) config.cgaClusterSize = *o.cga_cluster_size;
  if (o.net_name) config.netName = o.net_name->c_str();
  if (o.split_share) config.splitShare = *o.split_share ? 1 : 0;
  if (o.cta_policy) config.CTAPolicy = *o.cta_policy;
  if (o.nvls_ctas) config.nvlsCTAs = *o.nvls_ctas;
  if (o.channels_per_net_peer) config.nChannelsPerNetPeer = *o.channels_per_net_peer;
  return config;
}

}  // namespace cairn::coll::detail
