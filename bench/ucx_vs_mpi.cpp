// Cairn's UCX all_reduce against Open MPI's MPI_Allreduce, same
// ranks, same sizes (1 KiB - 256 MiB of float sum), in one run. Started by mpirun (see
// scripts/bench-ucx-vs-mpi.sh); MPI also carries the rendezvous (rank 0's store port and
// the job secret), so the two libraries run in the same processes on the same buffers.
//
// Per size and library: warm-up, then `rounds` alternating rounds (MPI, Cairn, MPI, ...)
// of `iters` blocking calls between barriers; a round's time is the mean per call averaged
// over ranks (nccl-tests' -a 1), and the median round is reported, so drift on a shared
// machine hits both alike. busbw uses nccl-tests' all_reduce factor 2(n-1)/n. Each
// library's result is checked against the exact sum before timing.
#include <mpi.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "collectives/measure/harness/collective.h"
#include "collectives/measure/harness/data.h"
#include "collectives/measure/memory.h"
#include "collectives/rendezvous/bootstrap.h"
#include "collectives/rendezvous/tcp_store.h"
#include "collectives/backends/ucx/ucx_communicator.h"
#include "common/error.h"
#include "common/host_name.h"
#include "common/text_file.h"

namespace {

using namespace cairn;
using namespace cairn::coll;
using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t min_bytes = 1u << 10;
  std::size_t max_bytes = 256u << 20;
  int rounds = 3;
  std::string output;  // markdown file; empty: stdout only
  AlgoConfig algo;     // Cairn's knobs (the tuner's); defaults: the automatic choice
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--output")
      o.output = value();
    else if (a == "--max-bytes")
      o.max_bytes = std::stoull(value());
    else if (a == "--min-bytes")
      o.min_bytes = std::stoull(value());
    else if (a == "--rounds")
      o.rounds = std::stoi(value());
    else if (a == "--algorithm")
      o.algo.algorithm = parse_algorithm(value());
    else if (a == "--chunk-bytes")
      o.algo.chunk_bytes = std::stoull(value());
    else if (a == "--depth")
      o.algo.pipeline_depth = std::stoi(value());
    else if (a == "--channels")
      o.algo.channels = std::stoi(value());
    else
      throw Error("unknown argument '" + a +
                  "' (use --output FILE, --min-bytes N, --max-bytes N, --rounds R, --algorithm A, --chunk-bytes N, "
                  "--depth D, --channels C)");
  }
  return o;
}

// Calls per round: enough to take ~20 ms at a few GB/s, at least 5.
int iters_for(std::size_t bytes) {
  return static_cast<int>(std::clamp<std::size_t>((64u << 20) / std::max<std::size_t>(bytes, 1), 5, 1000));
}

double mean_over_ranks(double v, int size) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return v / size;
}

std::int64_t wrong_over_ranks(std::int64_t v) {
  long long x = v;
  MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  return x;
}

