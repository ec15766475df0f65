#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "train/init.h"
#include "train/optim/lr_schedule.h"
#include "train/train_config_check.h"

namespace cairn::train {
namespace {

SamplerConfig sampler_config(const TrainConfig& cfg, std::uint64_t seed, const DataParallel* dp) {
  SamplerConfig s;
  s.seed = seed;
  s.seq_len = cfg.seq_len;
  s.batch = cfg.batch;
  if (dp) {
    s.rank = dp->rank();
    s.world = dp->world();
  }
  return s;
}

TrainConfig resolved(TrainConfig cfg, const TokenShard& shard) {
  validate(cfg.model, "model \"" + cfg.model.name + "\"");
  check_train_config(cfg);
  if (cfg.seq_len == 0) cfg.seq_len = cfg.model.context;
  if (shard.vocab_size() > static_cast<std::uint64_t>(cfg.model.vocab))
    fail(shard.path(), "holds tokens of a " + std::to_string(shard.vocab_size()) +
                           "-token vocabulary; model \"" + cfg.model.name + "\" has " +
                           std::to_string(cfg.model.vocab) + " (use a model of that vocabulary, or re-tokenise)");
  if (shard.size() < static_cast<std::uint64_t>(cfg.seq_len) + 1)
    fail(shard.path(), "holds " + std::to_string(shard.size()) + " tokens, fewer than one sequence of " +
                           std::to_string(cfg.seq_len + 1) + " (--seq-len " + std::to_string(cfg.seq_len) +
                           " + 1); use more text or a smaller --seq-len");
  return cfg;
}

// A step whose loss or gradient is not finite would write NaN into every weight: the run
// stops before the optimizer applies it. Both values are the same on every rank (the
// reduced loss and the norm of the reduced gradients), so every rank stops at the same
// step and none is left waiting in a collective.
void require_finite(const StepResult& r) {
  const bool loss_bad = !std::isfinite(r.loss);
  if (!loss_bad && std::isfinite(r.grad_norm)) return;
  const double v = loss_bad ? r.loss : r.grad_norm;
  throw CheckFailed(fmt::format("{} is {} at step {} (lr {:.3g}): the run diverged; lower --lr or lengthen "
                                "--warmup, and resume from the last checkpoint",
                                loss_bad ? "loss" : "gradient norm", std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf",
                                r.step + 1, r.lr));
}

// A step a layer refused (checked gradients that could not be repaired, --sdc-policy
// skip) still counts: the data loader has served its batch and the schedule moves on, so
// only state().step advances; the weights and both AdamW moments stay as they were. A
// rare event, so the state makes one round trip through the host (on a GPU: synced down,
// uploaded back) rather than every model growing a call of its own.
void skip_update(Model& model) {
  model.sync_state();
  TrainState s = model.state();
  s.step += 1;
  model.load_state(std::move(s));
}

// Evaluation draws from its own permutation so it does not replay training batches.
constexpr std::uint64_t kEvalSeedSalt = 0x6576616cULL;  // "eval"

}  // namespace

TrainState initial_state(const TrainConfig& cfg) {
  const ParameterLayout layout(cfg.model);
  const auto n = static_cast<std::size_t>(layout.total_elements());
  TrainState s;
  s.params.resize(n);
  s.m.assign(n, 0.0f);
  s.v.assign(n, 0.0f);
  init_parameters(cfg.model, layout, cfg.seed, s.params.data());
  return s;
}

Trainer::Trainer(const TrainConfig& cfg, const TokenShard& shard, coll::Communicator* comm)
    : Trainer(cfg, shard, initial_state(cfg), comm) {}

Trainer::Trainer(const TrainConfig& cfg, const TokenShard& shard, TrainState start, coll::Communicator* comm)
    : cfg_(resolved(cfg, shard)), shard_(shard) {
  if (comm) dp_ = std::make_unique<DataParallel>(*comm);
  check_state_fits(start, ParameterLayout(cfg_.model), cfg_.model);
  if (start.step < 0 || start.step > cfg_.steps)
    throw Error("train: cannot resume at step " + std::to_string(start.step) + " of a " +
                std::to_string(cfg_.steps) + "-step run");
  if (cfg_.shard) {
    if (!comm) throw Error("train: sharded data parallel needs ranks to shard over (cairn launch -n N, N > 1)");
    if (cfg_.device != Device::cpu)
      throw Error("train: sharded data parallel runs the CPU model (use --device cpu)");
    auto m = std::make_unique<ShardedCpuModel>(cfg_.model, cfg_.batch, cfg_.seq_len, *comm);
    sharded_ = m.get();
    model_ = std::move(m);
  } else {
    model_ = make_model(cfg_.device, cfg_.model, cfg_.batch, cfg_.seq_len);
  }
  const std::int64_t first = start.step;
  model_->load_state(std::move(start));
  loader_ = std::make_unique<DataLoader>(shard_, sampler_config(cfg_, cfg_.seed, dp_.get()), first);
}

Trainer::~Trainer() = default;

StepResult Trainer::step() {
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point& t) {
    const auto now = Clock::now();
    const double s = std::chrono::duration<double>(now - t).count();
    t = now;
    return s;
  };
  const std::int64_t index = state().step;
  notify(hooks_.before_step, index);  // outside the step's time, as after_step is
  const auto t0 = Clock::now();
  auto mark = t0;
  TokenBatch batch = loader_->next();
  if (batch.step != index)
    throw Error("train: data loader served step " + std::to_string(batch.step) + " for step " +
                std::to_string(index));
  StepResult r;
  r.step = index;
  r.tokens = cfg_.batch * cfg_.seq_len * world();
  r.sections.data_s = seconds_since(mark);
  const auto counted = counted_targets(batch.targets.data(), static_cast<std::int64_t>(batch.targets.size()));
  if (sharded_) {  // backward reduce-scatters as it goes: the weight w_r must be known first
    if (hooks_.reduce_gradients)
      throw Error("train: sharded data parallel reduces gradients during backward; a reduce_gradients hook "
                  "(the checked gradient exchange) cannot take part");
    sharded_->set_loss_weight(dp_->reduce_loss(0.0, counted).weight);
  }
  r.loss = model_->forward_backward(batch.inputs.data(), batch.targets.data());
  r.sections.forward_backward_s = seconds_since(mark);
  notify(hooks_.after_backward, index, *model_);
  bool apply = true;
  if (dp_) {
    mark = Clock::now();
    notify(hooks_.before_reduce, index, *model_);
    const auto global = dp_->reduce_loss(r.loss, counted, model_->stream());
    r.loss = global.mean;
    if (sharded_) {
      // the gradient shards are already the global mean loss's
    } else if (hooks_.reduce_gradients)
      apply = hooks_.reduce_gradients(index, *model_, global.weight);
    else
      dp_->average_gradients(*model_, global.weight, host_grads_);
    notify(hooks_.after_reduce, index, *model_);
    r.sections.reduce_s = seconds_since(mark);
  }
  mark = Clock::now();
  const LrSchedule sched{cfg_.adamw.lr, cfg_.warmup_steps, cfg_.steps, cfg_.min_lr_ratio};
  AdamWHyper h = cfg_.adamw;
  h.lr = r.lr = learning_rate(sched, index);
  if (apply) {
    r.grad_norm = model_->clip_grad_norm(cfg_.grad_clip);
    if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm)) notify(hooks_.on_non_finite, r);
    require_finite(r);
    model_->optimizer_step(h);
  } else {
    skip_update(*model_);  // grad_norm stays 0: the gradients were refused, not measured
  }
  r.sections.optimizer_s = seconds_since(mark);
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  notify(hooks_.after_step, r);
  return r;
}

double Trainer::evaluate(std::int64_t batches) {
  const SamplerConfig sc = sampler_config(cfg_, cfg_.seed ^ kEvalSeedSalt, dp_.get());
  const SequenceSampler sampler(sc, shard_.size());
  double total = 0;
  for (std::int64_t i = 0; i < batches; ++i) {
    const TokenBatch b = read_batch(shard_, sampler, sc, i);
    double loss = model_->loss(b.inputs.data(), b.targets.data());
    if (dp_)
      loss = dp_->reduce_loss(loss, counted_targets(b.targets.data(), static_cast<std::int64_t>(b.targets.size())),
                              model_->stream())
                 .mean;
    total += loss;
  }
  return batches > 0 ? total / static_cast<double>(batches) : 0.0;
}

}  // namespace cairn::train
