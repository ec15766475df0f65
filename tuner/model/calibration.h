// Fitting the cost models to measurements, and their error on sizes held out of the fit.
//
// Host families (host_model.h): per (family, collective), t = alpha x steps(N) +
// beta x bytes_factor(N) x n, fitted with fit_alpha_beta on the per-step form
// t / steps = alpha + beta x (bytes_factor x n / steps), over samples at any N; and
// piecewise (segmented_fit.h) over the bytes of one step, which is what predicts.
//
// NCCL families ("nccl:ring/simple", ..., or "nccl:default" for NCCL's own choice): NCCL's
// structure with two measured efficiencies per (family, collective),
//   t = a x latency_NCCL + b x nBytes / (1000 x bandwidth_NCCL),
// fitted the same way (t / latency = a + b x bytes_term / latency). Predicting another
// cluster scale keeps a and b and recomputes NCCL's terms there: the assumption is that
// what NCCL's model misses on a system (protocol overheads, the real link efficiency) is a
// property of the node, network and NCCL build, not of the rank count.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "tuner/model/alpha_beta.h"
#include "tuner/model/nccl_model.h"
#include "tuner/model/segmented_fit.h"
#include "tuner/model/system_model.h"

namespace cairn::tuner {

struct Sample {
  std::string family;      // "ucx:ring", "ring", "nccl:tree/ll", "nccl:default"
  std::string collective;  // a CollTest name: "all_reduce"
  double bytes = 0;        // nccl-tests' size column
  int nranks = 0;
  int nnodes = 0;
  double time_us = 0;
};

// Throws cairn::Error naming the sample (its index and family) and the field for a
// non-finite or negative size, a time <= 0, fewer than 2 ranks, or ranks not a multiple
// of nodes.
void check_samples(std::span<const Sample> samples);

bool is_nccl_family(const std::string& family);  // "nccl:..."

struct FamilyFit {
  std::string family;
  std::string collective;
  // Host: alpha_us per step, beta_us_per_byte per byte moved. NCCL: alpha_us is the latency
  // efficiency a, beta_us_per_byte the byte efficiency b (both 1 where NCCL is right).
  // One line over all the samples.
  AlphaBetaFit fit;
  // Host families: the piecewise fit over the bytes of one step, which predict_us uses.
  SegmentedFit segments;
};

// One fit per (family, collective) of the samples (host and NCCL families alike; NCCL ones
// need `nccl_system`, the system they were measured on, else cairn::Error names them).
std::vector<FamilyFit> fit_families(std::span<const Sample> samples, const SystemModel* nccl_system = nullptr);

// The fitted model's time for a sample's shape (family, collective, bytes, nranks, nnodes).
// nccl_system: the system to predict on (another scale of the measured one, or itself).
double predict_us(const FamilyFit& fit, const Sample& shape, const SystemModel* nccl_system = nullptr);
const FamilyFit* find_fit(std::span<const FamilyFit> fits, const std::string& family, const std::string& collective);

// NCCL's efficiency table for a collective from the NCCL fits: each "nccl:<algo>/<proto>"
// fit sets its pair, "nccl:default" sets every pair not fitted on its own.
nccl::Efficiency nccl_efficiency(std::span<const FamilyFit> fits, const std::string& collective);

enum class HoldOut { every_other_size };

struct HoldoutLine {
  std::string family;
  int fitted = 0;            // samples the fit saw
  int held_out = 0;          // samples predicted
  double median_abs_rel_error = 0;  // |predicted - measured| / measured over held_out
};
struct HoldoutReport {
  std::vector<HoldoutLine> families;  // sorted by family
  int held_out = 0;
  double median_abs_rel_error = 0;    // over all held-out samples
};

// Per (family, collective) the distinct sizes sorted; every other size (the 2nd, 4th, ...)
// is held out, the rest fitted, the held-out ones predicted. A (family, collective) with
// fewer than 3 sizes is left out (nothing to hold out and still fit two). Errors are
// pooled per family and overall.
HoldoutReport holdout_error(std::span<const Sample> samples, HoldOut which = HoldOut::every_other_size,
                            const SystemModel* nccl_system = nullptr);

// "held-out error (every other size): ucx:ring 3.1 % (8 sizes), ..., overall 2.7 %".
std::vector<std::string> format_holdout(const HoldoutReport& r);

}  // namespace cairn::tuner
