#include "common/env_knobs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include <fmt/format.h>

#include "common/error.h"

extern char** environ;

namespace cairn::env {
namespace {

// Sorted by name (knobs() promises it; the docs test checks it).
constexpr Knob kKnobs[] = {
    {"CAIRN_ATTENTION", KnobType::choice, 0, 0, "cudnn where the build has it, else cairn",
     "the GPU attention: cudnn (cuDNN's fused SDPA; a shape it refuses runs Cairn's) or cairn (Cairn's own kernels)",
     "cudnn cairn"},
    {"CAIRN_CPU_THREADS", KnobType::integer, 1, 1024, "the hardware threads of this machine",
     "threads of the CPU training kernels (cairn train on the CPU)"},
    {"CAIRN_FT_EVENTS", KnobType::text, 0, 0, "set by cairn launch --max-restarts or --incidents",
     "the file where ranks append their fault-tolerance events (a watchdog abort, the first step done)"},
    {"CAIRN_JOB_ID", KnobType::text, 0, 0, "set by cairn launch; the store's address across nodes",
     "the job's name in the rendezvous store, the same on every rank"},
    {"CAIRN_LOCAL_RANK", KnobType::integer, 0, 1 << 30, "set by cairn launch",
     "this rank's index among the ranks of its node"},
    {"CAIRN_LOCAL_SIZE", KnobType::integer, 1, 1 << 30, "set by cairn launch", "ranks on this node"},
    {"CAIRN_MASTER_ADDR", KnobType::text, 0, 0, "set by cairn launch",
     "host of rank 0's rendezvous store, as the other nodes reach it"},
    {"CAIRN_MASTER_PORT", KnobType::integer, 1, 65535, "set by cairn launch",
     "port of rank 0's rendezvous store"},
    {"CAIRN_RANK", KnobType::integer, 0, 1 << 30, "set by cairn launch", "this rank's index in the job"},
    {"CAIRN_RESTART", KnobType::integer, 0, 1 << 30, "0 (set by cairn launch --max-restarts)",
     "which start of the job this is: 0 the first, k after the k-th restart (--inject faults fire in start 0)"},
    {"CAIRN_SECRET", KnobType::secret, 0, 0, "made by a one-node cairn launch; required with several ranks",
     "the job's shared secret that authenticates every rank to the store"},
    {"CAIRN_STORE_TIMEOUT_S", KnobType::seconds, 0, 0, "60",
     "how long a rank waits for the rendezvous store and its peers"},
    {"CAIRN_TEST_SEED", KnobType::integer, 0, INT64_MAX, "a fresh random seed each run",
     "the seed of the CUDA op tests' random inputs, to replay a failed run"},
    {"CAIRN_TUNER_PROFILE", KnobType::text, 0, 0, "none: the tuner plugin applies no rules",
     "the profile.json libnccl-tuner-cairn.so applies (cairn tune writes it; nccl.env sets it)"},
    {"CAIRN_TUNER_SYSFS_ROOT", KnobType::text, 0, 0, "/sys",
     "the sysfs tree the tuner plugin hashes the node topology from (tests point it at a built tree)"},
    {"CAIRN_UCX_SPIN_US", KnobType::integer, 0, 1 << 30, "0 when ranks outnumber CPUs, else the idle policy's",
     "microseconds the UCX backend spins on its worker before it sleeps"},
    {"CAIRN_WORLD_SIZE", KnobType::integer, 1, 1 << 30, "set by cairn launch", "ranks in the job"},
};

std::optional<std::string> raw(std::string_view name, const Vars& vars) {
  auto it = vars.find(std::string(name));
  if (it == vars.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<std::string> raw(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

[[noreturn]] void malformed(const Knob& k, const std::string& value) {
  throw Error(fmt::format("{}='{}' is malformed: expected {} (docs/environment.md); fix it or unset it", k.name,
                          value, expected_form(k)));
}

const Knob& of_type(std::string_view name, std::initializer_list<KnobType> types) {
  const Knob& k = knob(name);
  if (std::find(types.begin(), types.end(), k.type) == types.end())
    throw Error(fmt::format("{} is not read as this type: its registry entry says {}", name, expected_form(k)));
  return k;
}

std::optional<std::int64_t> parse_integer(const Knob& k, const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || end != s->data() + s->size() || v < k.min || v > k.max) malformed(k, *s);
  return v;
}

std::optional<double> parse_seconds(const Knob& k, const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s->c_str(), &end);
  if (end == s->c_str() || *end != '\0' || !std::isfinite(v) || !(v > 0)) malformed(k, *s);
  return v;
}

std::optional<std::string> parse_choice(const Knob& k, const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  for (std::string_view rest = k.choices; !rest.empty();) {
    const auto space = rest.find(' ');
    if (rest.substr(0, space) == *s) return s;
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  malformed(k, *s);
}

bool recorded_prefix(const std::string& name) { return name.starts_with("NCCL_") || name.starts_with("UCX_"); }

}  // namespace

std::span<const Knob> knobs() { return kKnobs; }

const Knob& knob(std::string_view name) {
  for (const Knob& k : kKnobs)
    if (k.name == name) return k;
  throw Error(fmt::format("{} is not a declared environment knob: add it to common/env_knobs.cpp", name));
}

std::string expected_form(const Knob& k) {
  switch (k.type) {
    case KnobType::integer: return fmt::format("integer in [{}, {}]", k.min, k.max);
    case KnobType::seconds: return "positive number of seconds";
    case KnobType::text: return "text";
    case KnobType::secret: return "secret text";
    case KnobType::choice: {
      std::string words(k.choices);
      for (std::size_t at = 0; (at = words.find(' ', at)) != std::string::npos; at += 2) words.replace(at, 1, ", ");
      return "one of: " + words;
    }
  }
  return "text";
}

Vars process_vars() {
  Vars vars;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return vars;
}

std::optional<std::int64_t> integer(std::string_view name, const Vars& vars) {
  return parse_integer(of_type(name, {KnobType::integer}), raw(name, vars));
}
std::optional<std::int64_t> integer(std::string_view name) {
  return parse_integer(of_type(name, {KnobType::integer}), raw(name));
}
std::optional<double> seconds(std::string_view name, const Vars& vars) {
  return parse_seconds(of_type(name, {KnobType::seconds}), raw(name, vars));
}
std::optional<double> seconds(std::string_view name) {
  return parse_seconds(of_type(name, {KnobType::seconds}), raw(name));
}
std::optional<std::string> text(std::string_view name, const Vars& vars) {
  of_type(name, {KnobType::text, KnobType::secret});
  return raw(name, vars);
}
std::optional<std::string> text(std::string_view name) {
  of_type(name, {KnobType::text, KnobType::secret});
  return raw(name);
}

std::optional<std::string> choice(std::string_view name, const Vars& vars) {
  return parse_choice(of_type(name, {KnobType::choice}), raw(name, vars));
}
std::optional<std::string> choice(std::string_view name) {
  return parse_choice(of_type(name, {KnobType::choice}), raw(name));
}

void check_all(const Vars& vars) {
  for (const Knob& k : kKnobs) {
    if (k.type == KnobType::integer) parse_integer(k, raw(k.name, vars));
    if (k.type == KnobType::seconds) parse_seconds(k, raw(k.name, vars));
    if (k.type == KnobType::choice) parse_choice(k, raw(k.name, vars));
  }
}

Vars recorded_environment(const Vars& vars) {
  Vars out;
  for (const auto& [name, value] : vars)
    if (recorded_prefix(name)) out.emplace(name, value);
  for (const Knob& k : kKnobs)
    if (auto v = raw(k.name, vars)) out.emplace(std::string(k.name), k.type == KnobType::secret ? "(set)" : *v);
  return out;
}

Vars recorded_environment() { return recorded_environment(process_vars()); }

}  // namespace cairn::env
