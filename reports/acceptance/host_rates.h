// Per-node rates of a host: memory bandwidth (STREAM's triad) and a matrix product's
// FLOP rate (Cairn's CPU GEMM, what the reference trainer runs). One call is one sample,
// the best of the passes in 50 ms (STREAM's best of NTIMES); acceptance repeats samples
// and judges their median.
#pragma once

#include <cstddef>
#include <vector>

namespace cairn::acceptance {

// STREAM triad a[i] = b[i] + s c[i] over three arrays of `elements` doubles, split over
// the process's CPUs, counted as STREAM counts it: 24 bytes an element, in 10^9 B/s
// (McCalpin, "Memory Bandwidth and Machine Balance", 1995). The arrays should be well
// beyond the last-level cache (the default, 4 Mi elements, is 96 MiB).
class TriadRate {
 public:
  explicit TriadRate(std::size_t elements = std::size_t{4} << 20);
  double sample_gb_s();

 private:
  std::vector<double> a_, b_, c_;
};

// C = A B for square float matrices of side n, 2 n^3 FLOP, in 10^9 FLOP/s.
class GemmRate {
 public:
  explicit GemmRate(int n = 384);
  double sample_gflop_s();

 private:
  int n_;
  std::vector<float> a_, b_, c_;
};

}  // namespace cairn::acceptance
