// Checked gradients (ft/sdc, docs/ft.md "Checksummed gradients") in a training run:
//   --sdc              the checked reduction replaces the gradient all-reduce; a fault it
//                      cannot repair in --sdc-retries re-runs meets --sdc-policy
//   --sdc-param-check-every N
//                      every N steps the replicas compare a hash of their parameters
//                      (with or without --sdc)
//   --inject bitflip:  the flip lands where it says, with or without --sdc: without it the
//                      gradients take the same data path (alltoall, owner sums, all-gather)
//                      with every check off, so a test sees what an unchecked run suffers.
// On one rank there is no reduction and nothing to compare: the gradients are checked for
// NaN/Inf after backward (on a GPU by the fingerprint kernel, ft/sdc/fingerprint_cuda.h,
// one read of the gradients in device memory), and a flip (gradient or reduced: the same
// buffer there) lands in them after backward.
// The checked reduction, the replicas' check and the host names go through the job's
// host-memory communicator (FtJob::host_comm): on NCCL the gradients travel through host
// copies (correct, slower than NCCL's all-reduce; the device-memory reduction is the
// multi-GPU issue's).
// Findings and actions are printed by rank 0 (every rank holds the same reports), one
// line each on stderr: "sdc: step N: ...", N as the progress table numbers steps.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/append_lines.h"
#include "common/error.h"
#include "common/exposition/prometheus_text.h"
#include "common/json_io.h"
#include "ft/sdc/bit_flips.h"
#include "ft/sdc/checked_reduction.h"
#include "ft/sdc/replica_check.h"
#include "train/fault_tolerance.h"

#if defined(CAIRN_HAVE_CUDA)
#include "ft/sdc/fingerprint_cuda.h"
#endif

namespace cairn::train {
namespace {

// The bit_flip faults of this start of the job, whichever rank they name: a transit flip
// is applied by the owner of the element, not by the rank it names.
std::vector<ft::FaultSpec> bit_flips_of_this_start(const std::vector<ft::FaultSpec>& faults) {
  std::vector<ft::FaultSpec> out;
  const int attempt = ft::current_attempt();
  for (const auto& f : faults)
    if (f.kind == ft::FaultKind::bit_flip && f.applies(f.rank, attempt)) out.push_back(f);
  return out;
}

// Every rank's host name, for a verdict that names a rank to exclude (collective).
std::vector<std::string> host_names(coll::Communicator& comm, const std::string& mine) {
  std::array<char, 64> name{};
  std::memcpy(name.data(), mine.data(), std::min(mine.size(), name.size() - 1));
  std::vector<std::array<char, 64>> all(static_cast<std::size_t>(comm.size()));
  comm.all_gather(name.data(), all.data(), name.size(), coll::DataType::u8).wait();
  std::vector<std::string> out;
  for (auto& a : all) {
    a.back() = '\0';
    out.emplace_back(a.data());
  }
  return out;
}

class CheckedGradients final : public FtLayer {
 public:
  CheckedGradients(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks)
      : options_(o.sdc), job_(job), flips_(bit_flips_of_this_start(o.inject), job.rank) {
    ft::check_sdc_options(options_);
    publish();  // 0 from the start, not missing until a fault
    if (job.rank == 0 && !options_.events.empty())
      events_ = std::make_unique<AppendLines>(options_.events, "--sdc-events");
    if (!job.comm) {
      for (const auto& f : bit_flips_of_this_start(o.inject))
        if (f.where == ft::FlipSite::transit)
          throw Error("--inject " + f.text + ": a transit flip needs a data-parallel job (one rank reduces nothing); "
                      "use where=gradient or where=reduced, or run under cairn launch -n 2 or more");
      hooks.after_backward.emplace_back([this](std::int64_t step, Model& model) { after_backward_alone(step, model); });
      return;
    }
    if (!job.host_comm)
      throw Error("--sdc: the job has no host-memory communicator for the checked reduction (internal: "
                  "FtJob::host_comm is unset)");
    if (options_.enabled || options_.param_check_every > 0) hosts_ = host_names(*job.host_comm, job.host);
    if (options_.enabled || !flips_.empty()) {
      reduction_ = std::make_unique<ft::CheckedReduction>(*job.host_comm, options_.retries);
      hooks.reduce_gradients = [this](std::int64_t step, Model& model, double weight) {
        return reduce(step, model, weight);
      };
    }
    if (options_.param_check_every > 0) {  // with or without --sdc: it needs no checked reduction
      hooks.before_reduce.emplace_back([this](std::int64_t, Model& model) { model_ = &model; });
      hooks.after_step.emplace_back([this](const StepResult& r) { check_replicas(r.step); });
    }
  }

