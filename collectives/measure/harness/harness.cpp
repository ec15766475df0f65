#include "collectives/measure/harness/harness.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "common/error.h"

namespace cairn::coll::bench {
namespace {

// Next size of the warm-up pass, which nccl-tests runs over min..max by doubling.
std::size_t next_doubling(std::size_t size) { return size == 0 ? 1 : size * 2; }

// The state of one collective's sweep on this rank.
class Sweep {
 public:
  Sweep(Communicator& comm, Memory& memory, const CollTest& test, const SweepOptions& options)
      : comm_(comm), memory_(memory), test_(test), options_(options) {
    // Every buffer of a call fits in max_bytes: send and receive counts never exceed
    // the sweep count (nccl-tests allocates the same way).
    const std::size_t bytes = std::max<std::size_t>(options.max_bytes, 16);
    send_ = Buffer(memory, bytes);
    recv_ = Buffer(memory, bytes);
    scalar_ = Buffer(memory, sizeof(double));
    staging_.reset(new char[bytes]);
    readback_.reset(new char[bytes]);
    capacity_ = bytes;
    // Zeros, not whatever the allocator left: garbage may hold denormals or NaNs, which
    // slow a host reduction down and would distort the timed runs of -c 0.
    std::memset(staging_.get(), 0, bytes);
    memory.upload(send_.data(), staging_.get(), bytes);
    memory.upload(recv_.data(), staging_.get(), bytes);
  }

  CollectiveReport run(RowSink* sink) {
    CollectiveReport report;
    report.test = &test_;
    if (sink) sink->begin(test_);
    const std::vector<std::size_t> sizes = sweep_sizes(options_);
    const std::vector<ReduceOp> no_op{ReduceOp::sum};
    double busbw_sum = 0;
    int measurements = 0;
    for (DataType dt : options_.dtypes) {
      for (ReduceOp op : test_.reduces ? options_.ops : no_op) {
        warm_up(dt, op);
        for (std::size_t size : sizes) {
          const DataSpec spec = spec_for(size, dt, op);
          Row row;
          row.size_bytes = std::max(spec.counts.send, spec.counts.recv) * dtype_size(dt);
          row.count = spec.counts.param;
          row.dtype = dt;
          if (test_.reduces) row.op = op;
          row.root = test_.rooted ? options_.root : -1;
          row.out_of_place = measure(spec, false);
          row.in_place = measure(spec, true);
          for (const Measurement* m : {&row.out_of_place, &row.in_place}) {
            busbw_sum += m->busbw_gb_s;
            ++measurements;
            if (m->wrong.value_or(0) > 0) ++report.out_of_bounds;
          }
          if (sink) sink->row(row);
          report.rows.push_back(row);
        }
      }
    }
    report.avg_busbw_gb_s = measurements ? busbw_sum / measurements : 0;
    if (sink) sink->end(report);
    return report;
  }

 private:
  DataSpec spec_for(std::size_t size_bytes, DataType dt, ReduceOp op) const {
    DataSpec spec;
    spec.rank = comm_.rank();
    spec.nranks = comm_.size();
    spec.root = options_.root;
    spec.dtype = dt;
    spec.op = test_.reduces ? op : ReduceOp::sum;
    spec.counts = test_.counts(size_bytes / dtype_size(dt), dtype_size(dt), comm_.size());
    return spec;
  }

  char* send_ptr(const DataSpec& spec, bool in_place) const {
    if (!in_place) return send_.data();
    return recv_.data() + static_cast<std::size_t>(spec.rank) * spec.counts.send_inplace_offset * dtype_size(spec.dtype);
  }
  char* recv_ptr(const DataSpec& spec, bool in_place) const {
    if (!in_place) return recv_.data();
    return recv_.data() + static_cast<std::size_t>(spec.rank) * spec.counts.recv_inplace_offset * dtype_size(spec.dtype);
  }

  // Elements of the receive buffer a call may touch: the in-place input lies inside it.
  static std::size_t recv_extent(const DataSpec& spec, bool in_place) {
    if (!in_place) return spec.counts.recv;
    const auto r = static_cast<std::size_t>(spec.rank);
    return std::max(r * spec.counts.send_inplace_offset + spec.counts.send,
                    r * spec.counts.recv_inplace_offset + spec.counts.recv);
  }

