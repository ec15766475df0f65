// The UCX backend as real rank processes (2, 3, 4 and 8 of them): every collective x
// dtype x op x algorithm against the float64 reference, odd sizes, zero counts,
// in-place and out-of-place, small chunks with deep pipelines and several channels,
// point-to-point ordering, barrier, and split.
#include <chrono>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "tests/support/rank_harness.h"
#include "tests/support/reference.h"

namespace cairn::coll {
namespace {

using testing::RankEnv;

constexpr DataType kTypes[] = {DataType::f32, DataType::f16, DataType::bf16, DataType::f64,
                               DataType::i32, DataType::i64, DataType::u8};
constexpr ReduceOp kOps[] = {ReduceOp::sum, ReduceOp::prod, ReduceOp::max, ReduceOp::min, ReduceOp::avg};

using Bytes = std::vector<std::byte>;

// Knob settings the matrix runs under: the defaults, and tiny chunks that cut even small
// buffers into many pieces, with a deep pipeline over three channels (two of them
// running their rings backwards).
struct Setting {
  const char* name;
  AlgoConfig config;
  std::vector<std::size_t> counts;
};
std::vector<Setting> settings() {
  AlgoConfig tiny;
  tiny.chunk_bytes = 24;
  tiny.pipeline_depth = 3;
  tiny.channels = 3;
  return {{"default knobs", AlgoConfig{}, {0, 1, 5, 1023}}, {"chunk 24 B, depth 3, 3 channels", tiny, {7, 300}}};
}

// Runs the collectives of one rank and compares every element with the reference.
class Matrix {
 public:
  Matrix(RankEnv& env, Communicator& comm) : env_(env), comm_(comm), n_(comm.size()), r_(comm.rank()) {}

  Bytes inputs(DataType dt, ReduceOp op, std::uint32_t seed, int rank, std::size_t count) const {
    Bytes b(count * dtype_size(dt));
    for (std::size_t i = 0; i < count; ++i) testing::put(b.data(), dt, i, testing::input_value(dt, op, seed, rank, i));
    return b;
  }
  static Bytes garbage(std::size_t bytes) { return Bytes(bytes, std::byte{0xA5}); }

  // Element i of `got` must equal op over ranks of input(seed, q, index(i)) within the
  // type's rounding bound.
  template <typename Index>
  void check_reduced(const std::string& what, const std::byte* got, std::size_t count, DataType dt, ReduceOp op,
                     std::uint32_t seed, Index index) {
    int bad = 0;
    std::vector<double> values(static_cast<std::size_t>(n_));
    for (std::size_t i = 0; i < count && bad < 3; ++i) {
      for (int q = 0; q < n_; ++q) values[std::size_t(q)] = testing::input_value(dt, op, seed, q, index(i));
      const testing::Expected e = testing::expected(values, dt, op);
      const double g = testing::get(got, dt, i);
      if (!(std::fabs(g - e.value) <= e.tolerance)) {
        std::ostringstream os;
        os << what << ": element " << i << " is " << g << ", want " << e.value << " +- " << e.tolerance;
        env_.fail(os.str());
        ++bad;
      }
    }
  }
  void check_bytes(const std::string& what, const std::byte* got, const std::byte* want, std::size_t bytes) {
    if (bytes && std::memcmp(got, want, bytes) != 0) {
      std::size_t i = 0;
      while (got[i] == want[i]) ++i;
      env_.fail(what + ": bytes differ from offset " + std::to_string(i));
    }
  }

  void all_reduce(const std::string& tag, DataType dt, ReduceOp op, std::size_t count, bool in_place) {
    const std::uint32_t seed = next_seed();
    const std::string what = "all_reduce " + tag;
    Bytes send = inputs(dt, op, seed, r_, count), keep = send;
    Bytes recv = in_place ? send : garbage(send.size());
    comm_.all_reduce(in_place ? recv.data() : send.data(), recv.data(), count, dt, op).wait();
    check_reduced(what, recv.data(), count, dt, op, seed, [](std::size_t i) { return i; });
    if (!in_place) check_bytes(what + " (send buffer changed)", send.data(), keep.data(), send.size());
  }

