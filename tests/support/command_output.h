// What a shell command line prints on stdout (popen), for tests that drive a tool (curl,
// python3) and read its answer. Header only: no library to link.
#pragma once

#include <cstdio>
#include <string>

namespace cairn::test {

inline std::string command_output(const std::string& command) {
  std::string out;
  std::FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
  ::pclose(p);
  return out;
}

}  // namespace cairn::test
