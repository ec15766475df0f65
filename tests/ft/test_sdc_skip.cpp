// A step whose update a layer refuses (reduce_gradients returns false: checked gradients
// that could not be repaired, --sdc-policy skip) is a real skip, on 2 forked UCX ranks:
// the step counts, the weights and both AdamW moments stay as they were, and the data
// loader stays in step, so the run goes on exactly as one resumed from the state before
// the skipped step at the step after it, bitwise.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "ft/sdc/checked_reduction.h"
#include "tests/support/rank_harness.h"
#include "tests/train/fortunes_corpus.h"
#include "train/config.h"
#include "train/cpu/parallel.h"
#include "train/data/text_shard.h"
#include "train/data/token_shard.h"
#include "train/trainer.h"

namespace cairn::ft {
namespace {

using coll::testing::RankEnv;

bool same(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(SdcSkip, ARefusedStepCountsChangesNothingAndTheLoaderStaysInStep) {
  const train::test::TempDir dir("sdc_skip");
  auto files = train::test::fortune_files();
  ASSERT_FALSE(files.empty()) << "the fortunes package is missing: run scripts/deps.sh";
  files.resize(1);
  train::write_byte_shard(files, dir.file("fortunes.bin"), true);

  coll::testing::expect_all_ok(coll::testing::run_ranks(2, [&](RankEnv& env) {
    train::cpu::set_cpu_threads(1);
    const train::TokenShard shard(dir.file("fortunes.bin"));
    train::TrainConfig cfg;
    cfg.model = train::resolve_model_config("tiny");
    cfg.steps = 4;
    cfg.batch = 1;
    cfg.seq_len = 16;
    cfg.seed = 3;
    cfg.warmup_steps = 1;
    auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
    {
      CheckedReduction red(*comm, 0);
      const auto reduce = [&](std::int64_t, train::Model& m, double w) {
        return red.reduce(m.gradients(), static_cast<std::size_t>(m.layout().total_elements()), w).verified;
      };
      // The run that skips step 1.
      train::Trainer a(cfg, shard, comm.get());
      a.hooks().reduce_gradients = [&](std::int64_t step, train::Model& m, double w) {
        return step == 1 ? false : reduce(step, m, w);
      };
      a.step();
      const train::TrainState before = a.state();
      const train::StepResult skipped = a.step();
      env.expect(a.state().step == 2, "the skipped step counts");
      env.expect(same(a.state().params, before.params) && same(a.state().m, before.m) && same(a.state().v, before.v),
                 "the weights and both moments are unchanged");
      env.expect(skipped.grad_norm == 0, "no gradient norm is reported for refused gradients");
      std::vector<double> losses;
      while (a.state().step < cfg.steps) losses.push_back(a.step().loss);  // batches 2 and 3

      // The same run resumed from the state before the skip, at step 2.
      train::TrainState start = before;
      start.step = 2;
      train::Trainer b(cfg, shard, start, comm.get());
      b.hooks().reduce_gradients = reduce;
      std::vector<double> resumed;
      while (b.state().step < cfg.steps) resumed.push_back(b.step().loss);
      env.expect(losses == resumed, "the steps after the skip see the batches of their own steps");
      env.expect(same(a.state().params, b.state().params) && same(a.state().m, b.state().m),
                 "and end with the resumed run's weights and moments, bitwise");
    }
    comm.reset();
  }));
}

}  // namespace
}  // namespace cairn::ft
