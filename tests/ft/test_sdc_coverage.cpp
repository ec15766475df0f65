// The coverage table of docs/ft.md ("Checksummed gradients"), measured: 4 forked UCX
// ranks hold real gradients (the `tiny` model after one backward on the fortunes corpus,
// each rank its own batch), and single-bit flips at every bit position 0-31, at many
// elements, at each of the three sites (before the reduction: the send buffer after its
// fingerprint; in transit: the chunk the owner received; after: the reduced buffer) go
// through the checked reduction. Per class of bit position it prints the fraction
// detected and the fraction repaired bitwise, beside what the aggregate checks alone
// (the sum check within its rounding bound, and NaN/Inf) and NaN/Inf alone would have
// caught of the same flips; then the checked reduction's time against the plain
// all-reduce's, same buffer, same run. It fails unless every flip is detected and
// repaired. SERIAL: it times.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "ft/sdc/bit_flips.h"
#include "ft/sdc/checked_reduction.h"
#include "ft/sdc/fingerprint.h"
#include "ft/sdc/sum_bound.h"
#include "tests/support/rank_harness.h"
#include "tests/train/fortunes_corpus.h"
#include "train/config.h"
#include "train/cpu/parallel.h"
#include "train/data/text_shard.h"
#include "train/data/token_shard.h"
#include "train/model.h"
#include "train/trainer.h"

