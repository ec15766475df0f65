// cairn train: the reference training loop on a token shard, alone or as one rank of a
// data-parallel job started by `cairn launch -n N`, srun, mpirun or torchrun.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/train_checkpoints.h"
#include "collectives/rendezvous/bootstrap.h"
#include "collectives/backends/ucx/ucx_communicator.h"
#include "common/error.h"
#include "train/cpu/parallel.h"
#include "train/data/token_shard.h"
#include "train/model.h"
#include "train/flops.h"
#include "train/trainer.h"
#ifdef CAIRN_HAVE_CUDA
#include "collectives/measure/memory.h"
#include "collectives/backends/nccl/nccl_communicator.h"
#endif

namespace cairn::cli {
namespace {

// The communicator of a multi-rank job. NCCL reduces the gradients in place on the GPU;
// UCX reduces host memory (with --device cuda, through host copies). auto: NCCL when
// training on a GPU of a CUDA build, else UCX.
std::unique_ptr<coll::Communicator> open_communicator(std::string backend, train::Device device,
                                                      coll::Bootstrap& job) {
#ifdef CAIRN_HAVE_CUDA
  if (backend == "auto") backend = device == train::Device::cuda ? "nccl" : "ucx";
#else
  (void)device;  // a build without CUDA trains on the CPU
  if (backend == "auto") backend = "ucx";
#endif
  if (backend == "ucx") return coll::make_ucx_communicator(*job.store, job.info.rank, job.info.size, "cairn/train/ucx");
#ifdef CAIRN_HAVE_CUDA
  const int gpus = coll::bench::visible_cuda_devices();
  if (gpus == 0) throw Error("--backend nccl: this process sees no CUDA GPU; use --backend ucx");
  // Also makes the rank's GPU current, so the model is built on it.
  return coll::make_nccl_communicator(*job.store, job.info.rank, job.info.size, job.info.local_rank % gpus,
                                      {std::chrono::minutes(5), "cairn/train/nccl"});
#else
  throw Error("--backend nccl: this cairn was built without CUDA (CAIRN_CUDA=OFF); use --backend ucx");
#endif
}

}  // namespace

int cmd_train(const Args& args) {
  po::options_description desc("Options");
  std::string model, data, device, backend;
  train::TrainConfig cfg;
  int threads = 0;
  std::int64_t log_every = 10, eval_batches = 0;
  desc.add_options()
      ("preset", po::value(&model)->default_value("tiny"),
       "model preset (tiny, tiny-xielu, 1b, apertus-8b, apertus-70b, ...) or a cairn.model JSON file")
      ("data", po::value(&data)->required(), "token shard from 'cairn data'")
      ("steps", po::value(&cfg.steps)->default_value(200), "optimizer steps")
      ("batch", po::value(&cfg.batch)->default_value(16), "sequences per step and rank")
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
      ("backend", po::value(&backend)->default_value("auto"),
       "gradient all-reduce of a multi-rank job: ucx (host memory), nccl (GPU memory) or auto")
      ("threads", po::value(&threads)->default_value(0), "CPU threads (0: all cores or CAIRN_CPU_THREADS)")
      ("log-every", po::value(&log_every)->default_value(10), "print every N steps")
      ("eval-batches", po::value(&eval_batches)->default_value(0), "after training, mean loss over N batches in another order");
  TrainCheckpointOptions ckpt;
  add_checkpoint_options(desc, ckpt);
  po::variables_map vm;
  if (!parse_options("train", "--data SHARD [--preset NAME] [--steps N] [--lr X] [--batch B] [--seed S]",
                     args, desc, vm))
    return 0;
  if (threads < 0) throw Error("cairn train: --threads must be >= 0");
  if (log_every < 1) throw Error("cairn train: --log-every must be >= 1");
  if (backend != "ucx" && backend != "nccl" && backend != "auto")
    throw Error("--backend '" + backend + "' is not a backend: use ucx, nccl or auto");
  train::cpu::set_cpu_threads(threads);
  cfg.device = train::parse_device(device);
  if (backend == "nccl" && cfg.device != train::Device::cuda)
    throw Error("--backend nccl reduces GPU memory: train with --device cuda, or use --backend ucx");
  cfg.model = train::resolve_model_config(model);
  const train::TokenShard shard(data);

  // A launcher's environment (more than one rank) makes this a data-parallel rank.
  std::unique_ptr<coll::Bootstrap> job;
  std::unique_ptr<coll::Communicator> comm;
  const coll::EnvMap env = coll::process_environment();
  if (coll::detect_rank_info(env).size > 1) {
    job = std::make_unique<coll::Bootstrap>(coll::bootstrap_from_env(env));
    comm = open_communicator(backend, cfg.device, *job);
  }
  const int rank = comm ? comm->rank() : 0, ranks = comm ? comm->size() : 1;
  auto trainer = std::make_unique<train::Trainer>(cfg, shard, starting_state(ckpt, cfg, rank, ranks), comm.get());
  const bool printer = !comm || comm->rank() == 0;  // one table for the job
  const int world = trainer->world();
  if (printer) {
    std::printf("model %s: %lld parameters; data %s: %llu tokens; batch %lld x %lld", cfg.model.name.c_str(),
                static_cast<long long>(train::parameter_count(cfg.model)), data.c_str(),
                static_cast<unsigned long long>(shard.size()), static_cast<long long>(cfg.batch),
                static_cast<long long>(trainer->config().seq_len));
    if (comm)
      std::printf(" per rank, %d ranks (%s): global batch %lld", world, std::string(comm->backend()).c_str(),
                  static_cast<long long>(cfg.batch * world));
    std::printf("; device %s\n", device.c_str());
    std::printf("%8s %10s %10s %10s %12s\n", "step", "loss", "lr", "grad_norm", "tokens/s");
  }
  train::Trainer& t = *trainer;
  TrainCheckpointer checkpointer(ckpt, t.state().step, rank, ranks);
  double tokens = 0, seconds = 0;
  // Steady state, as peers/torch_llama.py times it: the steps after the first 3.
  constexpr std::int64_t kWarmupSteps = 3;
  double steady_tokens = 0, steady_seconds = 0;
  while (t.state().step < t.config().steps) {
    const auto r = t.step();
    checkpointer.after_step(t, r);
    tokens += static_cast<double>(r.tokens);
    seconds += r.seconds;
    if (r.step >= kWarmupSteps) {
      steady_tokens += static_cast<double>(r.tokens);
      steady_seconds += r.seconds;
    }
    if (printer && ((r.step + 1) % log_every == 0 || r.step == 0 || r.step + 1 == t.config().steps)) {
      std::printf("%8lld %10.4f %10.2e %10.3f %12.0f\n", static_cast<long long>(r.step + 1), r.loss, r.lr,
                  r.grad_norm, static_cast<double>(r.tokens) / r.seconds);
      std::fflush(stdout);
    }
  }
  if (printer) {
    if (seconds > 0)
      std::printf("trained to step %lld in %.1f s, %.0f tokens/s\n", static_cast<long long>(t.state().step),
                  seconds, tokens / seconds);
    else  // resumed from a checkpoint of the last step
      std::printf("nothing to train: already at step %lld\n", static_cast<long long>(t.state().step));
    if (steady_seconds > 0) {
      const double tok_s = steady_tokens / steady_seconds;
      // Per GPU: the job's tokens/s over its ranks.
      const double mfu = tok_s / world * train::training_flops_per_token(cfg.model, t.config().seq_len) /
                         train::kH100DenseBf16Flops;
      // MFU is against an H100's dense bf16 peak, so it is reported for GPU runs only.
      if (cfg.device == train::Device::cuda)
        std::printf("steady state (after %lld steps): %.0f tokens/s, MFU %.1f%% of %.0f TFLOP/s per rank "
                    "(6 N_non-embedding + 6 L d T FLOPs per token)\n",
                    static_cast<long long>(kWarmupSteps), tok_s, 100 * mfu, train::kH100DenseBf16Flops / 1e12);
      else
        std::printf("steady state (after %lld steps): %.0f tokens/s\n", static_cast<long long>(kWarmupSteps), tok_s);
    }
  }
  if (eval_batches > 0) {
    const double eval = t.evaluate(eval_batches);  // collective: every rank takes part
    if (printer) std::printf("eval loss %.4f over %lld batches\n", eval, static_cast<long long>(eval_batches));
  }
  std::fflush(stdout);
  trainer.reset();
  if (job) {
    comm.reset();  // collective
    job->finish();
  }
  return 0;
}

}  // namespace cairn::cli
