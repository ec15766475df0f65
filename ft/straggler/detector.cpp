#include "ft/straggler/detector.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "common/append_lines.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "ft/straggler/metrics.h"
#include "ft/alerting/robust_stats.h"

namespace cairn::ft {
namespace {

using Clock = std::chrono::steady_clock;

// Windows whose job-wide median collectives time is the baseline a later rise is
// measured against (a link that slows every rank's ring alike shows only there).
constexpr std::size_t kBaselineWindows = 3;
// Probes and exchanges per sniff (the least of these counts).
constexpr int kSniffReps = 3;
// Bytes a rank's host name and bus id take in their all_gather.
constexpr std::size_t kTextBytes = 64;
// Window payload: the section times, then rank 0's thresholds.
constexpr std::size_t kPayload = kSections + 3;
// Windows of this rank's own statistics its noise floor is measured over (the latest).
constexpr std::size_t kNoiseWindows = 256;

double ms(double s) { return s * 1e3; }

}  // namespace

StragglerDetector::StragglerDetector(coll::Communicator& comm, StragglerOptions options, StragglerIdentity me,
                                     StragglerProbes probes, StragglerLog log, coll::Communicator* observed)
    : comm_(comm),
      observed_(observed ? *observed : comm),
      o_(std::move(options)),
      me_(std::move(me)),
      probes_(std::move(probes)),
      log_(std::move(log)),
      timer_(std::make_shared<CollectiveTimer>()),
      hysteresis_(comm.size()),
      baselines_(comm.size(), options.baseline_windows),
      alerted_(static_cast<std::size_t>(comm.size())),
      link_count_(static_cast<std::size_t>(comm.size()), 0),
      thresholds_(o_.thresholds) {
  if (comm_.memory() != coll::MemoryKind::host)
    throw Error("--straggler: the detector runs on a host-memory communicator only (--backend ucx) for now; "
                "drop --straggler-* or train with --backend ucx");
  if (o_.every < 1) o_.every = 1;
  if (comm_.rank() == 0) {
    if (!o_.events.empty()) events_ = std::make_unique<AppendLines>(o_.events, "--straggler-events");
    if (!o_.control.empty()) control_ = std::make_unique<ControlFile>(o_.control);
    if (!o_.hook.empty())
      hook_ = std::make_unique<HookRunner>(
          o_.hook, std::chrono::milliseconds(static_cast<long long>(o_.hook_timeout_s * 1e3)), log_);
  }
  observed_.add_observer(timer_);
}

StragglerDetector::~StragglerDetector() {
  observed_.remove_observer(timer_.get());
  hook_.reset();  // waits for a running hook, at most its timeout
}

void StragglerDetector::begin_step() { timer_->take(); }

void StragglerDetector::end_step(std::int64_t step, SectionTimes t) {
  t[static_cast<std::size_t>(Section::collectives)] = timer_->take();
  if (judged_steps_ < o_.warmup) {  // counted per run, not by step index: a resumed run warms up too
    ++judged_steps_;
    return;
  }
  ++judged_steps_;
  window_.add(t);
  if (window_.steps() >= static_cast<std::size_t>(o_.every)) judge_window(step);
}

std::vector<std::string> StragglerDetector::gather_text(const std::string& mine) {
  std::vector<char> out(kTextBytes, '\0'), all(kTextBytes * static_cast<std::size_t>(comm_.size()));
  std::memcpy(out.data(), mine.data(), std::min(mine.size(), kTextBytes - 1));
  comm_.all_gather(out.data(), all.data(), kTextBytes, coll::DataType::u8).wait();
  std::vector<std::string> texts;
  for (int r = 0; r < comm_.size(); ++r) {
    const char* p = all.data() + kTextBytes * static_cast<std::size_t>(r);
    texts.emplace_back(p, strnlen(p, kTextBytes));
  }
  return texts;
}

void StragglerDetector::learn_identities() {
  hosts_ = gather_text(me_.host);
  buses_ = gather_text(me_.gpu_bus_id.empty() ? std::string("none") : me_.gpu_bus_id);
}

void StragglerDetector::judge_window(std::int64_t step) {
  const auto t0 = Clock::now();
  const int n = comm_.size();
  const SectionTimes mine = window_.least();
  window_.clear();
  if (own_windows_.size() == kNoiseWindows) own_windows_.erase(own_windows_.begin());
  own_windows_.push_back(mine);
  StragglerThresholds asked = o_.thresholds;
  if (control_) asked = control_->read(o_.thresholds, log_);
  std::vector<double> payload(mine.begin(), mine.end());
  payload.insert(payload.end(), {asked.z, asked.min_slowdown, static_cast<double>(asked.hysteresis)});
  std::vector<double> all(kPayload * static_cast<std::size_t>(n));
  comm_.all_gather(payload.data(), all.data(), kPayload, coll::DataType::f64).wait();
  std::vector<SectionTimes> per_rank(static_cast<std::size_t>(n));
  for (std::size_t r = 0; r < per_rank.size(); ++r)
    std::copy_n(all.begin() + static_cast<std::ptrdiff_t>(kPayload * r), kSections, per_rank[r].begin());
  thresholds_ = {all[kSections], all[kSections + 1], static_cast<int>(all[kSections + 2])};  // rank 0's
  const StragglerThresholds& thr = thresholds_;
  ++windows_;
  if (windows_ == 1) learn_identities();

  // Two scores (docs/ft.md, "Scores"). The change: each rank's times divided by its own
  // baseline ratio (baseline.h), scored across ranks, once the baseline is set: a fail-slow
  // starts during the run, and placement's lasting spread is calibrated out. The plain
  // score: the raw times across ranks against the higher --straggler-static-slowdown bar,
  // for a rank slow from the start (its baseline holds the slowdown).
  const WindowScores plain = score_window(per_rank);
  WindowScores scores = baselines_.ready() ? score_window(baselines_.normalise(per_rank)) : plain;
  StragglerThresholds static_thr = thr;
  static_thr.min_slowdown = std::max(thr.min_slowdown, o_.static_slowdown);
  const auto from_start = classify_window(plain, static_thr);
  // The change is gated by its size (--straggler-min-slowdown), its cost (the step share),
  // H windows in a row and the sniff, not by the z cut: the MAD of 4 ranks' normalised
  // times is the window-to-window noise of 3 of them, which put a 25 % change at z 1.2-9
  // on the 2-core VM; the z cut stays on the plain score.
  StragglerThresholds change_thr = thr;
  change_thr.z = 0;
  auto candidates = baselines_.ready() ? classify_window(scores, change_thr) : decltype(from_start)(per_rank.size());
  std::vector<bool> static_bar(per_rank.size(), false), in_line(per_rank.size(), true);
  for (std::size_t r = 0; r < candidates.size(); ++r) {
    if (!candidates[r] && from_start[r]) {
      candidates[r] = from_start[r];
      static_bar[r] = true;
    }
    in_line[r] = !candidates[r];
  }
  const bool baseline_window = !baselines_.ready();
  baselines_.learn(per_rank, in_line);  // the first B windows, then only the ranks in line
  hysteresis_.update(candidates);
  streak_.resize(per_rank.size());
  for (int r = 0; r < n; ++r) {
    auto& run = streak_[static_cast<std::size_t>(r)];
    const auto& c = candidates[static_cast<std::size_t>(r)];
    if (!c || hysteresis_.count(r) <= 1) run.clear();
    if (c) run.push_back(c->slowdown);
  }
  bool waited_for = false;
  for (int r = 0; r < n; ++r) {
    const auto& c = candidates[static_cast<std::size_t>(r)];
    if (c && c->type != VerdictType::link) waited_for = true;
    auto& a = alerted_[static_cast<std::size_t>(r)];
    if (!c && a && *a != VerdictType::link) a.reset();  // cleared: a new slowdown alerts again
  }

  // The job's collectives against its own start: a link every rank's ring crosses slows
  // them all alike, which no comparison across ranks can see.
  const double job_collectives = plain.median[static_cast<std::size_t>(Section::collectives)];
  if (baseline_collectives_.size() < kBaselineWindows) {
    baseline_collectives_.push_back(job_collectives);
  } else {
    const double base = median_of(baseline_collectives_);
    const bool rose = base > 0 && job_collectives > base * (1 + std::max(thr.min_slowdown, kLinkSlowdownFloor));
    job_link_count_ = rose && !waited_for ? job_link_count_ + 1 : 0;
  }

  std::vector<int> suspects;
  for (int r = 0; r < n; ++r) {
    const auto& c = candidates[static_cast<std::size_t>(r)];
    if (c && hysteresis_.suspect(r, thr.hysteresis) && alerted_[static_cast<std::size_t>(r)] != c->type)
      suspects.push_back(r);
  }
  const bool sniff = baseline_window || link_pending_ || !suspects.empty() || job_link_count_ >= thr.hysteresis;
  if (sniff) {
    ++sniffs_;
    const SniffTimes st = run_sniff(comm_, probes_.compute, static_cast<std::size_t>(o_.sniff_kib) << 10, kSniffReps);
    const auto link = find_slow_link(st, thr.min_slowdown);
    const auto touches_link = [&](int r) { return link && (link->rank == r || link->peer == r); };

    std::vector<Alert> raised;
    for (int r : suspects) {
      const Candidate& c = *candidates[static_cast<std::size_t>(r)];
      const bool fixed = static_bar[static_cast<std::size_t>(r)];
      const WindowScores& sc = fixed ? plain : scores;
      const auto& rs = sc.ranks[static_cast<std::size_t>(r)];
      const auto sec = static_cast<std::size_t>(c.section);
      // The probe against the other ranks' in the same sniff, not against the rank's own
      // probe baseline: the probe's placement moves from sniff to sniff (one rank at a
      // time runs it while the others wait at a barrier; on the 2-core VM a rank's probe
      // took 0.37 or 0.7 ms by where the waiters ran), so a baseline of the first 3 sniffs
      // was off by up to 1.6x and refused the real straggler (measured; docs/ft.md).
      const double probe = probe_slowdown(st, r);
      bool confirmed = false;
      std::string evidence =
          fixed ? fmt::format("{} at least {:.3f} ms a step over the last {} steps vs {:.3f} ms, the median across ranks "
                              "(modified z {:.1f}, {} windows in a row; slow from the start, past the static bar "
                              "{:.0f} %)",
                              to_string(c.section), ms(per_rank[static_cast<std::size_t>(r)][sec]), o_.every,
                              ms(plain.median[sec]), rs.z[sec], hysteresis_.count(r), static_thr.min_slowdown * 100)
                : fmt::format("{} at least {:.3f} ms a step over the last {} steps vs {:.3f} ms, the median across "
                              "ranks: {:.2f}x the median against its own baseline of {:.2f}x (modified z {:.1f} of the "
                              "change, {} windows in a row)",
                              to_string(c.section), ms(per_rank[static_cast<std::size_t>(r)][sec]), o_.every,
                              ms(plain.median[sec]), RankBaselines::ratios_of(per_rank)[static_cast<std::size_t>(r)][sec],
                              baselines_.of(r)[sec], rs.z[sec], hysteresis_.count(r));
      if (c.type == VerdictType::compute) {
        // The probe must name the same rank: the largest probe change of all, past the
        // least slowdown (for a rank slow from the start: past half the static bar).
        bool largest = true;
        for (int q = 0; q < n; ++q)
          if (q != r && probe_slowdown(st, q) >= probe) largest = false;
        confirmed = largest && probe > (fixed ? static_thr.min_slowdown / 2 : thr.min_slowdown);
        evidence += fmt::format("; sniff GEMM probe {:+.1f} % vs the other ranks", probe * 100);
      } else if (c.type == VerdictType::data) {
        confirmed = probe < thr.min_slowdown / 2 && !touches_link(r);
        evidence += fmt::format("; sniff GEMM probe {:+.1f} % and its exchanges in line: it waits for its batches",
                                probe * 100);
      }  // a link candidate is confirmed (or not) by the exchanges below
      if (c.type == VerdictType::link) continue;
      if (!confirmed) {
        ++unconfirmed_;
        hysteresis_.reset(r);
        streak_[static_cast<std::size_t>(r)].clear();
        // Its own compute is as it was: the change was the host's (the scheduler moved
        // it), so the new level becomes its baseline rather than a suspicion every H windows.
        if (!fixed) baselines_.rebase(per_rank, r);
        continue;
      }
      Alert a;
      a.step = step;
      a.rank = r;
      a.section = c.section;
      a.type = c.type;
      // The median over the windows that made it suspect: one window's least of 3 steps
      // moves by ~10 % on a shared host, the median of H of them less.
      a.slowdown = median_of(streak_[static_cast<std::size_t>(r)]);
      a.z = c.z;
      a.windows = hysteresis_.count(r);
      a.evidence = std::move(evidence);
      a.details = {{"section_ms", ms(per_rank[static_cast<std::size_t>(r)][sec])},
                   {"median_ms", ms(plain.median[sec])},
                   {"baseline_ratio", baselines_.of(r)[sec]},
                   {"from_start", fixed},
                   {"probe_slowdown", probe},
                   {"probe_ms", ms(st.probe_s[static_cast<std::size_t>(r)])}};
      raised.push_back(std::move(a));
    }
    // Clock-event reasons only when a compute alert is to name them (collective: every
    // rank knows whether one is, from the same numbers).
    const bool any_compute = std::any_of(raised.begin(), raised.end(), [](const Alert& a) { return a.type == VerdictType::compute; });
    if (any_compute) {
      const auto causes = gather_text(probes_.clock_events ? probes_.clock_events() : std::string());
      for (auto& a : raised)
        if (a.type == VerdictType::compute) {
          const std::string& cause = causes[static_cast<std::size_t>(a.rank)];
          a.cause = cause.empty() ? "none" : cause;
          a.evidence += "; clock events: " + a.cause;
        }
    }
    if (link) {
      for (int q = 0; q < n; ++q) link_count_[static_cast<std::size_t>(q)] = q == link->rank ? link_count_[static_cast<std::size_t>(q)] + 1 : 0;
      const int count = link_count_[static_cast<std::size_t>(link->rank)];
      auto& a_state = alerted_[static_cast<std::size_t>(link->rank)];
      link_pending_ = a_state != VerdictType::link;
      if (count >= thr.hysteresis && a_state != VerdictType::link) {
        Alert a;
        a.step = step;
        a.rank = link->rank;
        a.section = Section::collectives;
        a.type = VerdictType::link;
        a.slowdown = link->slowdown;
        a.z = plain.ranks[static_cast<std::size_t>(link->rank)].z[static_cast<std::size_t>(Section::collectives)];
        a.windows = count;
        a.peer = link->peer;
        const std::string peers = link->peer >= 0 ? fmt::format("rank {}", link->peer)
                                                  : fmt::format("ranks {} and {}", link->left, link->right);
        a.evidence = fmt::format(
            "sniff exchanges of {} KiB with {} take {:.3f} ms vs {:.3f} ms on the ring's other edges ({} sniffs in a "
            "row); job collectives median {:.3f} ms a step",
            o_.sniff_kib, peers, ms(link->exchange_s), ms(link->reference_s), count, ms(job_collectives));
        a.details = {{"exchange_ms", ms(link->exchange_s)},
                     {"reference_ms", ms(link->reference_s)},
                     {"left", link->left},
                     {"right", link->right},
                     {"edge_ms", Json::array()}};
        for (double e : st.edge_s) a.details["edge_ms"].push_back(ms(e));
        raised.push_back(std::move(a));
        link_pending_ = false;
      }
    } else {
      std::fill(link_count_.begin(), link_count_.end(), 0);
      link_pending_ = false;
      for (auto& a : alerted_)
        if (a == VerdictType::link) a.reset();  // the exchanges are in line again
    }
    if (job_link_count_ >= thr.hysteresis && !link) {
      ++unconfirmed_;
      job_link_count_ = 0;
    }
    for (int r : suspects)
      if (candidates[static_cast<std::size_t>(r)]->type == VerdictType::link && !(link && link->rank == r)) {
        ++unconfirmed_;
        hysteresis_.reset(r);
      }
    for (auto& a : raised) {
      alerted_[static_cast<std::size_t>(a.rank)] = a.type;
      raise(std::move(a));
    }
  }
  scores.times = per_rank;  // the metrics show the times as measured, the scores of the change
  last_ = std::move(scores);
  write_metrics(step);
  overhead_s_ += std::chrono::duration<double>(Clock::now() - t0).count();
}

SectionTimes StragglerDetector::noise_floor() const {
  SectionTimes out{};
  if (own_windows_.size() < 3) return out;
  for (std::size_t s = 0; s < kSections; ++s) {
    std::vector<double> v;
    v.reserve(own_windows_.size());
    for (const auto& w : own_windows_) v.push_back(w[s]);
    const double med = median_of(v);
    out[s] = med > 0 ? 1.4826 * mad_of(v) / med : 0;
  }
  return out;
}

void StragglerDetector::raise(Alert a) {
  a.host = a.rank < static_cast<int>(hosts_.size()) ? hosts_[static_cast<std::size_t>(a.rank)] : std::string();
  a.gpu_bus_id = a.rank < static_cast<int>(buses_.size()) ? buses_[static_cast<std::size_t>(a.rank)] : "none";
  alerts_.push_back(a);
  if (comm_.rank() != 0) return;
  if (log_) log_(alert_line(a));
  const std::string line = alert_json(a).dump();
  if (events_) events_->append(line, log_);
  if (hook_) hook_->run(line + "\n");
}

void StragglerDetector::write_metrics(std::int64_t step) {
  const bool to_file = !o_.metrics.empty() && !metrics_failed_;
  if (comm_.rank() != 0 || (!to_file && !publish_)) return;
  MetricsSnapshot m;
  m.step = step;
  m.scores = last_ ? &*last_ : nullptr;
  m.hosts = &hosts_;
  m.thresholds = thresholds_;
  m.alerts = static_cast<long>(alerts_.size());
  m.sniffs = sniffs_;
  m.unconfirmed = unconfirmed_;
  m.windows = windows_;
  m.overhead_s = overhead_s_;
  const SectionTimes noise = noise_floor();
  m.noise_floor = &noise;
  try {
    std::string text = render_metrics(m);
    if (!to_file) return publish_(std::move(text));
    if (publish_) publish_(text);
    AtomicFile f(o_.metrics, AtomicFile::Sync::none);  // a scrape reads it whole; no fsync per window
    f.write(text.data(), text.size());
    f.commit();
  } catch (const std::exception& e) {
    metrics_failed_ = true;
    if (log_) log_(std::string(e.what()) + "; no further metrics are written, training goes on");
  }
}

}  // namespace cairn::ft