  void reduce(const std::string& tag, DataType dt, ReduceOp op, std::size_t count, bool in_place) {
    const std::uint32_t seed = next_seed();
    const int root = int(seed % std::uint32_t(n_));
    const std::string what = "reduce root " + std::to_string(root) + " " + tag;
    Bytes send = inputs(dt, op, seed, r_, count), keep = send;
    const bool alias = in_place && r_ == root;
    Bytes recv = alias ? send : garbage(send.size());
    comm_.reduce(alias ? recv.data() : send.data(), r_ == root ? recv.data() : nullptr, count, dt, op, root).wait();
    if (r_ == root) check_reduced(what, recv.data(), count, dt, op, seed, [](std::size_t i) { return i; });
    if (!alias) check_bytes(what + " (send buffer changed)", send.data(), keep.data(), send.size());
  }

  void broadcast(const std::string& tag, DataType dt, std::size_t count, bool in_place) {
    const std::uint32_t seed = next_seed();
    const int root = int(seed % std::uint32_t(n_));
    const std::string what = "broadcast root " + std::to_string(root) + " " + tag;
    const Bytes want = inputs(dt, ReduceOp::sum, seed, root, count);
    Bytes send = r_ == root ? want : Bytes{};
    Bytes recv = in_place && r_ == root ? send : garbage(want.size());
    comm_.broadcast(r_ == root ? (in_place ? recv.data() : send.data()) : nullptr, recv.data(), count, dt, root).wait();
    check_bytes(what, recv.data(), want.data(), want.size());
  }

  void reduce_scatter(const std::string& tag, DataType dt, ReduceOp op, std::size_t count, bool in_place) {
    const std::uint32_t seed = next_seed();
    const std::string what = "reduce_scatter " + tag;
    const std::size_t es = dtype_size(dt);
    Bytes send = inputs(dt, op, seed, r_, count * std::size_t(n_));
    Bytes out = garbage(count * es);
    std::byte* recv = in_place ? send.data() + std::size_t(r_) * count * es : out.data();
    comm_.reduce_scatter(send.data(), recv, count, dt, op).wait();
    const std::size_t base = std::size_t(r_) * count;
    check_reduced(what, recv, count, dt, op, seed, [base](std::size_t i) { return base + i; });
  }

  void all_gather(const std::string& tag, DataType dt, std::size_t count, bool in_place) {
    const std::uint32_t seed = next_seed();
    const std::string what = "all_gather " + tag;
    const std::size_t bytes = count * dtype_size(dt);
    Bytes want;
    for (int q = 0; q < n_; ++q) {
      const Bytes b = inputs(dt, ReduceOp::sum, seed, q, count);
      want.insert(want.end(), b.begin(), b.end());
    }
    Bytes recv = garbage(want.size());
    Bytes send = inputs(dt, ReduceOp::sum, seed, r_, count);
    const std::byte* src = send.data();
    if (in_place) {
      if (bytes) std::memcpy(recv.data() + std::size_t(r_) * bytes, send.data(), bytes);
      src = recv.data() + std::size_t(r_) * bytes;
    }
    comm_.all_gather(src, recv.data(), count, dt).wait();
    check_bytes(what, recv.data(), want.data(), want.size());
  }

  void alltoall(const std::string& tag, DataType dt, std::size_t count, bool in_place) {
    const std::uint32_t seed = next_seed();
    const std::string what = "alltoall " + tag;
    const std::size_t bytes = count * dtype_size(dt);
    Bytes send = inputs(dt, ReduceOp::sum, seed, r_, count * std::size_t(n_));
    Bytes want;
    for (int q = 0; q < n_; ++q) {
      const Bytes theirs = inputs(dt, ReduceOp::sum, seed, q, count * std::size_t(n_));
      want.insert(want.end(), theirs.begin() + std::ptrdiff_t(std::size_t(r_) * bytes),
                  theirs.begin() + std::ptrdiff_t(std::size_t(r_ + 1) * bytes));
    }
    Bytes recv = in_place ? send : garbage(want.size());
    comm_.alltoall(in_place ? recv.data() : send.data(), recv.data(), count, dt).wait();
    check_bytes(what, recv.data(), want.data(), want.size());
  }

