// Every environment variable Cairn reads as a setting ("knob"), declared once with its
// name, type, default and meaning (NCCL's NCCL_PARAM idea), and read through typed
// accessors: unset or empty is "not given", a malformed value is an error naming the
// variable and the form it takes, never a silent default. docs/environment.md lists the
// same table (tests/common/test_env_knobs.cpp keeps the two equal).
// Launcher protocols that are not Cairn's (RANK, SLURM_*, OMPI_COMM_WORLD_*) are not knobs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cairn::env {

enum class KnobType { integer, seconds, text, secret, choice };

struct Knob {
  std::string_view name;
  KnobType type;
  std::int64_t min = 0, max = 0;  // integer knobs: the accepted range
  std::string_view default_value;  // what applies when it is unset, in words
  std::string_view meaning;        // one line
  std::string_view choices = {};   // choice knobs: the accepted words, separated by spaces
};

// The registry, sorted by name.
std::span<const Knob> knobs();
// The knob called `name`; throws naming it when no knob has that name (a typo in Cairn).
const Knob& knob(std::string_view name);
// "integer in [1, 1024]", "positive number of seconds", "text", "secret text" or
// "one of: cudnn, cairn".
std::string expected_form(const Knob& k);

// A copy of the environment, or the environment a launcher hands to a child.
using Vars = std::map<std::string, std::string>;
// This process's environment (environ).
Vars process_vars();

// The typed accessors, from `vars` or from this process's environment.
std::optional<std::int64_t> integer(std::string_view name, const Vars& vars);
std::optional<std::int64_t> integer(std::string_view name);
std::optional<double> seconds(std::string_view name, const Vars& vars);
std::optional<double> seconds(std::string_view name);
std::optional<std::string> text(std::string_view name, const Vars& vars);  // text and secret knobs
std::optional<std::string> text(std::string_view name);
std::optional<std::string> choice(std::string_view name, const Vars& vars);  // one of its words
std::optional<std::string> choice(std::string_view name);

// Reads every integer, seconds and choice knob that is set, so a malformed one stops any command
// at its start, not only the command that happens to read it (CAIRN_WORLD_SIZE=0 with no
// CAIRN_RANK was otherwise never read). cairn::Error naming the first malformed knob.
void check_all(const Vars& vars);

// What a result records about the environment it ran in: every NCCL_* and UCX_*
// variable, and every knob that is set (a secret knob as "(set)", never its value).
Vars recorded_environment(const Vars& vars);
Vars recorded_environment();

}  // namespace cairn::env
