#include "tuner/plugin/tuner_context.h"

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <dlfcn.h>
#include <sys/stat.h>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/env_knobs.h"
#include "common/error.h"
#include "common/untrusted_text.h"
#include "tuner/plugin/sweep_state.h"
#include "tuner/profile/profile.h"
#include "tuner/profile/topology_hash.h"

namespace cairn::tuner::plugin {
namespace {

constexpr const char* kPrefix = "TUNER/Cairn: ";

// What was logged for one slot (a cell, or a gap between cells) of one collective.
enum LoggedBit : std::uint8_t {
  kLoggedApplied = 1,
  kLoggedDisabled = 2,
  kLoggedDefaultStays = 4,
  kLoggedNoRule = 8,
  kLoggedOutsideTable = 16,
};

// One collective's rules: rule_ranges() of the profile for this communicator, and one
// slot of log bits per range (odd slots) and per gap around them (even slots).
struct FuncRules {
  std::vector<RuleRange> ranges;
  std::unique_ptr<std::atomic<std::uint8_t>[]> logged;
};

}  // namespace

struct Context {
  nccl_abi::Logger log = nullptr;
  std::size_t nranks = 0, nnodes = 0;
  std::string source;  // the profile's path
  Profile profile;
  std::array<FuncRules, nccl_abi::kNumFunctions> rules;
  std::size_t rule_count = 0;
  std::atomic<bool> logged_other_func{false};
  std::atomic<std::uint64_t> logged_sweep{0};
};

namespace {

void emit(const Context* ctx, nccl_abi::LogLevel level, unsigned long flags, const std::string& message) {
  if (!ctx || !ctx->log) return;
  // The message goes as an argument, never as the format: a path may hold a '%'.
  ctx->log(level, flags, __FILE__, __LINE__, "%s",
           (kPrefix + one_line(message, kMaxErrorLineBytes)).c_str());
}

// A bad profile is warned about once a process: NCCL opens the plugin for every
// communicator (a framework splits many), and the same warning each time is noise. The
// later ones go to INFO, so NCCL_DEBUG=INFO still shows every communicator's state.
void warn_once(const Context* ctx, const std::string& message) {
  static std::mutex mu;
  static std::set<std::string> warned;
  bool first = false;
  {
    std::lock_guard lock(mu);
    first = warned.insert(message).second;
  }
  emit(ctx, first ? nccl_abi::log_warn : nccl_abi::log_info, nccl_abi::kLogInit | nccl_abi::kLogTuning,
       first ? message : message + " (warned before, for another communicator)");
}

bool first_time(std::atomic<std::uint8_t>& slot, std::uint8_t bit) {
  return !(slot.fetch_or(bit, std::memory_order_relaxed) & bit);
}

// This process's NCCL version (NCCL_VERSION_CODE), from ncclGetVersion (nccl.h): first
// among the global symbols, then in the library that holds NCCL's logger (a framework
// may have loaded libnccl RTLD_LOCAL).
std::optional<int> process_nccl_version(nccl_abi::Logger log) {
  using GetVersion = int (*)(int*);
  void* sym = dlsym(RTLD_DEFAULT, "ncclGetVersion");
  Dl_info info{};
  if (!sym && log && dladdr(reinterpret_cast<void*>(log), &info) && info.dli_fname) {
    if (void* lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD)) {
      sym = dlsym(lib, "ncclGetVersion");
      dlclose(lib);  // NOLOAD took a reference to a library that stays loaded
    }
  }
  int version = 0;
  if (!sym || reinterpret_cast<GetVersion>(sym)(&version) != 0) return std::nullopt;
  return version;
}

// The checks of open_context, as errors naming the profile; the caller makes them the WARN.
void load_profile(Context& ctx, const std::string& path) {
  ctx.source = path;
  // A FIFO would block NCCL's init until a writer came (read_text_file reads one as cat does).
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    fail(path, "not a regular file; CAIRN_TUNER_PROFILE names the profile.json cairn tune wrote");
  Profile p = read_profile_file(path);
  if (p.backend != "nccl")
    fail(path, "is a " + p.backend + " profile; the NCCL tuner plugin applies nccl profiles (cairn tune --backend nccl)");
  if (p.nranks != static_cast<long long>(ctx.nranks) || p.nnodes != static_cast<long long>(ctx.nnodes))
    fail(path, fmt::format("was measured on {} ranks over {} nodes; this communicator has {} ranks over {} nodes "
                           "(tune at this scale, or leave CAIRN_TUNER_PROFILE unset for it)",
                           p.nranks, p.nnodes, ctx.nranks, ctx.nnodes));
  const auto version = process_nccl_version(ctx.log);
  if (!version)
    fail(path, fmt::format("was measured with NCCL {}, and this process's NCCL version cannot be read "
                           "(no ncclGetVersion found)", p.nccl_version));
  if (*version != p.nccl_version)
    fail(path, fmt::format("was measured with NCCL {}, this process runs NCCL {}; re-run cairn tune with this NCCL",
                           p.nccl_version, *version));
  const std::string sysfs = env::text("CAIRN_TUNER_SYSFS_ROOT").value_or("/sys");
  std::string here;
  try {
    here = node_topology_hash(sysfs);
  } catch (const Error& e) {
    fail(path, std::string("cannot check this node's topology: ") + e.what());
  }
  if (here != p.topology_hash)
    fail(path, fmt::format("was measured on node topology {}, this node's is {} (other GPUs, NICs or NUMA "
                           "placement); re-run cairn tune on this kind of node",
                           p.topology_hash, here));
  ctx.profile = std::move(p);
  for (int f = 0; f < nccl_abi::kNumFunctions; ++f) {
    FuncRules& r = ctx.rules[static_cast<std::size_t>(f)];
    r.ranges = rule_ranges(ctx.profile, static_cast<NcclFunc>(f), static_cast<int>(ctx.nnodes),
                           static_cast<int>(ctx.nranks));
    r.logged = std::make_unique<std::atomic<std::uint8_t>[]>(2 * r.ranges.size() + 1);
    for (const auto& range : r.ranges) ctx.rule_count += range.cell->tuned ? 1 : 0;
  }
}

void drop_rules(Context& ctx) {
  ctx.rules = {};
  ctx.rule_count = 0;
  ctx.profile = Profile{};
}

// The rule slot of a call: the range holding nbytes (odd slot 2i+1), or the gap it falls
// in (even slot 2k, k the first range above). Same lookup as find_range (profile.h).
struct Slot {
  const RuleRange* range = nullptr;
  std::size_t index = 0;
};
Slot slot_of(const FuncRules& r, std::size_t nbytes) {
  const RuleRange* hit = find_range(r.ranges, nbytes);
  if (hit) return {hit, 2 * static_cast<std::size_t>(hit - r.ranges.data()) + 1};
  std::size_t k = 0;
  while (k < r.ranges.size() && r.ranges[k].min_bytes <= nbytes) ++k;
  return {nullptr, 2 * k};
}

std::string func_name(int func) {
  return func >= 0 && func < nccl_abi::kNumFunctions ? to_string(static_cast<NcclFunc>(func))
                                                     : "ncclFunc " + std::to_string(func);
}

std::string range_text(const RuleRange& r) {
  return fmt::format("cell {} bytes, answering {}..{}", r.cell->bytes, r.min_bytes, r.max_bytes);
}

// The v3..v5 forced choice; true when the call is the sweep's.
bool apply_sweep(Context* ctx, int func, float* cost, int num_algo, int num_proto, int* nchannels) {
  const auto s = sweep_for(func);
  if (!s) return false;
  bool applied = true;
  if (s->algo >= 0) {
    float* entry = s->algo < num_algo && s->proto < num_proto ? &cost[s->algo * num_proto + s->proto] : nullptr;
    applied = entry && *entry >= 0;  // NCCL skips entries < 0 (enqueue.cc topoGetAlgoInfo)
    if (applied) *entry = 0.0f;
  }
  if (applied && s->channels > 0 && nchannels) *nchannels = s->channels;
  sweep_record(applied);
  if (ctx) {
    const std::uint64_t key = (static_cast<std::uint64_t>(s->func + 1) << 24) | (static_cast<std::uint64_t>(s->algo + 1) << 16) |
                              (static_cast<std::uint64_t>(s->proto + 1) << 8) | static_cast<std::uint64_t>(s->channels) |
                              (std::uint64_t{1} << 40);
    if (ctx->logged_sweep.exchange(key) != key)
      emit(ctx, nccl_abi::log_info, nccl_abi::kLogTuning,
           fmt::format("sweep: forcing {}/{}, {} channels on {}{}",
                       s->algo >= 0 ? to_string(static_cast<NcclAlgo>(s->algo)) : "NCCL's",
                       s->proto >= 0 ? to_string(static_cast<NcclProto>(s->proto)) : "NCCL's", s->channels,
                       s->func < 0 ? "every collective" : func_name(s->func),
                       applied ? "" : " (refused on the first call: disabled in NCCL's cost table)"));
  }
  return true;
}

// The rule of a call with its log slot; choice nullptr: NCCL decides (logged here).
struct Rule {
  const Choice* choice = nullptr;
  const RuleRange* range = nullptr;
  std::atomic<std::uint8_t>* logged = nullptr;
};
Rule rule_for(Context* ctx, int func, std::size_t nbytes) {
  if (!ctx || ctx->rule_count == 0) return {};
  if (func < 0 || func >= nccl_abi::kNumFunctions) {
    if (!ctx->logged_other_func.exchange(true))
      emit(ctx, nccl_abi::log_info, nccl_abi::kLogTuning,
           func_name(func) + ": the profile has no cells for it; NCCL decides");
    return {};
  }
  FuncRules& r = ctx->rules[static_cast<std::size_t>(func)];
  const Slot s = slot_of(r, nbytes);
  std::atomic<std::uint8_t>& logged = r.logged[s.index];
  if (!s.range) {
    if (first_time(logged, kLoggedNoRule))
      emit(ctx, nccl_abi::log_info, nccl_abi::kLogTuning,
           fmt::format("{} {} bytes: no measured cell within 4x (or outside the measured sizes); NCCL decides",
                       func_name(func), nbytes));
    return {};
  }
  if (!s.range->cell->tuned) {
    if (first_time(logged, kLoggedDefaultStays))
      emit(ctx, nccl_abi::log_info, nccl_abi::kLogTuning,
           fmt::format("{} {} bytes ({}): NCCL's default stays (no lead beyond the noise)", func_name(func), nbytes,
                       range_text(*s.range)));
    return {};
  }
  return {&*s.range->cell->tuned, s.range, &logged};
}

std::string choice_text(const Choice& c) {
  return fmt::format("{}/{}, {}", to_string(*c.nccl_algorithm), to_string(*c.nccl_protocol),
                     c.channels > 0 ? std::to_string(c.channels) + " channels" : "NCCL's channels");
}

}  // namespace