  // Each rank sends two messages to the next rank and receives two from the previous
  // one; they must arrive in issue order. Half the ranks post receives first.
  void point_to_point(DataType dt, std::size_t count) {
    const std::uint32_t seed = next_seed();
    const int next = (r_ + 1) % n_, prev = (r_ - 1 + n_) % n_;
    const Bytes a = inputs(dt, ReduceOp::sum, seed, r_, count), b = inputs(dt, ReduceOp::sum, seed + 1000, r_, count);
    Bytes got_a = garbage(a.size()), got_b = garbage(b.size());
    std::vector<Request> reqs;
    if (r_ % 2 == 0) {
      reqs.push_back(comm_.send(a.data(), count, dt, next));
      reqs.push_back(comm_.send(b.data(), count, dt, next));
      reqs.push_back(comm_.recv(got_a.data(), count, dt, prev));
      reqs.push_back(comm_.recv(got_b.data(), count, dt, prev));
    } else {
      reqs.push_back(comm_.recv(got_a.data(), count, dt, prev));
      reqs.push_back(comm_.recv(got_b.data(), count, dt, prev));
      reqs.push_back(comm_.send(a.data(), count, dt, next));
      reqs.push_back(comm_.send(b.data(), count, dt, next));
    }
    for (auto& q : reqs) q.wait();
    const std::string what = "send/recv " + std::string(to_string(dt)) + " count " + std::to_string(count);
    check_bytes(what + " first message", got_a.data(), inputs(dt, ReduceOp::sum, seed, prev, count).data(), a.size());
    check_bytes(what + " second message", got_b.data(), inputs(dt, ReduceOp::sum, seed + 1000, prev, count).data(), b.size());
    // send_recv: everyone sends first, nobody deadlocks.
    Bytes got_c = garbage(a.size());
    comm_.send_recv(a.data(), count, next, got_c.data(), count, prev, dt).wait();
    check_bytes("send_recv " + what, got_c.data(), inputs(dt, ReduceOp::sum, seed, prev, count).data(), a.size());
  }

  // No rank leaves barrier k before every rank has entered it.
  void barrier(int round) {
    const std::string key = "barrier-check/" + std::to_string(round);
    env_.store().add(key, 1);
    comm_.barrier().wait();
    const auto entered = env_.store().add(key, 0);
    env_.expect(entered == n_, "barrier " + std::to_string(round) + ": left it when only " + std::to_string(entered) +
                                   " of " + std::to_string(n_) + " ranks had entered");
  }

