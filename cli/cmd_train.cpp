// cairn train: the options of a training run (train/run.h) on a token shard, alone or as
// one rank of a data-parallel job started by `cairn launch -n N`, srun, mpirun or torchrun.
#include <charconv>
#include <exception>
#include <memory>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/train_ft_flags.h"
#include "collectives/rendezvous/bootstrap.h"
#include "collectives/backends/open_backend.h"
#include "common/error.h"
#include "common/same_file.h"
#include "ft/checkpoint/young_daly.h"
#include "train/cpu/parallel.h"
#include "train/data/token_shard.h"
#include "train/model.h"
#include "train/run.h"
#include "train/train_config_check.h"

namespace cairn::cli {
namespace {

// The durability flags (docs/checkpoint-format.md); train/checkpoint_policy.h is what
// they do. --checkpoint-every and --mtbf are read as text and converted once parsed
// (finish_checkpoint_options): "auto" and "24h" are not numbers.
struct CheckpointFlagTexts {
  std::string every = "0";
  std::string mtbf;
};

void add_checkpoint_options(po::options_description& desc, train::CheckpointOptions& o, CheckpointFlagTexts& texts) {
  desc.add_options()
      ("checkpoint-dir", po::value(&o.dir),
       "write checkpoints (step-N.ckpt, a manifest, and one shard a rank) to this directory (created if only its "
       "last component is missing; shared by every rank), locked against other runs while this one lives")
      ("checkpoint-every", po::value(&texts.every)->default_value("0"),
       "checkpoint every N steps (0: only at the end), or auto: the Young/Daly interval sqrt(2 x save stall x "
       "--mtbf)")
      ("mtbf", po::value(&texts.mtbf),
       "with --checkpoint-every auto: the job's mean time between failures (e.g. 24h, 90m, 3600s)")
      ("checkpoint-staging-mb", po::value(&o.staging_mb)->default_value(0),
       "bound the host (pinned, on a GPU) memory a save is staged in, in MiB (0: the whole shard); a larger shard is "
       "staged in pieces, training waiting for the write of the rest")
      ("keep-checkpoints", po::value(&o.keep)->default_value(train::kDefaultKeepCheckpoints),
       "keep the newest N checkpoints")
      ("resume", po::bool_switch(&o.resume),
       "continue from the newest whole checkpoint in --checkpoint-dir (an empty or new one: start at step 0; "
       "only damaged ones: refuse), written by a job of any size")
      ("start-over", po::bool_switch(&o.start_over),
       "with --resume: when every checkpoint in --checkpoint-dir is damaged, start again at step 0 instead of "
       "refusing")
      ("loss-log", po::value(&o.loss_log), "write each step's loss, grad norm and lr in full precision to FILE");
}

void finish_checkpoint_options(const CheckpointFlagTexts& texts, bool mtbf_given, train::CheckpointOptions& o) {
  if (texts.every == "auto") {
    o.every_auto = true;
  } else {
    const char* end = texts.every.data() + texts.every.size();
    const auto [at, ec] = std::from_chars(texts.every.data(), end, o.every);
    if (texts.every.empty() || ec != std::errc() || at != end)
      throw Error("--checkpoint-every " + texts.every +
                  " is not a number of steps: give N >= 0 (0: only at the end of the run) or auto");
  }
  if (mtbf_given) o.mtbf_s = ft::parse_duration_s(texts.mtbf, "--mtbf");
}

}  // namespace

int cmd_train(const Args& args) {
  po::options_description desc("Options");
  std::string model, data, device, backend;
  train::RunOptions opts;
  train::TrainConfig& cfg = opts.config;
  int threads = 0;
  desc.add_options()
      ("preset", po::value(&model)->default_value("tiny"),
       "model preset (tiny, tiny-xielu, 1b, apertus-8b, apertus-70b, ...) or a cairn.model JSON file")
      ("data", po::value(&data)->required(), "token shard from 'cairn data'")
      ("steps", po::value(&cfg.steps)->default_value(200), "optimizer steps (>= 1)")
      ("batch", po::value(&cfg.batch)->default_value(16), "sequences per step and rank (>= 1; refused if it does not fit in memory)")
      ("seq-len", po::value(&cfg.seq_len)->default_value(0), "tokens per sequence, up to the model's context (0: the context)")
      ("lr", po::value(&cfg.adamw.lr)->default_value(3e-3, "3e-3"), "peak learning rate (finite, > 0; a run that goes NaN/Inf stops, exit 1)")
      ("warmup", po::value(&cfg.warmup_steps)->default_value(20), "linear warmup steps (>= 0)")
      ("min-lr-ratio", po::value(&cfg.min_lr_ratio)->default_value(0.1, "0.1"), "cosine decay floor, as a fraction of --lr (0 to 1)")
      ("weight-decay", po::value(&cfg.adamw.weight_decay)->default_value(0.1, "0.1"), "AdamW decoupled weight decay (0 to 1)")
      ("beta2", po::value(&cfg.adamw.beta2)->default_value(0.95, "0.95"), "AdamW beta2 (in [0, 1))")
      ("grad-clip", po::value(&cfg.grad_clip)->default_value(1.0), "global-norm clip (>= 0; 0: off)")
      ("seed", po::value(&cfg.seed)->default_value(0), "seed of the weights and the data order")
      ("device", po::value(&device)->default_value(std::string(train::to_string(train::default_device()))),
       "cpu or cuda (default: cuda when a GPU is visible)")
      ("backend", po::value(&backend)->default_value("auto"),
       "gradient all-reduce of a multi-rank job: ucx (host memory), nccl (GPU memory) or auto")
      ("shard", po::bool_switch(&cfg.shard),
       "sharded data parallel (ZeRO-3): each rank holds 1/N of the weights, gradients and AdamW moments "
       "(CPU model, cairn launch -n N with N > 1)")
      ("threads", po::value(&threads)->default_value(0), "CPU threads, up to 4096 (0: all cores or CAIRN_CPU_THREADS)")
      ("log-every", po::value(&opts.log_every)->default_value(10), "print every N steps")
      ("eval-batches", po::value(&opts.eval_batches)->default_value(0), "after training, mean loss over N batches in another order");
  CheckpointFlagTexts checkpoint_texts;
  add_checkpoint_options(desc, opts.checkpoints, checkpoint_texts);
  FtFlagTexts ft_texts;
  add_fault_tolerance_flags(desc, opts.ft, ft_texts);
  po::variables_map vm;
  if (!parse_options("train", "--data SHARD [--preset NAME] [--steps N] [--lr X] [--batch B] [--seed S]",
                     args, desc, vm))
    return 0;
  refuse_output_over_inputs({"--loss-log", opts.checkpoints.loss_log}, {{"--data", data}, {"--preset", model}});
  finish_checkpoint_options(checkpoint_texts, vm.count("mtbf") > 0, opts.checkpoints);
  refuse_output_over_inputs({"--watchdog-report", opts.ft.watchdog.report}, {{"--data", data}, {"--preset", model}});
  refuse_output_over_inputs({"--sdc-events", opts.ft.sdc.events}, {{"--data", data}, {"--preset", model}});
  refuse_output_over_inputs({"--divergence-events", opts.ft.divergence.events}, {{"--data", data}, {"--preset", model}});
  finish_fault_tolerance_flags(ft_texts, opts.ft);
  train::check_cpu_threads(threads);
  const coll::BackendChoice backend_choice = coll::parse_backend_choice(backend);
  train::cpu::set_cpu_threads(threads);
  cfg.device = train::parse_device(device);
  if (backend_choice == coll::BackendChoice::nccl && cfg.device != train::Device::cuda)
    throw Error("--backend nccl reduces GPU memory: train with --device cuda, or use --backend ucx");
  cfg.model = train::resolve_model_config(model);
  train::check_run_options(opts);  // before the shard is read or a job is joined
  train::check_shard_options(opts, coll::detect_rank_info(coll::process_environment()).size);
  const train::TokenShard shard(data);

  // A launcher's environment (more than one rank) makes this a data-parallel rank.
  std::unique_ptr<coll::Bootstrap> job;
  std::unique_ptr<coll::Communicator> comm, host_comm;
  const coll::EnvMap env = coll::process_environment();
  const bool many = coll::detect_rank_info(env).size > 1;
  if (many || opts.ft.straggler.enabled) job = std::make_unique<coll::Bootstrap>(coll::bootstrap_from_env(env));
  if (many) {
    // NCCL reduces the gradients in place on the GPU; UCX host memory (with --device
    // cuda, through host copies). Opening NCCL also makes the rank's GPU current, so the
    // model is built on it.
    coll::OpenBackendOptions open;
    open.choice = backend_choice;
    open.data = cfg.device == train::Device::cuda ? coll::DataPlace::gpu : coll::DataPlace::host;
    open.key_prefix = "cairn/train";
    comm = coll::open_backend(*job, open).comm;
  }
  // ft/'s own exchanges need host memory (train/fault_tolerance.h, FtJob::host_comm): a
  // UCX communicator beside NCCL, or a job of one for the straggler detector alone.
  if (job && train::needs_host_communicator(opts.ft) && (!comm || comm->memory() != coll::MemoryKind::host)) {
    coll::OpenBackendOptions open;
    open.choice = coll::BackendChoice::ucx;
    open.data = coll::DataPlace::host;
    open.key_prefix = "cairn/train/ft";
    host_comm = coll::open_backend(*job, open).comm;
  }
  try {
    train::run(opts, shard, comm.get(), {}, job ? job->store.get() : nullptr, host_comm.get());
  } catch (const std::exception& e) {
    // A rank that stops alone (rank 0 refused the checkpoint directory) must not wait in
    // the collective close for peers that are still training: abort, and the peers'
    // next collective fails on the lost rank (cairn launch stops them first).
    if (comm) comm->abort(e.what());
    if (host_comm) host_comm->abort(e.what());
    throw;
  }
  if (job) {
    host_comm.reset();  // collective
    comm.reset();
    job->finish();
  }
  return 0;
}

}  // namespace cairn::cli
