#include "cli/train_ft_flags.h"

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
void add_sdc_flags(po::options_description& desc, ft::SdcOptions& o) {
  (void)desc;
  (void)o;
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
