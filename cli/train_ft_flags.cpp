#include "cli/train_ft_flags.h"

#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/exposition/listen_address.h"

namespace cairn::cli {
namespace {

void add_inject_flags(po::options_description& desc, FtFlagTexts& texts) {
  desc.add_options()
      ("inject", po::value(&texts.inject)->composing(),
       "inject a fault, KIND:key=value,... (repeat for several): slow-compute, slow-link, bitflip, kill, hang, "
       "corrupt-checkpoint, disk-full (docs/ft.md)");
}

// A notifier refusing an empty value of a flag that names a file or a command.
auto not_empty(const char* flag) {
  return [flag](const std::string& v) {
    if (v.empty()) throw Error(std::string(flag) + " is empty: give a value, or leave the flag out");
  };
}

// ---- the straggler detector (ft/straggler) ----
void add_straggler_flags(po::options_description& desc, ft::StragglerOptions& o) {
  desc.add_options()
      ("straggler", po::bool_switch(&o.enabled),
       "detect slow ranks: section times scored across ranks every --straggler-every steps, confirmed by a sniff "
       "test (docs/ft.md; on with any --straggler-* output)")
      ("straggler-every", po::value(&o.every)->default_value(o.every), "steps per window: one all_gather of every rank's section medians")
      ("straggler-warmup", po::value(&o.warmup)->default_value(o.warmup), "first steps of the run not judged")
      ("straggler-baseline-windows", po::value(&o.baseline_windows)->default_value(o.baseline_windows),
       "judged windows (each with a sniff) whose median sets each rank's own baseline; after them a rank is scored "
       "on its change from that baseline (fail-slow), so a lasting difference between ranks is calibrated out")
      ("straggler-static-slowdown", po::value(&o.static_slowdown)->default_value(o.static_slowdown, "0.5"),
       "the separate, higher bar for a rank slow from the start (its baseline holds it): its slowdown across ranks, "
       "as a fraction; set it above the spread placement alone makes on your hosts")
      ("straggler-threshold", po::value(&o.thresholds.z)->default_value(o.thresholds.z, "3.5"),
       "modified z-score cut (Iglewicz-Hoaglin)")
      ("straggler-min-slowdown", po::value(&o.thresholds.min_slowdown)->default_value(o.thresholds.min_slowdown, "0.1"),
       "the least slowdown alerted, as a fraction (0.1: 10 %)")
      ("straggler-hysteresis", po::value(&o.thresholds.hysteresis)->default_value(o.thresholds.hysteresis),
       "windows in a row a rank must be out of line in before it is suspect")
      ("straggler-sniff-kib", po::value(&o.sniff_kib)->default_value(o.sniff_kib), "KiB of each sniff-test exchange")
      ("straggler-events", po::value(&o.events)->notifier(not_empty("--straggler-events")),
       "append one JSON line per alert to FILE")
      ("straggler-metrics", po::value(&o.metrics)->notifier(not_empty("--straggler-metrics")),
       "rewrite FILE after every window: per-rank scores, thresholds and totals (Prometheus textfile)")
      ("straggler-hook", po::value(&o.hook)->notifier(not_empty("--straggler-hook")),
       "run CMD (sh -c) with each alert's JSON on stdin, in the background")
      ("straggler-hook-timeout-s", po::value(&o.hook_timeout_s)->default_value(o.hook_timeout_s, "10"),
       "seconds a hook may run before it is killed")
      ("straggler-control", po::value(&o.control)->notifier(not_empty("--straggler-control")),
       "re-read FILE every window: threshold=Z, min_slowdown=F, hysteresis=N lines change them while training runs");
}

void finish_straggler_flags(ft::StragglerOptions& o) {
  if (!o.events.empty() || !o.metrics.empty() || !o.hook.empty() || !o.control.empty()) o.enabled = true;
  ft::check_straggler_options(o);
}

// ---- early warning of divergence (ft/divergence) ----
void add_divergence_flags(po::options_description& desc, ft::DivergenceOptions& o) {
  ft::SpikeThresholds& t = o.thresholds;
  desc.add_options()
      ("divergence", po::bool_switch(&o.enabled),
       "raise an alert on a loss or gradient-norm spike against the median and MAD of recent steps, and on NaN/Inf "
       "(docs/monitoring.md; on with --divergence-events or --divergence-hook)")
      ("divergence-window", po::value(&t.window)->default_value(t.window), "recent steps the baseline is taken over")
      ("divergence-warmup", po::value(&t.warmup)->default_value(t.warmup), "values in the window before a step is judged")
      ("divergence-threshold", po::value(&t.z)->default_value(t.z, "6"), "modified z-score cut (Iglewicz-Hoaglin's score)")
      ("divergence-loss-ratio", po::value(&t.loss_ratio)->default_value(t.loss_ratio, "1.25"),
       "the least loss / median alerted (1.25: 25 % above the recent median)")
      ("divergence-grad-norm-ratio", po::value(&t.grad_norm_ratio)->default_value(t.grad_norm_ratio, "5"),
       "the least gradient norm / median alerted")
      ("divergence-cooldown", po::value(&t.cooldown)->default_value(t.cooldown),
       "steps after an alert before the same series may alert again (it must also come back within bounds first)")
      ("divergence-events", po::value(&o.events)->notifier(not_empty("--divergence-events")),
       "append one JSON line per divergence alert to FILE")
      ("divergence-hook", po::value(&o.hook)->notifier(not_empty("--divergence-hook")),
       "run CMD (sh -c) with each divergence alert's JSON on stdin, in the background")
      ("divergence-hook-timeout-s", po::value(&o.hook_timeout_s)->default_value(o.hook_timeout_s, "10"),
       "seconds a divergence hook may run before it is killed");
}

void finish_divergence_flags(ft::DivergenceOptions& o) {
  if (!o.events.empty() || !o.hook.empty()) o.enabled = true;
  ft::check_divergence_options(o);
}

// ---- the metrics endpoint (common/exposition) ----
// Checked as read, so a bad port or address stops before the shard is read or a job is
// joined; a port in use is found when rank 0 binds it, before the first step.
void add_metrics_flags(po::options_description& desc, FtFlagTexts& texts) {
  desc.add_options()
      ("metrics-port", po::value<int>()->notifier([&texts](int p) {
         exposition::check_listen_port("--metrics-port", p);
         texts.metrics_port = p;
       }),
       "serve Prometheus metrics at http://ADDR:P/metrics while training runs (rank 0 of a job; 0: a free port, "
       "printed at the start; docs/monitoring.md)")
      ("metrics-addr", po::value<std::string>()->notifier([&texts](const std::string& a) {
         exposition::check_listen_addr("--metrics-addr", a);
         texts.metrics_addr = a;
       }),
       "the numeric IPv4 or IPv6 address --metrics-port listens on (default 127.0.0.1: this host only; 0.0.0.0: "
       "every interface)");
}

void finish_metrics_flags(const FtFlagTexts& texts, train::FaultToleranceOptions& o) {
  if (!texts.metrics_port) {
    if (!texts.metrics_addr.empty())
      throw Error("--metrics-addr " + texts.metrics_addr + " needs --metrics-port: give the port to listen on (0: a free one)");
    return;
  }
  exposition::ListenAddress at;
  at.port = *texts.metrics_port;
  if (!texts.metrics_addr.empty()) at.addr = texts.metrics_addr;
  o.metrics = at;
}

// ---- checksummed gradients (ft/sdc) ----
// Checked as they are read (a notifier), so a bad value stops before the shard is read
// or a job is joined.
void add_sdc_flags(po::options_description& desc, ft::SdcOptions& o) {
  desc.add_options()
      ("sdc", po::bool_switch(&o.enabled),
       "checksummed gradients: a bit-exact checked reduction replaces the all-reduce (docs/ft.md)")
      ("sdc-retries", po::value(&o.retries)->default_value(o.retries)->notifier([&o](int) { ft::check_sdc_options(o); }),
       "reductions re-run from the saved inputs after a detected fault (0 to 100)")
      ("sdc-policy", po::value<std::string>()->default_value(std::string(ft::to_string(o.policy)))
           ->notifier([&o](const std::string& s) { o.policy = ft::parse_sdc_policy(s); }),
       "after a fault the retries could not repair: skip (the step's update), rollback (stop, exit 1, to resume "
       "from the last checkpoint) or stop (exit 1, naming the rank to exclude)")
      ("sdc-param-check-every", po::value(&o.param_check_every)->default_value(0)
           ->notifier([&o](std::int64_t) { ft::check_sdc_options(o); }),
       "compare the replicas' parameter hashes every N steps (0: never)")
      ("sdc-events", po::value(&o.events)->notifier([&o](const std::string& v) {
         if (v.empty()) throw Error("--sdc-events is empty: give a value, or leave the flag out");
         ft::check_sdc_options(o);
       }),
       "append one JSON line per SDC finding (a fault detected, its repair or the policy's action) to FILE "
       "(implies --sdc)");
}

// ---- the hang watchdog (ft/watchdog) ----
void add_watchdog_flags(po::options_description& desc, ft::WatchdogOptions& o) {
  desc.add_options()
      ("watchdog-timeout", po::value(&o.timeout_s)->default_value(0)->notifier([](double s) {
         ft::check_watchdog_options(ft::WatchdogOptions{s, ""});  // refused before the shard is read
       }),
       "abort a collective in flight longer than S seconds and name the stuck operation and the ranks that never "
       "reached it (0: off; docs/ft.md)")
      ("watchdog-report", po::value(&o.report), "append the watchdog's verdict to FILE as one JSON line");
}

}  // namespace

void add_fault_tolerance_flags(po::options_description& desc, train::FaultToleranceOptions& o, FtFlagTexts& texts) {
  add_inject_flags(desc, texts);
  add_straggler_flags(desc, o.straggler);
  add_sdc_flags(desc, o.sdc);
  add_watchdog_flags(desc, o.watchdog);
  add_divergence_flags(desc, o.divergence);
  add_metrics_flags(desc, texts);
}

void finish_fault_tolerance_flags(const FtFlagTexts& texts, train::FaultToleranceOptions& o) {
  o.inject = ft::parse_fault_specs(texts.inject);
  finish_straggler_flags(o.straggler);
  finish_divergence_flags(o.divergence);
  finish_metrics_flags(texts, o);
  if (!o.sdc.events.empty()) o.sdc.enabled = true;  // an events file asks for the checks it reports
}

}  // namespace cairn::cli