 private:
  // The model's gradients in host memory (a GPU model's through a copy).
  float* host_gradients(Model& model) {
    if (!model.gradients_on_device()) return model.gradients();
    host_.resize(static_cast<std::size_t>(model.layout().total_elements()));
    model.get_gradients(host_.data());
    return host_.data();
  }
  void put_back(Model& model) {
    if (model.gradients_on_device()) model.set_gradients(host_.data());
  }
  void say(std::int64_t step, const std::string& line) const {
    if (job_.rank == 0) std::fprintf(stderr, "sdc: step %lld: %s\n", static_cast<long long>(step + 1), line.c_str());
  }
  // One JSON line on rank 0 (--sdc-events): step (1-based, as the progress table), the
  // check, what was done, and its findings and ranks. Counted for the metrics endpoint.
  void event(std::int64_t step, const char* check, const std::string& action, Json detail) {
    ++findings_[{check, action}];
    publish();
    if (!events_) return;
    detail["schema"] = "cairn.sdc.event";
    detail["schema_version"] = 1;
    detail["step"] = step + 1;
    detail["check"] = check;
    detail["action"] = action;
    events_->append(detail.dump(), [](const std::string& line) { std::fprintf(stderr, "sdc: %s\n", line.c_str()); });
  }
  // The findings so far (rank 0, with --metrics-port): every one, and by check and action.
  void publish() const {
    if (!job_.metrics) return;
    std::string out;
    long total = 0;
    for (const auto& [key, n] : findings_) total += n;
    exposition::add_sample(out, "cairn_sdc_faults_total", "counter",
                           "Faults the gradient checks found (checksummed reduction, NaN/Inf, replica hashes), repaired or not.",
                           static_cast<double>(total));
    exposition::add_family(out, "cairn_sdc_findings_total", "counter", "The same faults, by check and by what was done.");
    for (const auto& [key, n] : findings_)
      out += fmt::format("cairn_sdc_findings_total{{check=\"{}\",action=\"{}\"}} {}\n", exposition::label_value(key.first),
                         exposition::label_value(key.second), n);
    job_.metrics->publish("sdc", std::move(out));
  }
  // Rank r's host name; empty when unknown (the names are gathered only with --sdc or the
  // replicas' check).
  std::string host_of(int r) const {
    return r >= 0 && static_cast<std::size_t>(r) < hosts_.size() ? hosts_[static_cast<std::size_t>(r)] : "";
  }
  Json ranks_json(const std::vector<int>& ranks) const {
    Json out = Json::array();
    for (int r : ranks) out.push_back({{"rank", r}, {"host", host_of(r)}});
    return out;
  }
  std::string rank_and_host(int r) const {
    const std::string host = host_of(r);
    return host.empty() ? fmt::format("rank {}", r) : fmt::format("rank {} (host {})", r, host);
  }

  // Every rank stops at the same point with the same error; none may leave before all
  // have left the reduction's collectives: the first to go aborts the communicator
  // (cli/cmd_train.cpp), which would fail a peer still finishing the last all-gather
  // with a second, different error (exit 2). The store's barrier, unlike a collective,
  // is passed by anyone only once everyone has entered it.
  [[noreturn]] void stop_together(const char* check, std::int64_t step, const std::string& why) const {
    if (job_.store) job_.store->barrier(fmt::format("cairn/sdc/stop/{}/{}", check, step), job_.world);
    else if (job_.host_comm) job_.host_comm->barrier().wait();
    throw CheckFailed(why);
  }

  bool reduce(std::int64_t step, Model& model, double weight) {
    const auto n = static_cast<std::size_t>(model.layout().total_elements());
    if (!checked_elements_) {
      flips_.check_elements(n);  // the same answer on every rank: all throw, none waits
      checked_elements_ = true;
    }
    float* g = host_gradients(model);
    const ft::ReductionTaps taps = flips_.taps(step, n);
    if (!options_.enabled) {
      reduction_->reduce_unchecked(g, n, weight, taps);
      put_back(model);
      return true;
    }
    const ft::ReductionOutcome out = reduction_->reduce(g, n, weight, taps);
    for (const std::string& f : out.findings) say(step, f);
    const Json detail = {{"verified", out.verified}, {"retries", out.retries},
                         {"inputs_nonfinite", out.inputs_nonfinite}, {"findings", out.findings},
                         {"suspects", ranks_json(out.suspects)}};
    if (out.verified) {
      if (!out.findings.empty()) event(step, "reduction", out.retries > 0 ? "repaired" : "none", detail);
      put_back(model);
      if (out.retries > 0)
        say(step, fmt::format("repaired by retry {} from the saved inputs: the reduced gradients are bitwise "
                              "verified on all {} ranks",
                              out.retries, job_.world));
      return true;
    }
    // The error names the last finding (the lines above have them all), without its attempt.
    std::string last = out.findings.empty() ? std::string("a check failed") : out.findings.back();
    if (last.rfind("attempt ", 0) == 0 && last.find(": ") != std::string::npos) last = last.substr(last.find(": ") + 2);
    const std::string what =
        out.inputs_nonfinite
            ? last
            : fmt::format("{}; not repaired by {} retr{}", last, out.retries, out.retries == 1 ? "y" : "ies");
    event(step, "reduction", std::string(ft::to_string(options_.policy)), detail);
    switch (options_.policy) {
      case ft::SdcPolicy::skip:
        say(step, what + ": skipping this step's update on every rank (weights and AdamW moments unchanged; "
                         "--sdc-policy skip)");
        return false;
      case ft::SdcPolicy::rollback:
        stop_together("reduction", step, fmt::format("sdc: step {}: {}: stopped to roll back; resume from "
                                      "the last checkpoint with --resume (cairn launch --max-restarts does it)",
                                      step + 1, what));
      case ft::SdcPolicy::stop: {
        std::string who = "no rank to blame (the faults were in communication)";
        if (!out.suspects.empty()) {
          who = "exclude " + rank_and_host(out.suspects.front());
          for (std::size_t i = 1; i < out.suspects.size(); ++i) who += " and " + rank_and_host(out.suspects[i]);
        }
        stop_together("reduction", step, fmt::format("sdc: step {}: {}: stopped; {}, then resume from the last checkpoint with "
                                      "--resume",
                                      step + 1, what, who));
      }
    }
    return false;
  }