  // What element i of the compared receive region holds before the call: the in-place
  // input where it overlaps, else the zeros the buffer was filled with.
  static double before(const DataSpec& spec, bool in_place, std::size_t i) {
    if (!in_place) return 0;
    const auto r = static_cast<std::size_t>(spec.rank);
    const std::size_t pos = r * spec.counts.recv_inplace_offset + i;
    const std::size_t input_start = r * spec.counts.send_inplace_offset;
    if (pos >= input_start && pos < input_start + spec.counts.send) return input_value(spec, spec.rank, pos - input_start);
    return 0;
  }

  // Zeroes the receive buffer and writes this rank's input (nccl-tests' initData).
  void init_data(const DataSpec& spec, bool in_place) {
    const std::size_t elt = dtype_size(spec.dtype);
    const std::size_t extent = recv_extent(spec, in_place) * elt;
    if (extent > capacity_ || spec.counts.send * elt > capacity_)
      throw Error(fmt::format("benchmark buffers of {} bytes are too small for {} ({} elements)", capacity_,
                              test_.name, spec.counts.send));
    std::memset(staging_.get(), 0, extent);
    char* input = in_place ? staging_.get() + static_cast<std::size_t>(spec.rank) * spec.counts.send_inplace_offset * elt
                           : nullptr;
    if (!in_place) {
      memory_.upload(recv_.data(), staging_.get(), extent);
      input = staging_.get();
    }
    for (std::size_t i = 0; i < spec.counts.send; ++i) store_value(spec.dtype, input, i, input_value(spec, spec.rank, i));
    if (in_place)
      memory_.upload(recv_.data(), staging_.get(), extent);
    else
      memory_.upload(send_.data(), staging_.get(), spec.counts.send * elt);
  }

  Request launch(const DataSpec& spec, bool in_place) {
    return test_.run(comm_, send_ptr(spec, in_place), recv_ptr(spec, in_place), spec, memory_.stream());
  }

  void warm_up(DataType dt, ReduceOp op) {
    if (options_.warmup_iters <= 0) return;
    for (std::size_t size = options_.min_bytes; size <= options_.max_bytes; size = next_doubling(size)) {
      const DataSpec spec = spec_for(size, dt, op);
      std::vector<Request> pending;
      for (int i = 0; i < options_.warmup_iters; ++i) pending.push_back(launch(spec, false));
      for (Request& r : pending) r.wait();
    }
  }

  // A scalar reduced across ranks through the communicator itself (nccl-tests uses MPI).
  double all_reduce_scalar(double value, ReduceOp op) {
    memory_.upload(scalar_.data(), &value, sizeof value);
    comm_.all_reduce(scalar_.data(), scalar_.data(), 1, DataType::f64, op, memory_.stream()).wait();
    memory_.download(&value, scalar_.data(), sizeof value);
    return value;
  }

  double combine_time(double seconds) {
    switch (options_.average) {
      case 0: return seconds;  // rank 0's own, as nccl-tests -a 0
      case 1: return all_reduce_scalar(seconds, ReduceOp::sum) / comm_.size();
      case 2: return all_reduce_scalar(seconds, ReduceOp::min);
      default: return all_reduce_scalar(seconds, ReduceOp::max);
    }
  }

  // One column of a row (nccl-tests' BenchTime).
  Measurement measure(DataSpec spec, bool in_place) {
    if (options_.check_iters > 0) {
      spec.seed = 99;
      init_data(spec, in_place);
    }
    launch(spec, in_place).wait();
    comm_.barrier(memory_.stream()).wait();

    std::unique_ptr<Timer> timer = memory_.make_timer();
    std::vector<Request> pending;
    pending.reserve(static_cast<std::size_t>(options_.iters));
    timer->start();
    for (int i = 0; i < options_.iters; ++i) {
      Request r = launch(spec, in_place);
      if (options_.blocking) {
        r.wait();
        comm_.barrier(memory_.stream()).wait();
      } else {
        pending.push_back(std::move(r));
      }
    }
    timer->stop_after(pending);
    const double seconds = combine_time(timer->seconds() / std::max(options_.iters, 1));

    Measurement m;
    m.time_us = seconds * 1e6;
    const Bandwidth bw = bandwidth(test_, spec.counts.param, dtype_size(spec.dtype), comm_.size(), seconds);
    m.algbw_gb_s = bw.algbw_gb_s;
    m.busbw_gb_s = bw.busbw_gb_s;
    comm_.barrier(memory_.stream()).wait();

    if (options_.check_iters > 0 && (!in_place || test_.in_place_checked)) m.wrong = check(spec, in_place);
    return m;
  }

