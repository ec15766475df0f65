// Sweep mode: `cairn tune` forces one choice on every call NCCL asks the tuner about, in
// the same process, without re-creating communicators. The runner dlopens the library
// NCCL loaded (the same path gives the same handle; NCCL opens it RTLD_LOCAL, so dlsym
// on that handle, not RTLD_DEFAULT) and calls these through dlsym. Thread-safe: the
// state is atomic and read on every getCollInfo.
//
// While a choice is set it wins over the profile, for every communicator of the process.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

// Forces algorithm `algo` (NCCL_ALGO_*, 0..6) with protocol `proto` (NCCL_PROTO_*, 0..2)
// and `channels` (0: NCCL's own; 1..64) on calls of collective `func` (ncclFunc_t 0..4;
// -1: every collective). algo and proto both -1 force only the channels (channels > 0).
// Resets the counts. Returns 0, or -1 (nothing changed) for values outside those ranges.
int cairn_tuner_sweep_set(int func, int algo, int proto, int channels);
// Back to the profile (or NCCL's own choice). The counts stay readable.
void cairn_tuner_sweep_clear(void);
// Calls since the last set where the forced choice was applied, and where it was refused
// because NCCL had disabled that entry (-1 in the cost table: not available for the call,
// or excluded by the user's NCCL_ALGO / NCCL_PROTO). Either pointer may be null.
void cairn_tuner_sweep_counts(long* applied, long* refused);

// The dlsym names, for the runner.
#define CAIRN_TUNER_SWEEP_SET_SYMBOL "cairn_tuner_sweep_set"
#define CAIRN_TUNER_SWEEP_CLEAR_SYMBOL "cairn_tuner_sweep_clear"
#define CAIRN_TUNER_SWEEP_COUNTS_SYMBOL "cairn_tuner_sweep_counts"

#ifdef __cplusplus
}
#endif