Context* open_context(std::size_t nranks, std::size_t nnodes, nccl_abi::Logger log) noexcept {
  Context* ctx = new (std::nothrow) Context;
  if (!ctx) return nullptr;
  ctx->log = log;
  ctx->nranks = nranks;
  ctx->nnodes = nnodes;
  try {
    const auto path = env::text("CAIRN_TUNER_PROFILE");
    if (!path) {
      emit(ctx, nccl_abi::log_info, nccl_abi::kLogInit | nccl_abi::kLogTuning,
           "CAIRN_TUNER_PROFILE is not set: no rules, NCCL's own choices stand");
      return ctx;
    }
    load_profile(*ctx, *path);
    emit(ctx, nccl_abi::log_info, nccl_abi::kLogInit | nccl_abi::kLogTuning,
         fmt::format("{}: {} rules for {} ranks over {} nodes (NCCL {}, topology {})", ctx->source, ctx->rule_count,
                     nranks, nnodes, ctx->profile.nccl_version, ctx->profile.topology_hash));
  } catch (const std::bad_alloc&) {
    drop_rules(*ctx);
    warn_once(ctx, ctx->source + ": not enough memory to read the profile; NCCL's own choices stand");
  } catch (const std::exception& e) {
    drop_rules(*ctx);
    warn_once(ctx, std::string(e.what()) + "; not applied, NCCL's own choices stand");
  } catch (...) {
    drop_rules(*ctx);
    warn_once(ctx, ctx->source + ": unexpected error while loading; not applied, NCCL's own choices stand");
  }
  return ctx;
}