// Rank 0's value of s on every rank.
std::string rank0_string(std::string s) {
  int n = static_cast<int>(s.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
  s.resize(static_cast<std::size_t>(n));
  MPI_Bcast(s.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD);
  return s;
}

std::string cpu_model() {
  try {
    const std::string info = read_text_file("/proc/cpuinfo");
    const auto p = info.find("model name");
    if (p == std::string::npos) return "unknown CPU";
    const auto colon = info.find(':', p);
    return info.substr(colon + 2, info.find('\n', colon) - colon - 2);
  } catch (const Error&) {
    return "unknown CPU";
  }
}

// /proc/loadavg's 1-minute figure: other work on the machine moves both libraries' numbers.
std::string load_average() {
  try {
    const std::string s = read_text_file("/proc/loadavg");
    return s.substr(0, s.find(' '));
  } catch (const Error&) {
    return "unknown";
  }
}

struct Result {
  std::size_t bytes = 0;
  double mpi_s = 0, cairn_s = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  // Rendezvous for Cairn through MPI: rank 0 hosts the store, everyone learns where.
  std::unique_ptr<StoreServer> server;
  std::string secret = rank == 0 ? random_secret() : "";
  const std::string host = host_name();
  int port = 0;
  if (rank == 0) {
    server = std::make_unique<StoreServer>(0, secret);
    port = server->port();
  }
  MPI_Bcast(&port, 1, MPI_INT, 0, MPI_COMM_WORLD);
  secret = rank0_string(secret);
  const std::string master = rank0_string(host);
  auto store = connect_store(StoreOptions{master, port, secret, std::chrono::seconds(60)});
  auto comm = make_ucx_communicator(*store, rank, size);
  comm->set_timeout(std::chrono::seconds(300));
  comm->set_algo_config(o.algo);

  auto memory = bench::make_host_memory();
  const std::size_t max_count = o.max_bytes / sizeof(float);
  bench::Buffer send(*memory, o.max_bytes), recv(*memory, o.max_bytes);

  const std::string load_before = load_average();
  std::vector<Result> results;
  for (std::size_t bytes = o.min_bytes; bytes <= o.max_bytes; bytes *= 2) {
    const std::size_t count = std::min(bytes / sizeof(float), max_count);
    bench::DataSpec spec;
    spec.rank = rank;
    spec.nranks = size;
    spec.seed = bytes;
    for (std::size_t i = 0; i < count; ++i) bench::store_value(DataType::f32, send.data(), i, bench::input_value(spec, rank, i));
    auto check = [&](const char* who) {
      const std::int64_t wrong = wrong_over_ranks(bench::count_wrong(spec, 0.0, recv.data(), count, [&](std::size_t i) {
        return bench::reduce_over_ranks(spec, i);
      }));
      if (wrong) throw CheckFailed(fmt::format("{} all_reduce of {} B: {} wrong elements", who, bytes, wrong));
      std::memset(recv.data(), 0, count * sizeof(float));
    };
    auto mpi_call = [&] { MPI_Allreduce(send.data(), recv.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); };
    auto cairn_call = [&] { comm->all_reduce(send.data(), recv.data(), count, DataType::f32, ReduceOp::sum).wait(); };
    mpi_call();
    check("MPI");
    cairn_call();
    check("Cairn UCX");
    const int iters = iters_for(bytes);
    auto round = [&](auto& call) {
      for (int i = 0; i < 2; ++i) call();  // warm-up
      MPI_Barrier(MPI_COMM_WORLD);
      const auto t0 = Clock::now();
      for (int i = 0; i < iters; ++i) call();
      const double per_call = std::chrono::duration<double>(Clock::now() - t0).count() / iters;
      MPI_Barrier(MPI_COMM_WORLD);
      return mean_over_ranks(per_call, size);
    };
    std::vector<double> mpi, cairn;
    for (int r = 0; r < o.rounds; ++r) {
      mpi.push_back(round(mpi_call));
      cairn.push_back(round(cairn_call));
    }
    results.push_back({bytes, median(mpi), median(cairn)});
    if (rank == 0)
      std::fprintf(stderr, "%10zu B  MPI %10.2f us  Cairn %10.2f us\n", bytes, results.back().mpi_s * 1e6,
                   results.back().cairn_s * 1e6);
  }

  if (rank == 0) {
    char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int len = 0;
    MPI_Get_library_version(version, &len);
    std::string mpi_version(version, static_cast<std::size_t>(len));
    mpi_version = mpi_version.substr(0, mpi_version.find_first_of(",\n"));
    utsname u{};
    ::uname(&u);
    const std::time_t now = std::time(nullptr);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));

    std::string md = "# Cairn UCX all_reduce vs Open MPI MPI_Allreduce\n\n";
    md += fmt::format(
        "One run of `scripts/bench-ucx-vs-mpi.sh` ({} ranks on one host, `mpirun --bind-to "
        "none`): both libraries in the same processes on the same host buffers, float sum, out of place. Per size "
        "{} alternating rounds of blocking calls, median round; time is the mean per call averaged over ranks; busbw "
        "= size / time x 2(n-1)/n (nccl-tests' all_reduce factor). Both results are checked against the exact sum "
        "first. Ratio = Cairn busbw / MPI busbw (> 1: Cairn faster).\n\n",
        size, o.rounds);
    md += fmt::format("- Machine: {}, {} online CPUs, Linux {} ({})\n", cpu_model(), ::sysconf(_SC_NPROCESSORS_ONLN),
                      u.release, u.machine);
    md += fmt::format("- Load average (1 min) before / after the run: {} / {}\n", load_before, load_average());
    md += fmt::format("- MPI: {}\n- Date: {}\n\n", mpi_version, date);
    md += "| size (B) | MPI time (us) | MPI busbw (GB/s) | Cairn time (us) | Cairn busbw (GB/s) | ratio |\n";
    md += "|---:|---:|---:|---:|---:|---:|\n";
    double log_sum = 0, min_ratio = 1e30;
    int large = 0;
    for (const Result& r : results) {
      const std::size_t count = r.bytes / sizeof(float);
      const auto mpi = bench::bandwidth(bench::all_reduce_test, count, sizeof(float), size, r.mpi_s);
      const auto cairn = bench::bandwidth(bench::all_reduce_test, count, sizeof(float), size, r.cairn_s);
      const double ratio = cairn.busbw_gb_s / mpi.busbw_gb_s;
      md += fmt::format("| {} | {:.2f} | {:.3f} | {:.2f} | {:.3f} | {:.2f}x |\n", r.bytes, r.mpi_s * 1e6, mpi.busbw_gb_s,
                        r.cairn_s * 1e6, cairn.busbw_gb_s, ratio);
      if (r.bytes >= (1u << 20)) {
        log_sum += std::log(ratio);
        min_ratio = std::min(min_ratio, ratio);
        ++large;
      }
    }
    if (large)
      md += fmt::format("\nAt 1 MiB and above: geometric-mean ratio {:.2f}x, lowest {:.2f}x (target: >= 1.0x).\n",
                        std::exp(log_sum / large), min_ratio);
    std::fputs(md.c_str(), stdout);
    if (!o.output.empty()) write_file_atomically(o.output, md);
  }
  comm.reset();
  MPI_Barrier(MPI_COMM_WORLD);
  store.reset();
  server.reset();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int code = 0;
  try {
    code = run(argc, argv);
  } catch (const CheckFailed& e) {
    std::fprintf(stderr, "bench_ucx_vs_mpi: %s\n", e.what());
    code = 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_ucx_vs_mpi: %s\n", e.what());
    code = 2;
  }
  if (code != 0) MPI_Abort(MPI_COMM_WORLD, code);
  MPI_Finalize();
  return code;
}