  // One rank: nothing to compare; NaN/Inf after backward stops the run by name.
  void after_backward_alone(std::int64_t step, Model& model) {
    const auto n = static_cast<std::size_t>(model.layout().total_elements());
    if (!checked_elements_) {
      flips_.check_elements(n);
      checked_elements_ = true;
    }
    const ft::ReductionTaps taps = flips_.taps(step, n);
    if (taps.gradient || taps.reduced) {
      float* g = host_gradients(model);
      taps.gradient(0, g, n);
      taps.reduced(0, g, n);
      put_back(model);
    }
    if (!options_.enabled) return;
    if (nonfinite_count(model, n) == 0) return;
    const float* g = host_gradients(model);  // a fault: find the first bad element on the host
    std::size_t bad = 0, first = n;
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(g[i])) {
        if (bad++ == 0) first = i;
      }
    if (bad > 0) {
      event(step, "nonfinite_after_backward", "stop", {{"count", bad}, {"first_element", first}});
      throw CheckFailed(fmt::format("sdc: step {}: the gradients hold {} NaN/Inf value{} after backward (the first "
                                    "at element {}): a fault in this rank's computation, or the run diverged; resume "
                                    "from the last checkpoint with --resume",
                                    step + 1, bad, bad == 1 ? "" : "s", first));
    }
  }

  // NaN/Inf among the n gradients, counted where they live.
  static std::uint64_t nonfinite_count(Model& model, std::size_t n) {
#if defined(CAIRN_HAVE_CUDA)
    if (model.gradients_on_device()) return ft::device_fingerprint(model.gradients(), n, model.stream()).nonfinite;
#endif
    const float* g = model.gradients();
    std::uint64_t bad = 0;
    for (std::size_t i = 0; i < n; ++i) bad += std::isfinite(g[i]) ? 0 : 1;
    return bad;
  }

  void check_replicas(std::int64_t step) {
    if ((step + 1) % options_.param_check_every != 0 || !model_) return;
    if (model_->gradients_on_device()) model_->sync_state();  // the weights live on the GPU
    const auto& p = model_->state().params;
    const ft::ReplicaVerdict v = ft::compare_replicas(*job_.host_comm, p.data(), p.size());
    if (v.agree) return;
    std::string who = rank_and_host(v.differing.front());
    for (std::size_t i = 1; i < v.differing.size(); ++i) who += ", " + rank_and_host(v.differing[i]);
    say(step, fmt::format("the parameters of {} differ from the other replicas' (XXH3 {:016x} on the rest)", who,
                          v.majority));
    event(step, "replicas", "stop", {{"differing", ranks_json(v.differing)}, {"majority_xxh3", fmt::format("{:016x}", v.majority)}});
    stop_together("parameters", step, fmt::format("sdc: after step {} the parameters of {} differ from the other replicas': stopped; "
                                  "resume from the last checkpoint with --resume",
                                  step + 1, who));
  }

  ft::SdcOptions options_;
  FtJob job_;
  ft::BitFlipPlan flips_;
  std::unique_ptr<ft::CheckedReduction> reduction_;
  std::vector<std::string> hosts_;
  std::vector<float> host_;
  Model* model_ = nullptr;
  bool checked_elements_ = false;
  std::unique_ptr<AppendLines> events_;  // rank 0, --sdc-events
  std::map<std::pair<std::string, std::string>, long> findings_;  // (check, action): count
};

}  // namespace

bool checks_gradients(const FaultToleranceOptions& o) {
  return o.sdc.enabled || o.sdc.param_check_every > 0 || !bit_flips_of_this_start(o.inject).empty();
}

std::unique_ptr<FtLayer> attach_checked_gradients(const FaultToleranceOptions& o, const FtJob& job,
                                                  TrainHooks& hooks) {
  if (!checks_gradients(o)) return nullptr;
  return std::make_unique<CheckedGradients>(o, job, hooks);
}

}  // namespace cairn::train