void close_context(Context* ctx) noexcept { delete ctx; }

std::size_t rule_count(const Context* ctx) noexcept { return ctx ? ctx->rule_count : 0; }

void decide(Context* ctx, int func, std::size_t nbytes, float* table, int num_algo, int num_proto,
            int* nchannels) noexcept {
  try {
    if (!table || num_algo <= 0 || num_proto <= 0) return;
    if (apply_sweep(ctx, func, table, num_algo, num_proto, nchannels)) return;
    const Rule rule = rule_for(ctx, func, nbytes);
    const Choice* c = rule.choice;
    if (!c) return;
    const RuleRange* range = rule.range;
    std::atomic<std::uint8_t>* logged = rule.logged;
    const int a = static_cast<int>(*c->nccl_algorithm), p = static_cast<int>(*c->nccl_protocol);
    const std::string what = fmt::format("{} {} bytes ({}): {}", func_name(func), nbytes, range_text(*range), choice_text(*c));
    if (a >= num_algo || p >= num_proto) {
      if (first_time(*logged, kLoggedOutsideTable))
        emit(ctx, nccl_abi::log_info, nccl_abi::kLogTuning,
             what + fmt::format(" is outside NCCL's {}x{} cost table; NCCL decides", num_algo, num_proto));
      return;
    }
    float& entry = table[a * num_proto + p];
    if (!(entry >= 0)) {  // NCCL_ALGO_PROTO_IGNORE: not available here, or NCCL_ALGO / NCCL_PROTO exclude it
      if (first_time(*logged, kLoggedDisabled))
        emit(ctx, nccl_abi::log_info, nccl_abi::kLogTuning,
             what + " is disabled in NCCL's cost table (unavailable, or excluded by NCCL_ALGO/NCCL_PROTO); "
                    "skipped, NCCL decides");
      return;
    }
    entry = 0.0f;  // the cheapest entry: NCCL's topoGetAlgoInfo picks the minimum
    if (c->channels > 0 && nchannels) *nchannels = c->channels;
    if (first_time(*logged, kLoggedApplied)) emit(ctx, nccl_abi::log_info, nccl_abi::kLogTuning, what + ": applied");
  } catch (...) {
    // Never towards NCCL (a failed getCollInfo fails the user's collective).
  }
}

