// The stall an asynchronous checkpoint adds to training, beside the figure it must not
// exceed: the copy of the state into pinned (staging) memory (issue 19, done-when 4).
//
//   StageCopy   the state's bytes copied into a StagingSlab (page-locked on a CUDA
//               build), once per iteration: the floor a save's stall is judged against.
//   SaveStall   steps of an optimizer-like pass over the state (read params, m, v, write
//               them: memory-bound, as AdamW is, so the background write competes with
//               it for memory bandwidth, as it would), a save every 10 steps. Counters:
//               p50 and p99 of step-time inflation (a save's step minus the median step
//               without one), the save stall p50, and copy_s, the StageCopy time of the
//               same state, measured in the same process.
//
// The state is CAIRN_CKPT_BENCH_ELEMENTS f32 per buffer (default 2^25: 384 MiB for the
// three; the 1b preset's 1.2e9 is 14.4 GB), written to CAIRN_CKPT_BENCH_DIR (default
// the temp directory; give the checkpoint filesystem of the machine under test).
// End to end on a GPU: `cairn train --preset 1b --device cuda --checkpoint-every 10`
// prints each save's stall (docs/ft.md).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#if defined(CAIRN_HAVE_CUDA)
#include <cuda_runtime_api.h>
#endif

#include "ft/checkpoint/async_checkpointer.h"
#include "ft/checkpoint/staging.h"

