// Shared Boost.Program_options plumbing for subcommands: parse, print --help, and turn
// unknown or malformed flags into a cairn::Error that names the flag.
#pragma once

#include <string>

#include <boost/program_options.hpp>

#include "cli/commands.h"

namespace cairn::cli {

namespace po = boost::program_options;

// Parses args against desc (positional names optional). Returns false if --help was
// given, after printing usage ("Usage: cairn <name> <synopsis>" and the options).
bool parse_options(const std::string& name, const std::string& synopsis, const Args& args,
                   po::options_description& desc, po::variables_map& vm,
                   const po::positional_options_description* positional = nullptr);

}  // namespace cairn::cli
