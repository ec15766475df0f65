// --metrics-port P [--metrics-addr A]: the run's Prometheus endpoint (docs/monitoring.md).
// Rank 0 serves, one endpoint a job: every value it exposes is the job's (the loss and
// gradient norm are the reduced ones every rank holds; the straggler scores of every rank
// are gathered to rank 0; rank 0 writes the checkpoints' manifests), so one scrape target
// sees the whole job and no rank but 0 opens a port.
//
// The training thread renders its families after each step and publishes them
// (exposition/metrics_board.h: one string swapped under a lock); the server's thread
// renders the board when scraped, so training never waits on a scrape, and the
// checkpoint's age is computed at the scrape, so it grows while training is stuck.
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "common/error.h"
#include "common/exposition/metrics_server.h"
#include "common/exposition/prometheus_text.h"
#include "train/fault_tolerance.h"
#include "train/ft/log_line.h"

namespace cairn::train {
namespace {

using exposition::add_sample;

class MetricsEndpoint final : public FtLayer {
 public:
  MetricsEndpoint(const exposition::ListenAddress& at, const FtJob& job) : world_(job.world), mfu_per_token_s_(job.mfu_per_token_s) {
    try {
      server_ = std::make_unique<exposition::MetricsServer>(
          at, [this] { return board_.render(); }, log_line);
    } catch (const Error& e) {
      throw Error(fmt::format("--metrics-port {} --metrics-addr {}: {}; give a free port (0: one the system picks) "
                              "or an address of this host",
                              at.port, at.addr, e.what()));
    }
    if (job.resumed_step) publish_checkpoint(*job.resumed_step, 0);
    log_line("metrics: serving " + server_->url());  // once, before the first step: where a scraper (or a test) looks
  }

  exposition::MetricsBoard& board() { return board_; }

  void after_step(const StepResult& r) {
    ++steps_;
    tokens_ += static_cast<double>(r.tokens);
    seconds_ += r.seconds;
    data_wait_ += r.sections.data_s;
    const double tokens_per_s = r.seconds > 0 ? static_cast<double>(r.tokens) / r.seconds : 0;
    std::string out;
    add_sample(out, "cairn_train_step", "gauge", "Steps taken (1-based, as --loss-log numbers them) at the last step's end.",
               static_cast<double>(r.step + 1));
    add_sample(out, "cairn_train_steps_total", "counter", "Optimizer steps this run has taken.", static_cast<double>(steps_));
    add_sample(out, "cairn_train_loss", "gauge", "The last step's mean loss over the global batch.", r.loss);
    add_sample(out, "cairn_train_grad_norm", "gauge", "The last step's global gradient norm, before clipping.", r.grad_norm);
    add_sample(out, "cairn_train_learning_rate", "gauge", "The last step's learning rate.", r.lr);
    add_sample(out, "cairn_train_step_seconds", "gauge", "Wall time of the last step, data wait included.", r.seconds);
    add_sample(out, "cairn_train_step_seconds_total", "counter", "Wall time of every step this run took.", seconds_);
    add_sample(out, "cairn_train_data_wait_seconds", "gauge", "What the last step waited for its batch (data loader stall).",
               r.sections.data_s);
    add_sample(out, "cairn_train_data_wait_seconds_total", "counter", "What every step this run took waited for its batch.",
               data_wait_);
    add_sample(out, "cairn_train_tokens_total", "counter", "Tokens of the global batches this run trained on.", tokens_);
    add_sample(out, "cairn_train_tokens_per_second", "gauge", "The last step's tokens (global batch) over its wall time.",
               tokens_per_s);
    if (mfu_per_token_s_ > 0)
      add_sample(out, "cairn_train_mfu_ratio", "gauge",
                 "The last step's model FLOPs utilisation per GPU, of an H100's dense bf16 peak.",
                 tokens_per_s / world_ * mfu_per_token_s_);
    add_sample(out, "cairn_train_ranks", "gauge", "Ranks of the data-parallel job.", world_);
    board_.publish("train", std::move(out));
  }

  void on_checkpoint(const CheckpointWritten& c) { publish_checkpoint(c.step, ++checkpoints_); }

 private:
  void publish_checkpoint(std::int64_t step, long written) {
    std::string out;
    add_sample(out, "cairn_checkpoint_last_verified_step", "gauge",
               "Step of the newest checkpoint committed and read back whole (or resumed from).", static_cast<double>(step));
    add_sample(out, "cairn_checkpoints_written_total", "counter", "Checkpoints this run committed and verified.",
               static_cast<double>(written));
    board_.publish("checkpoint", std::move(out));
    board_.publish_age("cairn_checkpoint_age_seconds",
                       "Seconds since the newest verified checkpoint was committed (since the start, for the one resumed from).",
                       exposition::MetricsBoard::Clock::now());
  }

  int world_;
  double mfu_per_token_s_;
  long steps_ = 0, checkpoints_ = 0;
  double tokens_ = 0, seconds_ = 0, data_wait_ = 0;
  exposition::MetricsBoard board_;  // before the server, which renders it until it stops
  std::unique_ptr<exposition::MetricsServer> server_;
};

}  // namespace

std::unique_ptr<FtLayer> attach_metrics_endpoint(const FaultToleranceOptions& o, FtJob& job, TrainHooks& hooks) {
  job.metrics = nullptr;
  if (!o.metrics || job.rank != 0) return nullptr;
  auto layer = std::make_unique<MetricsEndpoint>(*o.metrics, job);
  MetricsEndpoint* l = layer.get();
  job.metrics = &l->board();
  hooks.after_step.emplace_back([l](const StepResult& r) { l->after_step(r); });
  hooks.on_checkpoint.emplace_back([l](const CheckpointWritten& c) { l->on_checkpoint(c); });
  return layer;
}

}  // namespace cairn::train
