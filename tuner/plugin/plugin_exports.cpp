// The symbols libnccl-tuner-cairn.so exports: NCCL's four tuner shapes over one
// implementation (tuner_context.h), and the sweep controls (sweep_control.h). NCCL 2.28
// looks up ncclTunerPlugin_v5 first, then v4, v3, v2 (src/plugin/tuner.cc), and calls
// one init per communicator, so each communicator gets its own context.
#include <cstddef>
#include <cstdint>

#include "tuner/plugin/nccl_tuner_abi.h"
#include "tuner/plugin/sweep_control.h"
#include "tuner/plugin/sweep_state.h"
#include "tuner/plugin/tuner_context.h"

namespace {
namespace abi = cairn::tuner::nccl_abi;
namespace impl = cairn::tuner::plugin;

constexpr const char* kName = "Cairn";

impl::Context* context_of(void* c) { return static_cast<impl::Context*>(c); }

// init never fails: a failed tuner init fails ncclCommInitRank (src/init.cc).
abi::Result init_v5(void** context, std::uint64_t /*commId*/, std::size_t nRanks, std::size_t nNodes, abi::Logger log,
                    abi::NvlDomainInfoV5* /*nvlDomainInfo*/, abi::TunerConstantsV5* /*constants: NCCL's stay*/) {
  if (context) *context = impl::open_context(nRanks, nNodes, log);
  return abi::success;
}

abi::Result init_v2_to_v4(std::size_t nRanks, std::size_t nNodes, abi::Logger log, void** context) {
  if (context) *context = impl::open_context(nRanks, nNodes, log);
  return abi::success;
}

// getCollInfo never fails: an error fails the user's collective (src/enqueue.cc getAlgoInfo).
abi::Result coll_info_v4_v5(void* context, abi::Func collType, std::size_t nBytes, int /*numPipeOps*/,
                            float** collCostTable, int numAlgo, int numProto, int /*regBuff*/, int* nChannels) {
  // NCCL passes its float[numAlgo][numProto] cast to float** (enqueue.cc getAlgoInfo).
  impl::decide(context_of(context), collType, nBytes, reinterpret_cast<float*>(collCostTable), numAlgo, numProto,
               nChannels);
  return abi::success;
}

abi::Result coll_info_v3(void* context, abi::Func collType, std::size_t nBytes, int numPipeOps, float** collCostTable,
                         int numAlgo, int numProto, int* nChannels) {
  return coll_info_v4_v5(context, collType, nBytes, numPipeOps, collCostTable, numAlgo, numProto, 0, nChannels);
}

abi::Result coll_info_v2(void* context, abi::Func collType, std::size_t nBytes, int /*collNetSupport*/,
                         int /*nvlsSupport*/, int /*numPipeOps*/, int* algorithm, int* protocol, int* nChannels) {
  impl::propose(context_of(context), collType, nBytes, algorithm, protocol, nChannels);
  return abi::success;
}

abi::Result finalize(void* context) {
  impl::close_context(context_of(context));
  return abi::success;
}

}  // namespace

#define CAIRN_EXPORT __attribute__((visibility("default")))

// Not const: NCCL holds them through non-const pointers (src/plugin/tuner/tuner_v5.cc).
extern "C" {

CAIRN_EXPORT abi::TunerV5 ncclTunerPlugin_v5 = {kName, init_v5, coll_info_v4_v5, finalize};
CAIRN_EXPORT abi::TunerV4 ncclTunerPlugin_v4 = {kName, init_v2_to_v4, coll_info_v4_v5, finalize};
CAIRN_EXPORT abi::TunerV3 ncclTunerPlugin_v3 = {kName, init_v2_to_v4, coll_info_v3, finalize};
CAIRN_EXPORT abi::TunerV2 ncclTunerPlugin_v2 = {kName, init_v2_to_v4, coll_info_v2, finalize};

CAIRN_EXPORT int cairn_tuner_sweep_set(int func, int algo, int proto, int channels) {
  return impl::sweep_set({func, algo, proto, channels}) ? 0 : -1;
}
CAIRN_EXPORT void cairn_tuner_sweep_clear(void) { impl::sweep_clear(); }
CAIRN_EXPORT void cairn_tuner_sweep_counts(long* applied, long* refused) { impl::sweep_counts(applied, refused); }

}  // extern "C"
