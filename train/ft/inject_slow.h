// The slow-compute and slow-link injections of --inject (ft/inject/fault_spec.h), which
// act whether or not the straggler detector is on (a drill may test an outside monitor):
//
//   slow-compute:rank=R,factor=F  rank R sleeps (F - 1) x its last measured forward and
//     backward time after each backward (the first step: since the step began), and the
//     straggler detector's GEMM probe on R is stretched the same way, as every kernel of a
//     slow GPU would be.
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

// Sleeps (factor - 1) x seconds (nothing for factor <= 1).
void stretch_by(double factor, double seconds);

}  // namespace cairn::train
