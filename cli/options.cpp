#include "cli/options.h"

#include <iostream>

#include "common/error.h"

namespace cairn::cli {

bool parse_options(const std::string& name, const std::string& synopsis, const Args& args,
                   po::options_description& desc, po::variables_map& vm,
                   const po::positional_options_description* positional) {
  desc.add_options()("help,h", "show this help");
  try {
    auto parser = po::command_line_parser(args).options(desc);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: cairn " << name << " " << synopsis << "\n\n" << desc << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw Error(std::string("cairn ") + name + ": " + e.what() + " (see 'cairn " + name +
                " --help')");
  }
  return true;
}

}  // namespace cairn::cli
