// The slow-compute and slow-link injections of --inject (ft/inject/fault_spec.h), which
// act whether or not the straggler detector is on (a drill may test an outside monitor):
//
//   slow-compute:rank=R,factor=F  after each backward, rank R spins on the CPU for (F - 1)
//     x the CPU time this step's forward and backward took on its thread (a processor F
//     times slower spends F times the cycles: a spin, not a sleep, so CPU-time sections
//     see it as they would a throttled core), and the straggler detector's GEMM probe on R
//     is stretched the same way, as every kernel of a slow GPU would be.
//   slow-link:rank=R,factor=F     every operation rank R's communicator runs is posted
//     (F - 1) x the last undelayed time of the same operation (kind and bytes) late: an
//     observer sleeps in on_start on R's calling thread. The other ranks wait for R in
//     each collective, and the sniff test's exchanges with R (both ring neighbours) are as
//     slow, as a slow NIC's would be. Limits: the first operation of each kind and size
//     runs undelayed (nothing measured yet); the delay is added before the transfer, not
//     spread over it, so a pipelined algorithm cannot overlap it the way it overlaps a
//     slow wire; bytes still move at the real rate once posted (docs/ft.md).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "train/fault_tolerance.h"

namespace cairn::train {

std::unique_ptr<FtLayer> attach_slow_faults(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks);

// The factor slow-compute gives `rank` at `step` in this start of the job (1: none; the
// product of several).
double slow_compute_factor(const std::vector<ft::FaultSpec>& inject, int rank, std::int64_t step);

// Spins until this thread has spent (factor - 1) x seconds more CPU time (nothing for
// factor <= 1).
void stretch_by(double factor, double seconds);

// This thread's CPU time, seconds (CLOCK_THREAD_CPUTIME_ID).
double thread_cpu_seconds();

}  // namespace cairn::train