namespace cairn::ft {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t elements() {
  const char* e = std::getenv("CAIRN_CKPT_BENCH_ELEMENTS");
  return e ? std::max<std::int64_t>(1024, std::atoll(e)) : std::int64_t{1} << 25;
}

std::string bench_dir() {
  const char* d = std::getenv("CAIRN_CKPT_BENCH_DIR");
  const std::filesystem::path base = d ? d : std::filesystem::temp_directory_path();
  const auto dir = base / ("cairn_checkpoint_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Pinned staging needs a GPU's driver; without one the host rows stage into plain memory.
bool have_gpu() {
#if defined(CAIRN_HAVE_CUDA)
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
#else
  return false;
#endif
}
bool pin() { return can_pin_host_memory() && have_gpu(); }

struct State {
  std::vector<float> p, m, v;
  explicit State(std::int64_t n) : p(n, 0.5f), m(n, 0.01f), v(n, 1e-4f) {
    for (std::int64_t i = 0; i < n; ++i) p[i] = 0.001f * static_cast<float>(i % 1000);
  }
  // One pass as AdamW makes it: every buffer read and written.
  void step() {
    for (std::size_t i = 0; i < p.size(); ++i) {
      m[i] = 0.9f * m[i] + 1e-3f;
      v[i] = 0.95f * v[i] + 1e-6f;
      p[i] -= 1e-4f * m[i] / (v[i] + 1e-8f);
    }
  }
};

double copy_seconds(const State& s) {
  const std::size_t bytes = s.p.size() * sizeof(float);
  static StagingSlab slab;
  if (slab.size() != 3 * bytes) slab = StagingSlab(3 * bytes, pin());
  const auto t0 = Clock::now();
  std::memcpy(slab.data(), s.p.data(), bytes);
  std::memcpy(slab.data() + bytes, s.m.data(), bytes);
  std::memcpy(slab.data() + 2 * bytes, s.v.data(), bytes);
  benchmark::DoNotOptimize(slab.data());
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

void StageCopy(benchmark::State& st) {
  const State s(elements());
  for (auto _ : st) st.SetIterationTime(copy_seconds(s));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * 3 * elements() * 4);
  st.counters["pinned"] = pin() ? 1 : 0;
}
BENCHMARK(StageCopy)->UseManualTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);

void SaveStall(benchmark::State& st) {
  const std::int64_t n = elements();
  State s(n);
  const std::string dir = bench_dir();
  CheckpointerOptions o;
  o.dir = dir;
  o.keep = 1;
  o.pinned = pin();
  std::vector<double> plain, saving, stalls;
  {
    AsyncCheckpointer w(o);
    std::int64_t step = 0;
    for (auto _ : st) {
      const auto t0 = Clock::now();
      s.step();
      ++step;
      double stall = -1;
      if (step % 10 == 0) {
        SaveRequest r;
        r.step = step;
        r.total_elements = n;
        r.buffers = {{"params", s.p.data()}, {"adam.m", s.m.data()}, {"adam.v", s.v.data()}};
        stall = w.save(r);
      }
      const double t = std::chrono::duration<double>(Clock::now() - t0).count();
      (stall >= 0 ? saving : plain).push_back(t);
      if (stall >= 0) stalls.push_back(stall);
    }
    w.wait();
  }
  std::filesystem::remove_all(dir);
  const double median = percentile(plain, 0.5);
  std::vector<double> inflation;
  for (double t : saving) inflation.push_back(t - median);
  st.counters["step_s"] = median;
  st.counters["inflation_p50_s"] = percentile(inflation, 0.5);
  st.counters["inflation_p99_s"] = percentile(inflation, 0.99);
  st.counters["stall_p50_s"] = percentile(stalls, 0.5);
  st.counters["copy_s"] = copy_seconds(s);
  st.counters["saves"] = static_cast<double>(saving.size());
}
BENCHMARK(SaveStall)->Iterations(200)->Unit(benchmark::kMillisecond)->UseRealTime();

#if defined(CAIRN_HAVE_CUDA)
// The GPU's form (a CUDA model's state lives on the device). The floor: the state's three
// buffers copied from the device into pinned memory, one cudaMemcpy each. The stall: a
// save of the same device buffers (AsyncCheckpointer copies them into its pinned staging
// chunks), its wait for the previous write left out (the loop waits for each write before
// the next save, untimed), so it is the copy as a save makes it.
struct DeviceState {
  std::int64_t n;
  float *p = nullptr, *m = nullptr, *v = nullptr;
  explicit DeviceState(std::int64_t count) : n(count) {
    for (float** b : {&p, &m, &v}) {
      if (cudaMalloc(reinterpret_cast<void**>(b), static_cast<std::size_t>(n) * sizeof(float)) != cudaSuccess)
        throw std::runtime_error("cudaMalloc of the bench state failed");
      cudaMemset(*b, 0x3c, static_cast<std::size_t>(n) * sizeof(float));
    }
    cudaDeviceSynchronize();
  }
  ~DeviceState() {
    for (float* b : {p, m, v}) cudaFree(b);
  }
};

double device_copy_seconds(const DeviceState& s) {
  const std::size_t bytes = static_cast<std::size_t>(s.n) * sizeof(float);
  static StagingSlab slab;
  if (slab.size() != 3 * bytes) slab = StagingSlab(3 * bytes, true);
  const auto t0 = Clock::now();
  cudaMemcpy(slab.data(), s.p, bytes, cudaMemcpyDeviceToHost);
  cudaMemcpy(slab.data() + bytes, s.m, bytes, cudaMemcpyDeviceToHost);
  cudaMemcpy(slab.data() + 2 * bytes, s.v, bytes, cudaMemcpyDeviceToHost);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void DeviceToPinned(benchmark::State& st) {
  if (!have_gpu()) return st.SkipWithError("no CUDA device visible");
  const DeviceState s(elements());
  for (auto _ : st) st.SetIterationTime(device_copy_seconds(s));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * 3 * elements() * 4);
}
BENCHMARK(DeviceToPinned)->UseManualTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);

void DeviceSaveStall(benchmark::State& st) {
  if (!have_gpu()) return st.SkipWithError("no CUDA device visible");
  const std::int64_t n = elements();
  const DeviceState s(n);
  const std::string dir = bench_dir();
  CheckpointerOptions o;
  o.dir = dir;
  o.keep = 1;
  o.pinned = true;
  std::vector<double> copies;
  {
    AsyncCheckpointer w(o);
    w.reserve(n, 3);
    std::int64_t step = 0;
    for (auto _ : st) {
      SaveRequest r;
      r.step = ++step;
      r.total_elements = n;
      r.buffers = {{"params", s.p, true}, {"adam.m", s.m, true}, {"adam.v", s.v, true}};
      const double stall = w.save(r);
      st.SetIterationTime(stall);
      copies.push_back(stall);
      st.PauseTiming();
      w.wait();  // the write, untimed: the next save's stall is its copy alone
      st.ResumeTiming();
    }
  }
  std::filesystem::remove_all(dir);
  const double floor = device_copy_seconds(s);
  st.counters["stall_p50_s"] = percentile(copies, 0.5);
  st.counters["stall_p99_s"] = percentile(copies, 0.99);
  st.counters["floor_copy_s"] = floor;
  st.counters["stall_over_floor"] = floor > 0 ? percentile(copies, 0.5) / floor : 0;
}
BENCHMARK(DeviceSaveStall)->Iterations(6)->UseManualTime()->Unit(benchmark::kMillisecond);
#endif

}  // namespace
}  // namespace cairn::ft

BENCHMARK_MAIN();
