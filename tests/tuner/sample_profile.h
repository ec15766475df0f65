// A small NCCL profile the profile, plugin and fuzz tests start from: all_reduce on one
// node of 8 ranks measured at 1 KiB, 4 KiB, 16 KiB (4x apart: one range) and 1 MiB (64x
// from 16 KiB: sparse), with a winner at each size but 4 KiB, whose default stays; one
// all_gather cell on 2 nodes. Figures are made up: a test input, not a measurement.
#pragma once

#include "tuner/profile/profile.h"

namespace cairn::test {

inline tuner::ProfileCell sample_cell(const std::string& collective, std::size_t bytes, int nnodes, int nranks) {
  tuner::ProfileCell c;
  c.collective = collective;
  c.bytes = bytes;
  c.nnodes = nnodes;
  c.nranks = nranks;
  c.default_figure = {.time_us = 20, .busbw_gb_s = 5, .spread = 0.02, .rounds = 9};
  c.candidates_measured = 6;
  return c;
}

inline tuner::ProfileCell with_winner(tuner::ProfileCell c, tuner::NcclAlgo a, tuner::NcclProto p, int channels) {
  c.tuned = tuner::Choice{.nccl_algorithm = a, .nccl_protocol = p, .channels = channels,
                          .key = std::string("nccl/") + tuner::to_string(a) + "/" + tuner::to_string(p)};
  c.tuned_figure = tuner::CellFigure{.time_us = 10, .busbw_gb_s = 10, .spread = 0.03, .rounds = 9};
  c.speedup = 2.0;
  c.speedup_low = 1.8;
  c.speedup_high = 2.2;
  return c;
}

inline tuner::Profile sample_profile(const std::string& topology_hash = "0123456789abcdef", int nccl_version = 22809) {
  using tuner::NcclAlgo;
  using tuner::NcclProto;
  tuner::Profile p;
  p.backend = "nccl";
  p.nccl_version = nccl_version;
  p.topology_hash = topology_hash;
  p.nnodes = 1;
  p.nranks = 8;
  p.created_utc = "2026-12-07T00:00:00Z";
  p.host = "node001";
  p.environment = {{"NCCL_BUFFSIZE", "8388608"}, {"NCCL_NTHREADS", "256"}};
  p.cells.push_back(with_winner(sample_cell("all_reduce", 1024, 1, 8), NcclAlgo::tree, NcclProto::ll, 0));
  p.cells.push_back(sample_cell("all_reduce", 4096, 1, 8));
  p.cells.push_back(with_winner(sample_cell("all_reduce", 16384, 1, 8), NcclAlgo::ring, NcclProto::ll128, 4));
  p.cells.push_back(with_winner(sample_cell("all_reduce", 1 << 20, 1, 8), NcclAlgo::ring, NcclProto::simple, 0));
  p.cells.push_back(with_winner(sample_cell("all_gather", 65536, 2, 16), NcclAlgo::pat, NcclProto::simple, 0));
  return p;
}

}  // namespace cairn::test
