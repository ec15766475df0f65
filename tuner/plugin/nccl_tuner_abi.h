// NCCL's tuner plugin ABI as NCCL 2.28 calls it, declared by Cairn from reading NCCL's
// public source at v2.28.9 (no NCCL header is copied or included, so the plugin builds
// without NCCL or CUDA). Each declaration cites the header whose layout it follows; the
// layouts must match those headers field for field, since NCCL reads these structs
// through dlsym.
//
// How NCCL uses them (src/plugin/tuner.cc ncclTunerPluginLoad): it dlopens the library
// (src/plugin/plugin_open.cc openPluginLib: NCCL_TUNER_PLUGIN=cairn tries "cairn", then
// "libnccl-tuner-cairn.so"), looks up ncclTunerPlugin_v5, then _v4, _v3, _v2, and adapts
// an older shape to v5 (src/plugin/tuner/tuner_v{2,3,4}.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace cairn::tuner::nccl_abi {

// ncclResult_t (nccl.h): an int-sized enum; success is 0. The tuner only ever returns it.
enum Result : int { success = 0, internal_error = 3 };

// ncclDebugLogLevel and ncclDebugLogSubSys (src/include/nccl_common.h).
enum LogLevel : int { log_none = 0, log_version = 1, log_warn = 2, log_info = 3, log_abort = 4, log_trace = 5 };
inline constexpr unsigned long kLogInit = 0x1;     // NCCL_INIT
inline constexpr unsigned long kLogTuning = 0x40;  // NCCL_TUNING (NCCL_DEBUG_SUBSYS=TUNING)

// ncclDebugLogger_t (src/include/nccl_common.h): printf-style, filtered by NCCL_DEBUG and
// NCCL_DEBUG_SUBSYS inside NCCL.
using Logger = void (*)(LogLevel level, unsigned long flags, const char* file, int line, const char* fmt, ...);

// ncclFunc_t (src/include/nccl_common.h): 0..4 are the collectives the cost table is
// for; 5.. (send/recv, alltoall, scatter, gather) have no profile cells.
using Func = int;
inline constexpr int kNumFunctions = 5;  // NCCL_NUM_FUNCTIONS

// NCCL_ALGO_PROTO_IGNORE (src/include/plugin/nccl_tuner.h; src/enqueue.cc
// initCollCostTable): a cost-table entry NCCL will not use.
inline constexpr float kAlgoProtoIgnore = -1.0f;

// ncclNvlDomainInfo_v5_t (src/include/plugin/tuner/tuner_v5.h).
struct NvlDomainInfoV5 {
  int nNvlDomains;
  int minRanksPerNvlDomain;
  int maxRanksPerNvlDomain;
};

// ncclTunerConstants_v5_t (tuner_v5.h): NCCL's latency and bandwidth tables, in and out
// of init. Cairn leaves them as NCCL set them. Dimensions: NCCL_NUM_ALGORITHMS_V5 7,
// NCCL_NUM_PROTOCOLS_V5 3, NCCL_NUM_HW_LINKS_V5 3, NCCL_NUM_COMPCAPS_V5 4,
// NCCL_NUM_TUNING_SCALES_V5 3.
struct TunerConstantsV5 {
  double baseLatencies[7][3];
  double hwLatencies[3][7][3];
  double llMaxBws[4][3];
  double perChMaxRingLL128Bws[4][3];
  double perChMaxTreeLL128Bws[4][3];
  double perChMaxTreeBws[4][3];
  double perChMaxNVLSTreeBws[4][3];
};

// ncclTuner_v5_t (tuner_v5.h). collCostTable is NCCL's float[numAlgo][numProto] cast to
// float** (enqueue.cc getAlgoInfo): index it flat, never as an array of pointers.
struct TunerV5 {
  const char* name;
  Result (*init)(void** context, std::uint64_t commId, std::size_t nRanks, std::size_t nNodes, Logger logFunction,
                 NvlDomainInfoV5* nvlDomainInfo, TunerConstantsV5* constants);
  Result (*getCollInfo)(void* context, Func collType, std::size_t nBytes, int numPipeOps, float** collCostTable,
                        int numAlgo, int numProto, int regBuff, int* nChannels);
  Result (*finalize)(void* context);
};

// ncclTuner_v4_t (tuner_v4.h): v5's getCollInfo; init without commId and constants, and
// the context last; "destroy" for finalize.
struct TunerV4 {
  const char* name;
  Result (*init)(std::size_t nRanks, std::size_t nNodes, Logger logFunction, void** context);
  Result (*getCollInfo)(void* context, Func collType, std::size_t nBytes, int numPipeOps, float** collCostTable,
                        int numAlgo, int numProto, int regBuff, int* nChannels);
  Result (*destroy)(void* context);
};

// ncclTuner_v3_t (tuner_v3.h): v4 without regBuff.
struct TunerV3 {
  const char* name;
  Result (*init)(std::size_t nRanks, std::size_t nNodes, Logger logFunction, void** context);
  Result (*getCollInfo)(void* context, Func collType, std::size_t nBytes, int numPipeOps, float** collCostTable,
                        int numAlgo, int numProto, int* nChannels);
  Result (*destroy)(void* context);
};

// ncclTuner_v2_t (tuner_v2.h): no cost table; the plugin names an algorithm and a
// protocol, and NCCL's adapter (src/plugin/tuner/tuner_v2.cc) zeroes that entry unless it
// is NCCL_ALGO_PROTO_IGNORE.
struct TunerV2 {
  const char* name;
  Result (*init)(std::size_t nRanks, std::size_t nNodes, Logger logFunction, void** context);
  Result (*getCollInfo)(void* context, Func collType, std::size_t nBytes, int collNetSupport, int nvlsSupport,
                        int numPipeOps, int* algorithm, int* protocol, int* nChannels);
  Result (*destroy)(void* context);
};

// NCCL_ALGO_UNDEF / NCCL_PROTO_UNDEF (src/include/plugin/nccl_tuner.h): what v2's outputs hold when
// the plugin leaves them.
inline constexpr int kUndef = -1;

}  // namespace cairn::tuner::nccl_abi