  std::int64_t check(DataSpec spec, bool in_place) {
    const double tolerance = test_.reduces ? check_tolerance(spec.dtype, spec.op, spec.nranks) : 0.0;
    std::int64_t wrong = 0;
    for (int c = 0; c < options_.check_iters; ++c) {
      spec.seed = ++rep_;
      init_data(spec, in_place);
      launch(spec, in_place).wait();
      memory_.download(readback_.get(), recv_ptr(spec, in_place), spec.counts.recv * dtype_size(spec.dtype));
      const std::int64_t local = count_wrong(spec, tolerance, readback_.get(), spec.counts.recv, [&](std::size_t i) {
        return test_.expected(spec, i, before(spec, in_place, i));
      });
      wrong = static_cast<std::int64_t>(all_reduce_scalar(static_cast<double>(local), ReduceOp::sum));
      if (wrong) break;
    }
    return wrong;
  }

  Communicator& comm_;
  Memory& memory_;
  const CollTest& test_;
  const SweepOptions& options_;
  Buffer send_, recv_, scalar_;
  std::unique_ptr<char[]> staging_, readback_;
  std::size_t capacity_ = 0;
  std::uint64_t rep_ = 0;
};

}  // namespace

std::vector<std::size_t> sweep_sizes(const SweepOptions& o) {
  if (o.min_bytes > o.max_bytes)
    throw Error(fmt::format("-b {} is larger than -e {}: the sweep runs from minbytes up to maxbytes", o.min_bytes,
                            o.max_bytes));
  if (o.step_factor == 0) throw Error("-f 0: the step factor must be at least 1 (1 steps by -i bytes)");
  const bool by_factor = o.step_factor > 1;
  if (o.min_bytes != o.max_bytes && ((by_factor && o.min_bytes == 0) || (!by_factor && o.step_bytes == 0)))
    throw Error(by_factor ? "-b 0 with -f never grows; start at -b 1 or more, or step with -f 1 -i BYTES"
                          : "-i 0 with -f 1 never advances; give -i a step in bytes or -f a factor");
  std::vector<std::size_t> sizes;
  for (std::size_t s = o.min_bytes; s <= o.max_bytes;) {
    sizes.push_back(s);
    const std::size_t next = by_factor ? s * o.step_factor : s + o.step_bytes;
    if (next <= s) break;  // min == max, or overflow
    s = next;
  }
  return sizes;
}

CollectiveReport run_collective(Communicator& comm, Memory& memory, const CollTest& test,
                                const SweepOptions& options, RowSink* sink) {
  if (comm.memory() != memory.kind())
    throw Error(fmt::format("the {} backend needs {} buffers", comm.backend(),
                            comm.memory() == MemoryKind::device ? "device" : "host"));
  if (test.rooted && (options.root < 0 || options.root >= comm.size()))
    throw Error(fmt::format("-r {}: the root must be a rank from 0 to {}", options.root, comm.size() - 1));
  Sweep sweep(comm, memory, test, options);
  return sweep.run(sink);
}

std::vector<std::string> gather_lines(Communicator& comm, Memory& memory, const std::string& line) {
  constexpr std::size_t kLineBytes = 256;
  char local[kLineBytes] = {};
  std::memcpy(local, line.data(), std::min(line.size(), kLineBytes - 1));
  const auto n = static_cast<std::size_t>(comm.size());
  Buffer send(memory, kLineBytes), recv(memory, kLineBytes * n);
  memory.upload(send.data(), local, kLineBytes);
  comm.all_gather(send.data(), recv.data(), kLineBytes, DataType::u8, memory.stream()).wait();
  std::vector<char> all(kLineBytes * n);
  memory.download(all.data(), recv.data(), all.size());
  std::vector<std::string> lines;
  for (std::size_t r = 0; r < n; ++r) lines.emplace_back(all.data() + r * kLineBytes);
  return lines;
}

}  // namespace cairn::coll::bench
