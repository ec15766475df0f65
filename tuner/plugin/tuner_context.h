// What libnccl-tuner-cairn.so does for one communicator, behind the C shapes NCCL calls
// (plugin_exports.cpp): load and check the profile once at init, then answer each call
// from the communicator's rules. Linked statically into the .so and into the fuzzer.
//
// Nothing here throws or fails towards NCCL: a failed tuner init fails the communicator
// (src/init.cc: NCCLCHECK(comm->tuner->init(...))) and a failed getCollInfo fails the
// user's collective (src/enqueue.cc getAlgoInfo: NCCLCHECK(comm->tuner->getCollInfo(...))),
// so every problem becomes one log line and NCCL's own choice.
#pragma once

#include <cstddef>

#include "tuner/plugin/nccl_tuner_abi.h"

namespace cairn::tuner::plugin {

struct Context;

// Reads CAIRN_TUNER_PROFILE (unset: no rules, one INFO line). A profile that cannot be
// applied here (missing, unreadable, malformed, not an nccl profile, other nranks or
// nnodes, other NCCL version than this process's, other topology hash than this node's
// under CAIRN_TUNER_SYSFS_ROOT or /sys) logs ONE WARN naming the file and the reason,
// and leaves the context with no rules. nullptr only when out of memory; every other
// function takes nullptr as a context without rules.
Context* open_context(std::size_t nranks, std::size_t nnodes, nccl_abi::Logger log) noexcept;
void close_context(Context* ctx) noexcept;

// The v3..v5 getCollInfo: `table` is NCCL's flat float[num_algo][num_proto]. With a
// sweep choice set (sweep_state.h) it wins; else the profile's rule for the call, if any,
// zeroes its entry unless NCCL disabled it (< 0), and sets *nchannels only when the rule
// names channels. Each decision is logged at INFO under NCCL_TUNING the first time per
// (collective, cell) for this context.
void decide(Context* ctx, int func, std::size_t nbytes, float* table, int num_algo, int num_proto,
            int* nchannels) noexcept;

// The v2 getCollInfo: no table; names the algorithm and protocol (NCCL's adapter,
// src/plugin/tuner/tuner_v2.cc, applies them unless that entry is disabled).
void propose(Context* ctx, int func, std::size_t nbytes, int* algorithm, int* protocol, int* nchannels) noexcept;

// Rules (tuned cells) this context applies: 0 without a usable profile.
std::size_t rule_count(const Context* ctx) noexcept;

}  // namespace cairn::tuner::plugin