void propose(Context* ctx, int func, std::size_t nbytes, int* algorithm, int* protocol, int* nchannels) noexcept {
  try {
    if (const auto s = sweep_for(func)) {
      if (s->algo >= 0 && algorithm && protocol) {
        *algorithm = s->algo;
        *protocol = s->proto;
      }
      if (s->channels > 0 && nchannels) *nchannels = s->channels;
      sweep_record(true);  // v2 sees no cost table: NCCL's adapter may still skip it
      return;
    }
    const Rule rule = rule_for(ctx, func, nbytes);
    const Choice* c = rule.choice;
    if (!c || !algorithm || !protocol) return;
    const RuleRange* range = rule.range;
    std::atomic<std::uint8_t>* logged = rule.logged;
    *algorithm = static_cast<int>(*c->nccl_algorithm);
    *protocol = static_cast<int>(*c->nccl_protocol);
    if (c->channels > 0 && nchannels) *nchannels = c->channels;
    if (first_time(*logged, kLoggedApplied))
      emit(ctx, nccl_abi::log_info, nccl_abi::kLogTuning,
           fmt::format("{} {} bytes ({}): {}: proposed (tuner v2: NCCL skips it if disabled)", func_name(func), nbytes,
                       range_text(*range), choice_text(*c)));
  } catch (...) {
  }
}

}  // namespace cairn::tuner::plugin
