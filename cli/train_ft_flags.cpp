#include "cli/train_ft_flags.h"

#include <cstdint>
#include <string>

namespace cairn::cli {
namespace {

void add_inject_flags(po::options_description& desc, FtFlagTexts& texts) {
  desc.add_options()
      ("inject", po::value(&texts.inject)->composing(),
       "inject a fault, KIND:key=value,... (repeat for several): slow-compute, slow-link, bitflip, kill, hang, "
       "corrupt-checkpoint, disk-full (docs/ft.md)");
}

// ---- the straggler detector (ft/straggler) ----
void add_straggler_flags(po::options_description& desc, ft::StragglerOptions& o) {
  (void)desc;
  (void)o;
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
       "compare the replicas' parameter hashes every N steps (0: never)");
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
}

void finish_fault_tolerance_flags(const FtFlagTexts& texts, train::FaultToleranceOptions& o) {
  o.inject = ft::parse_fault_specs(texts.inject);
}

}  // namespace cairn::cli