 private:
  std::uint32_t next_seed() { return ++seed_; }
  RankEnv& env_;
  Communicator& comm_;
  int n_, r_;
  std::uint32_t seed_ = 0;
};

std::string tag_of(DataType dt, ReduceOp op, const char* algo, std::size_t count, bool in_place, const Setting& s) {
  return std::string(to_string(dt)) + " " + std::string(to_string(op)) + " " + algo + " count " + std::to_string(count) +
         (in_place ? " in-place" : "") + ", " + s.name;
}

void run_matrix(RankEnv& env) {
  auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
  comm->set_timeout(std::chrono::milliseconds(60000));
  Matrix m(env, *comm);
  const auto start = std::chrono::steady_clock::now();
  for (const Setting& s : settings()) {
    for (std::size_t count : s.counts) {
      for (bool in_place : {false, true}) {
        for (DataType dt : kTypes) {
          for (ReduceOp op : kOps) {
            for (Algorithm algo : {Algorithm::ring, Algorithm::tree, Algorithm::rhd}) {
              AlgoConfig c = s.config;
              c.algorithm = algo;
              comm->set_algo_config(c);
              const char* name = to_string(algo).data();
              m.all_reduce(tag_of(dt, op, name, count, in_place, s), dt, op, count, in_place);
              if (algo != Algorithm::rhd) m.reduce(tag_of(dt, op, name, count, in_place, s), dt, op, count, in_place);
            }
            comm->set_algo_config(s.config);
            m.reduce_scatter(tag_of(dt, op, "ring", count, in_place, s), dt, op, count, in_place);
          }
          for (Algorithm algo : {Algorithm::ring, Algorithm::tree}) {
            AlgoConfig c = s.config;
            c.algorithm = algo;
            comm->set_algo_config(c);
            m.broadcast(tag_of(dt, ReduceOp::sum, to_string(algo).data(), count, in_place, s), dt, count, in_place);
          }
          comm->set_algo_config(s.config);
          m.all_gather(tag_of(dt, ReduceOp::sum, "ring", count, in_place, s), dt, count, in_place);
          m.alltoall(tag_of(dt, ReduceOp::sum, "pairwise", count, in_place, s), dt, count, in_place);
        }
      }
      m.point_to_point(DataType::f32, count);
    }
  }
  comm->set_algo_config(AlgoConfig{});
  // Buffers large enough to cross the automatic rhd/ring threshold and span many
  // default-sized chunks.
  for (std::size_t count : {std::size_t(40000), std::size_t(300001)}) {
    m.all_reduce("f32 sum automatic count " + std::to_string(count), DataType::f32, ReduceOp::sum, count, false);
    m.all_reduce("bf16 sum automatic count " + std::to_string(count), DataType::bf16, ReduceOp::sum, count, true);
  }
  m.point_to_point(DataType::u8, 1 << 20);  // large enough for UCX's rendezvous protocol
  for (int round = 0; round < 3; ++round) m.barrier(round);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  env.note("matrix_seconds " + std::to_string(seconds));
}

void run_matrix_on(int ranks) {
  testing::HarnessOptions options;
  options.limit = std::chrono::seconds(240);
  const auto out = testing::run_ranks(ranks, run_matrix, options);
  testing::expect_all_ok(out);
  for (const auto& s : testing::notes_with(out[0], "matrix_seconds ")) std::cout << "[ rank 0  ] matrix took " << s << " s\n";
}

TEST(UcxCollectives, MatrixOnTwoRanks) { run_matrix_on(2); }
TEST(UcxCollectives, MatrixOnThreeRanks) { run_matrix_on(3); }
TEST(UcxCollectives, MatrixOnFourRanks) { run_matrix_on(4); }
TEST(UcxCollectives, MatrixOnEightRanks) { run_matrix_on(8); }

TEST(UcxCollectives, SplitGroupsByColorOrdersByKeyAndLeavesOutNegativeColors) {
  const auto out = testing::run_ranks(5, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->set_timeout(std::chrono::milliseconds(30000));
    const int r = env.rank();
    // Rank 4 opts out; evens and odds form groups ordered by descending old rank.
    const int color = r == 4 ? -1 : r % 2;
    auto sub = comm->split(color, -r);
    if (r == 4) {
      env.expect(sub == nullptr, "a negative color must give no communicator");
    } else if (env.expect(sub != nullptr, "split returned no communicator")) {
      const int want_rank = r % 2 == 0 ? (r == 0 ? 1 : 0) : (r == 1 ? 1 : 0);
      env.expect(sub->size() == 2, "group size " + std::to_string(sub->size()) + ", want 2");
      env.expect(sub->rank() == want_rank, "rank in group " + std::to_string(sub->rank()) + ", want " + std::to_string(want_rank));
      std::int32_t mine = r, sum = -1;
      sub->all_reduce(&mine, &sum, 1, DataType::i32, ReduceOp::sum).wait();
      env.expect(sum == (r % 2 == 0 ? 0 + 2 : 1 + 3), "sum over the group " + std::to_string(sum));
      // A split of the split: each group of two into singletons.
      auto single = sub->split(sub->rank(), 0);
      env.expect(single && single->size() == 1 && single->rank() == 0, "split into singletons");
      std::int32_t alone = 0;
      if (single) single->all_reduce(&mine, &alone, 1, DataType::i32, ReduceOp::sum).wait();
      env.expect(alone == r, "all_reduce on one rank copies");
    }
    // The parent still works after the split.
    std::int32_t one = 1, total = 0;
    comm->all_reduce(&one, &total, 1, DataType::i32, ReduceOp::sum).wait();
    env.expect(total == 5, "parent all_reduce after split: " + std::to_string(total));
  });
  testing::expect_all_ok(out);
}

TEST(UcxCollectives, CommunicatorsMadeAgainUnderOnePrefixDoNotMeetStaleAddresses) {
  const auto out = testing::run_ranks(3, [](RankEnv& env) {
    auto sum_of_ranks = [&](Communicator& c) {
      std::int32_t mine = env.rank(), sum = -1;
      c.all_reduce(&mine, &sum, 1, DataType::i32, ReduceOp::sum).wait();
      return sum;
    };
    {
      auto first = make_ucx_communicator(env.store(), env.rank(), env.size());
      env.expect(sum_of_ranks(*first) == 3, "first communicator");
    }
    // The first one's addresses are still in the store; these must not use them.
    auto second = make_ucx_communicator(env.store(), env.rank(), env.size());
    auto third = make_ucx_communicator(env.store(), env.rank(), env.size());
    env.expect(sum_of_ranks(*third) == 3, "third communicator");
    env.expect(sum_of_ranks(*second) == 3, "second communicator");
  });
  testing::expect_all_ok(out);
}

// Nobody waits: each rank posts three all_reduces and only polls test(), as a training
// step that computes while its gradients reduce. The progress thread must run them, in
// order, with the right results.
TEST(UcxCollectives, PostedOperationsCompleteWhileTheCallerOnlyPolls) {
  const auto out = testing::run_ranks(3, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->set_timeout(std::chrono::milliseconds(30000));
    constexpr std::size_t kCount = 300000;  // 1.2 MB: many chunks, both pipeline slots
    std::vector<float> in(kCount, float(env.rank() + 1)), sum(kCount), max(kCount), small(3);
    const float three[3] = {1, 2, 3};
    std::vector<Request> posted;
    posted.push_back(comm->all_reduce(in.data(), sum.data(), kCount, DataType::f32, ReduceOp::sum));
    posted.push_back(comm->all_reduce(in.data(), max.data(), kCount, DataType::f32, ReduceOp::max));
    posted.push_back(comm->all_reduce(three, small.data(), 3, DataType::f32, ReduceOp::sum));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool all_done = false;
    while (!all_done && std::chrono::steady_clock::now() < until) {
      all_done = true;
      for (Request& r : posted) all_done = r.test() && all_done;
      if (!all_done) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (!env.expect(all_done, "posted all_reduces did not complete within 20 s without wait()")) return;
    env.expect(sum.front() == 6.f && sum.back() == 6.f, "sum " + std::to_string(sum.back()));
    env.expect(max.front() == 3.f && max.back() == 3.f, "max " + std::to_string(max.back()));
    env.expect(small[2] == 9.f, "small sum " + std::to_string(small[2]));
  });
  testing::expect_all_ok(out);
}

// Oversubscribed: 8 ranks on this 2-core box. The progress threads must sleep rather
// than spin, or each small all_reduce takes scheduler time slices instead of microseconds.
TEST(UcxCollectives, SmallAllReduceIsQuickWithEightRanksOnFewCores) {
  const auto out = testing::run_ranks(8, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->set_timeout(std::chrono::milliseconds(30000));
    float in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, res[8];
    for (int i = 0; i < 20; ++i) comm->all_reduce(in, res, 8, DataType::f32, ReduceOp::sum).wait();
    constexpr int kIters = 300;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kIters; ++i) comm->all_reduce(in, res, 8, DataType::f32, ReduceOp::sum).wait();
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / kIters;
    env.expect(res[7] == 64.f, "wrong sum " + std::to_string(res[7]));
    env.note("us_per_all_reduce " + std::to_string(us));
    // Generous: measured around a few hundred microseconds here; a spinning progress
    // thread on an oversubscribed box takes tens of milliseconds.
    env.expect(us < 20000, "a small all_reduce on 8 ranks took " + std::to_string(us) + " us");
  });
  testing::expect_all_ok(out);
  for (const auto& s : testing::notes_with(out[0], "us_per_all_reduce ")) std::cout << "[ rank 0  ] 8-rank 32-byte all_reduce: " << s << " us\n";
}

}  // namespace
}  // namespace cairn::coll
