#include "cli/options.h"

#include <iostream>

#include "common/error.h"

namespace cairn::cli {

bool parse_options(const std::string& name, const std::string& synopsis, const Args& args,
                   po::options_description& desc, po::variables_map& vm,
                   const po::positional_options_description* positional) {
  desc.add_options()("help,h", "show this help");
  const std::string see_help = " (see 'cairn " + name + " --help')";
  try {
    auto parser = po::command_line_parser(args).options(desc);
    if (positional) parser.positional(*positional);
    const po::parsed_options parsed = parser.run();
    // Words that are no option's value and have no positional name: Boost keeps them
    // with an empty key and store() drops them, so a mistyped command ran as another.
    for (const po::option& o : parsed.options)
      if (o.position_key >= 0 && o.string_key.empty())
        throw Error("unexpected argument '" + (o.original_tokens.empty() ? "" : o.original_tokens.front()) + "'" +
                    see_help);
    po::store(parsed, vm);
    if (vm.count("help")) {
      std::cout << "Usage: cairn " << name << " " << synopsis << "\n\n" << desc << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    // main() adds "cairn <name>: ".
    throw Error(e.what() + see_help);
  }
  return true;
}

}  // namespace cairn::cli