namespace cairn::ft {
namespace {

using coll::testing::RankEnv;

constexpr int kRanks = 4;
constexpr int kElementsPerBit = 12;  // flips per bit position and site

// Which class a bit position of an f32 falls in.
int bit_class(int bit) { return bit == 31 ? 0 : bit >= 23 ? 1 : bit >= 15 ? 2 : 3; }
const char* const kClassName[] = {"sign (31)", "exponent (23-30)", "mantissa top 8 (15-22)", "mantissa low 15 (0-14)"};
const int kClassBits[] = {1, 8, 8, 15};

// This rank's gradients of `tiny` after one backward on its own batch of the shard.
std::vector<float> real_gradients(const train::TokenShard& shard, int rank) {
  train::TrainConfig cfg;
  cfg.model = train::resolve_model_config("tiny");
  cfg.batch = 2;
  cfg.seq_len = 64;
  cfg.seed = 1;
  auto model = train::make_model(train::Device::cpu, cfg.model, cfg.batch, cfg.seq_len);
  model->load_state(train::initial_state(cfg));
  const std::size_t tokens = static_cast<std::size_t>(cfg.batch * cfg.seq_len);
  std::vector<std::int32_t> in(tokens), target(tokens);
  const std::uint64_t first = static_cast<std::uint64_t>(rank) * 4099;
  for (std::size_t i = 0; i < tokens; ++i) {
    in[i] = static_cast<std::int32_t>(shard.token(first + i));
    target[i] = static_cast<std::int32_t>(shard.token(first + i + 1));
  }
  model->forward_backward(in.data(), target.data());
  std::vector<float> g(static_cast<std::size_t>(model->layout().total_elements()));
  model->get_gradients(g.data());
  return g;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Tally {
  int trials = 0, detected = 0, repaired = 0, aggregate = 0, nan_only = 0;
};

TEST(SdcCoverage, EveryBitPositionAtEverySiteIsDetectedAndRepaired) {
  const train::test::TempDir dir("sdc_coverage");
  auto files = train::test::fortune_files();
  ASSERT_FALSE(files.empty()) << "the fortunes package is missing: run scripts/deps.sh";
  files.resize(1);
  train::write_byte_shard(files, dir.file("fortunes.bin"), true);

  const auto outcomes = coll::testing::run_ranks(kRanks, [&](RankEnv& env) {
    train::cpu::set_cpu_threads(1);
    const train::TokenShard shard(dir.file("fortunes.bin"));
    const std::vector<float> mine = real_gradients(shard, env.rank());
    const std::size_t n = mine.size(), chunk = CheckedReduction::chunk_elements(n, kRanks);
    auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
    {
      CheckedReduction red(*comm, 2);
      // Every rank's inputs (for the aggregate checks' view of a flip): gathered once.
      std::vector<float> every(n * kRanks);
      comm->all_gather(mine.data(), every.data(), n, coll::DataType::f32).wait();
      std::vector<float> clean = mine;
      env.expect(red.reduce(clean.data(), n, 1.0).verified, "the clean reduction is verified");

      Tally tally[3][4];
      const FlipSite sites[] = {FlipSite::gradient, FlipSite::transit, FlipSite::reduced};
      for (int s = 0; s < 3; ++s)
        for (int bit = 0; bit < 32; ++bit)
          for (int k = 0; k < kElementsPerBit; ++k) {
            FaultSpec f;
            f.kind = FaultKind::bit_flip;
            f.rank = (bit + k) % kRanks;
            f.step = 1000 * s + 37 * bit + k;
            f.where = sites[s];
            f.bit = bit;
            const std::size_t e = picked_element(f.step, n);
            f.element = static_cast<std::int64_t>(e);
            std::vector<float> g = mine;
            const ReductionOutcome o = red.reduce(g.data(), n, 1.0, BitFlipPlan({f}, env.rank()).taps(f.step, n));
            Tally& t = tally[s][bit_class(bit)];
            ++t.trials;
            t.detected += o.retries > 0 || !o.verified;
            t.repaired += o.verified && std::memcmp(g.data(), clean.data(), n * sizeof(float)) == 0;
            // What the aggregate checks alone would see: the flipped value's change to its
            // chunk's sum against the rounding bound (sent and in-transit flips reach the
            // owner's sum; a flip in the reduced buffer no sum check sees), or a NaN/Inf.
            const float before = s == 2 ? clean[e] : every[static_cast<std::size_t>(f.rank) * n + e];
            float after = before;
            flip_bit(after, bit);
            const bool nonfinite = !std::isfinite(after);
            bool aggregate = nonfinite;
            if (s != 2 && !nonfinite) {
              const std::size_t c0 = e / chunk * chunk, c1 = std::min(n, c0 + chunk);
              double abs_in = 0, abs_out = 0;
              for (int r = 0; r < kRanks; ++r)
                for (std::size_t i = c0; i < c1; ++i) abs_in += std::fabs(every[static_cast<std::size_t>(r) * n + i]);
              for (std::size_t i = c0; i < c1; ++i) abs_out += std::fabs(clean[i]);
              const double delta = std::fabs(static_cast<double>(after) - static_cast<double>(before)) / kRanks;
              aggregate = delta > reduction_sum_bound(abs_in, abs_out, kRanks, chunk);
            }
            t.aggregate += aggregate;
            t.nan_only += nonfinite;
          }
      if (env.rank() == 0) {
        const char* const site_name[] = {"before (gradient)", "in transit", "after (reduced)"};
        for (int s = 0; s < 3; ++s)
          for (int c = 0; c < 4; ++c) {
            const Tally& t = tally[s][c];
            env.note(fmt::format("row | {} | {} | {}/{} ({:.1f} %) | {:.1f} % | {:.1f} % | {:.1f} % |", site_name[s],
                                 kClassName[c], t.detected, t.trials, 100.0 * t.detected / t.trials,
                                 100.0 * t.repaired / t.trials, 100.0 * t.aggregate / t.trials,
                                 100.0 * t.nan_only / t.trials));
            env.expect(t.detected == t.trials && t.repaired == t.trials,
                       fmt::format("{} {}: {} of {} detected, {} repaired", site_name[s], kClassName[c], t.detected,
                                   t.trials, t.repaired));
          }
        env.note(fmt::format("elements {} ranks {} flips {}", n, kRanks, 3 * 32 * kElementsPerBit));
      }

      // The overhead, interleaved so both meet the same load: the checked reduction
      // against the plain all-reduce (ReduceOp::avg) of the same buffer.
      for (std::size_t elements : {n, std::size_t{4} << 20}) {
        std::vector<float> base(elements);
        for (std::size_t i = 0; i < elements; ++i) base[i] = mine[i % n];
        std::vector<double> plain_s, checked_s;
        for (int rep = 0; rep < 7; ++rep) {
          std::vector<float> a = base, b = base;
          comm->barrier().wait();
          auto t0 = std::chrono::steady_clock::now();
          comm->all_reduce(a.data(), a.data(), elements, coll::DataType::f32, coll::ReduceOp::avg).wait();
          plain_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          comm->barrier().wait();
          t0 = std::chrono::steady_clock::now();
          red.reduce(b.data(), elements, 1.0);
          checked_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        if (env.rank() == 0)
          env.note(fmt::format("overhead | {} elements ({:.1f} MB) | plain all-reduce {:.2f} ms | checked {:.2f} ms | "
                               "x{:.2f} |",
                               elements, 4.0 * static_cast<double>(elements) / 1e6, 1e3 * median(plain_s),
                               1e3 * median(checked_s), median(checked_s) / median(plain_s)));
      }
      // And the fingerprint alone, one rank's pass over n floats (what the hashing costs).
      if (env.rank() == 0) {
        std::vector<float> big(std::size_t{4} << 20, 1.0f);
        std::vector<double> s;
        for (int rep = 0; rep < 7; ++rep) {
          const auto t0 = std::chrono::steady_clock::now();
          const Fingerprint fp = fingerprint(big.data(), big.size());
          s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          env.expect(fp.nonfinite == 0, "finite");
        }
        env.note(fmt::format("fingerprint | {:.2f} GB/s (full) |", 4.0 * static_cast<double>(big.size()) / median(s) / 1e9));
        s.clear();
        for (int rep = 0; rep < 7; ++rep) {
          const auto t0 = std::chrono::steady_clock::now();
          env.expect(bits_fingerprint(big.data(), big.size()).xxh3 != 0, "hashed");
          s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        env.note(fmt::format("fingerprint | {:.2f} GB/s (bits only) |", 4.0 * static_cast<double>(big.size()) / median(s) / 1e9));
      }
    }
    comm.reset();
  });
  coll::testing::expect_all_ok(outcomes);
  std::cout << "| site | bit class | detected (checked reduction) | repaired bitwise | sum check + NaN/Inf alone | NaN/Inf alone |\n"
               "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& line : coll::testing::notes_with(outcomes[0], "row "))
    std::cout << line << "\n";
  for (const auto& line : coll::testing::notes_with(outcomes[0], "")) 
    if (line.rfind("row ", 0) != 0) std::cout << line << "\n";
}

}  // namespace
}  // namespace cairn::ft
