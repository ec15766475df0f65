// cairn train: the single-rank CPU reference training loop on a token shard.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "train/cpu/parallel.h"
#include "train/data/token_shard.h"
#include "train/device_model.h"
#include "train/flops.h"
#include "train/trainer.h"

namespace cairn::cli {

int cmd_train(const Args& args) {
  po::options_description desc("Options");
  std::string model, data, device;
  train::TrainConfig cfg;
  int threads = 0;
  std::int64_t log_every = 10, eval_batches = 0;
  desc.add_options()
      ("preset", po::value(&model)->default_value("tiny"),
       "model preset (tiny, tiny-xielu, 1b, apertus-8b, apertus-70b, ...) or a cairn.model JSON file")
      ("data", po::value(&data)->required(), "token shard from 'cairn data'")
      ("steps", po::value(&cfg.steps)->default_value(200), "optimizer steps")
      ("batch", po::value(&cfg.batch)->default_value(16), "sequences per step")
      ("seq-len", po::value(&cfg.seq_len)->default_value(0), "tokens per sequence (0: the model's context)")
      ("lr", po::value(&cfg.adamw.lr)->default_value(3e-3), "peak learning rate")
      ("warmup", po::value(&cfg.warmup_steps)->default_value(20), "linear warmup steps")
      ("min-lr-ratio", po::value(&cfg.min_lr_ratio)->default_value(0.1), "cosine decay floor, as a fraction of --lr")
      ("weight-decay", po::value(&cfg.adamw.weight_decay)->default_value(0.1), "AdamW decoupled weight decay")
      ("beta2", po::value(&cfg.adamw.beta2)->default_value(0.95), "AdamW beta2")
      ("grad-clip", po::value(&cfg.grad_clip)->default_value(1.0), "global-norm clip (0: off)")
      ("seed", po::value(&cfg.seed)->default_value(0), "seed of the weights and the data order")
      ("device", po::value(&device)->default_value(std::string(train::to_string(train::default_device()))),
       "cpu or cuda (default: cuda when a GPU is visible)")
      ("threads", po::value(&threads)->default_value(0), "CPU threads (0: all cores or CAIRN_CPU_THREADS)")
      ("log-every", po::value(&log_every)->default_value(10), "print every N steps")
      ("eval-batches", po::value(&eval_batches)->default_value(0), "after training, mean loss over N batches in another order");
  po::variables_map vm;
  if (!parse_options("train", "--data SHARD [--preset NAME] [--steps N] [--lr X] [--batch B] [--seed S]",
                     args, desc, vm))
    return 0;
  if (threads < 0) throw Error("cairn train: --threads must be >= 0");
  if (log_every < 1) throw Error("cairn train: --log-every must be >= 1");
  train::cpu::set_cpu_threads(threads);
  cfg.device = train::parse_device(device);
  cfg.model = train::resolve_model_config(model);
  const train::TokenShard shard(data);
  std::printf("model %s: %lld parameters; data %s: %llu tokens; batch %lld x %lld; device %s\n",
              cfg.model.name.c_str(), static_cast<long long>(train::parameter_count(cfg.model)),
              data.c_str(), static_cast<unsigned long long>(shard.size()), static_cast<long long>(cfg.batch),
              static_cast<long long>(cfg.seq_len ? cfg.seq_len : cfg.model.context), device.c_str());
  std::printf("%8s %10s %10s %10s %12s\n", "step", "loss", "lr", "grad_norm", "tokens/s");
  train::Trainer trainer(cfg, shard);
  double tokens = 0, seconds = 0;
  // Steady state, as peers/torch_llama.py times it: the steps after the first 3.
  constexpr std::int64_t kWarmupSteps = 3;
  double steady_tokens = 0, steady_seconds = 0;
  while (trainer.state().step < trainer.config().steps) {
    const auto r = trainer.step();
    tokens += static_cast<double>(r.tokens);
    seconds += r.seconds;
    if (r.step >= kWarmupSteps) {
      steady_tokens += static_cast<double>(r.tokens);
      steady_seconds += r.seconds;
    }
    if ((r.step + 1) % log_every == 0 || r.step == 0 || r.step + 1 == trainer.config().steps)
      std::printf("%8lld %10.4f %10.2e %10.3f %12.0f\n", static_cast<long long>(r.step + 1), r.loss, r.lr,
                  r.grad_norm, static_cast<double>(r.tokens) / r.seconds);
    std::fflush(stdout);
  }
  std::printf("trained %lld steps in %.1f s, %.0f tokens/s\n", static_cast<long long>(trainer.state().step),
              seconds, tokens / seconds);
  if (steady_seconds > 0) {
    const double tok_s = steady_tokens / steady_seconds;
    const double mfu = tok_s * train::training_flops_per_token(cfg.model, trainer.config().seq_len) /
                       train::kH100DenseBf16Flops;
    std::printf("steady state (after %lld steps): %.0f tokens/s, MFU %.1f%% of %.0f TFLOP/s (6 N_non-embedding + "
                "6 L d T FLOPs per token)\n",
                static_cast<long long>(kWarmupSteps), tok_s, 100 * mfu, train::kH100DenseBf16Flops / 1e12);
  }
  if (eval_batches > 0) std::printf("eval loss %.4f over %lld batches\n", trainer.evaluate(eval_batches),
                                    static_cast<long long>(eval_batches));
  return 0;
}

}  // namespace cairn::cli
