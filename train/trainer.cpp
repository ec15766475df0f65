#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "common/error.h"
#include "train/init.h"
#include "train/optim/grad_clip.h"

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
  if (cfg.seq_len == 0) cfg.seq_len = cfg.model.context;
  if (cfg.steps <= 0 || cfg.batch <= 0)
    throw Error("train: --steps and --batch must be positive (got " + std::to_string(cfg.steps) +
                " and " + std::to_string(cfg.batch) + ")");
  if (cfg.adamw.lr <= 0) throw Error("train: --lr must be positive");
  if (shard.vocab_size() > static_cast<std::uint64_t>(cfg.model.vocab))
    fail(shard.path(), "holds tokens of a " + std::to_string(shard.vocab_size()) +
                           "-token vocabulary; model \"" + cfg.model.name + "\" has " +
                           std::to_string(cfg.model.vocab));
  return cfg;
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
    : cfg_(resolved(cfg, shard)), shard_(shard), state_(std::move(start)) {
  if (comm) dp_ = std::make_unique<DataParallel>(*comm);
  const ParameterLayout layout(cfg_.model);
  const auto n = static_cast<std::size_t>(layout.total_elements());
  if (state_.params.size() != n || state_.m.size() != n || state_.v.size() != n)
    throw Error("train: a resumed state must hold " + std::to_string(n) + " elements per buffer for model \"" +
                cfg_.model.name + "\" (got " + std::to_string(state_.params.size()) + ")");
  if (state_.step < 0 || state_.step > cfg_.steps)
    throw Error("train: cannot resume at step " + std::to_string(state_.step) + " of a " +
                std::to_string(cfg_.steps) + "-step run");
  if (cfg_.device == Device::cuda) {
    device_model_ = make_cuda_model(cfg_.model, cfg_.batch, cfg_.seq_len);
    device_model_->set_parameters(state_.params.data());
    device_model_->set_optimizer_state(state_.m.data(), state_.v.data());
  } else {
    model_ = std::make_unique<CpuModel<float>>(cfg_.model, cfg_.batch, cfg_.seq_len);
    grads_.assign(n, 0.0f);
  }
  loader_ = std::make_unique<DataLoader>(shard_, sampler_config(cfg_, cfg_.seed, dp_.get()), state_.step);
}

Trainer::~Trainer() = default;

StepResult Trainer::step() {
  const auto t0 = std::chrono::steady_clock::now();
  TokenBatch batch = loader_->next();
  if (batch.step != state_.step)
    throw Error("train: data loader served step " + std::to_string(batch.step) + " for step " +
                std::to_string(state_.step));
  StepResult r;
  r.step = state_.step;
  r.tokens = cfg_.batch * cfg_.seq_len * world();
  if (device_model_) {
    r.loss = device_model_->forward_backward(batch.inputs.data(), batch.targets.data());
  } else {
    std::fill(grads_.begin(), grads_.end(), 0.0f);
    r.loss = model_->forward(state_.params.data(), batch.inputs.data(), batch.targets.data());
    model_->backward(state_.params.data(), grads_.data());
  }
  if (dp_) {
    const auto n = static_cast<std::int64_t>(batch.targets.size());
    const auto global = dp_->reduce_loss(r.loss, counted_targets(batch.targets.data(), n),
                                         device_model_ ? device_model_->device_stream() : nullptr);
    r.loss = global.mean;
    if (device_model_)
      dp_->average_gradients(*device_model_, global.weight, grads_);
    else
      dp_->average_gradients(grads_.data(), grads_.size(), global.weight);
  }
  r.grad_norm = device_model_ ? device_model_->clip_grad_norm(cfg_.grad_clip)
                              : clip_grad_norm(grads_.data(), static_cast<std::int64_t>(grads_.size()), cfg_.grad_clip);
  const LrSchedule sched{cfg_.adamw.lr, cfg_.warmup_steps, cfg_.steps, cfg_.min_lr_ratio};
  AdamWHyper h = cfg_.adamw;
  h.lr = r.lr = learning_rate(sched, state_.step);
  if (device_model_)
    device_model_->adamw_step(h, state_.step + 1);
  else
    adamw_step(model_->layout(), state_.params.data(), grads_.data(), state_.m.data(), state_.v.data(), h,
               state_.step + 1);
  ++state_.step;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

double Trainer::evaluate(std::int64_t batches) {
  const SamplerConfig sc = sampler_config(cfg_, cfg_.seed ^ kEvalSeedSalt, dp_.get());
  const SequenceSampler sampler(sc, shard_.size());
  double total = 0;
  for (std::int64_t i = 0; i < batches; ++i) {
    const TokenBatch b = read_batch(shard_, sampler, sc, i);
    double loss = device_model_ ? device_model_->loss(b.inputs.data(), b.targets.data())
                                : model_->forward(state_.params.data(), b.inputs.data(), b.targets.data());
    if (dp_)
      loss = dp_->reduce_loss(loss, counted_targets(b.targets.data(), static_cast<std::int64_t>(b.targets.size())),
                              device_model_ ? device_model_->device_stream() : nullptr)
                 .mean;
    total += loss;
  }
  return batches > 0 ? total / static_cast<double>(batches) : 0.0;
}

void Trainer::sync_state() {
  if (!device_model_) return;  // on the CPU the state is the live buffers
  device_model_->get_parameters(state_.params.data());
  device_model_->get_optimizer_state(state_.m.data(), state_.v.data());
}

void train(const TrainConfig& cfg, const TokenShard& shard,
           const std::function<void(const StepResult&)>& on_step, coll::Communicator* comm) {
  Trainer t(cfg, shard, comm);
  while (t.state().step < t.config().steps) on_step(t.step());
}

}  // namespace cairn::train
