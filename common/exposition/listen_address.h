// Where a metrics endpoint listens: a numeric IPv4 or IPv6 address and a TCP port
// (0: the kernel picks a free one), checked when the flags are read so a bad value stops
// a run before it starts.
#pragma once

#include <string>

namespace cairn::exposition {

struct ListenAddress {
  std::string addr = "127.0.0.1";  // loopback unless asked: metrics are not for the world
  int port = 0;
};

// cairn::Error naming `flag` unless 0 <= port <= 65535.
void check_listen_port(const char* flag, long long port);
// cairn::Error naming `flag` unless addr is a numeric IPv4 or IPv6 address.
void check_listen_addr(const char* flag, const std::string& addr);

// "127.0.0.1:9400", "[::1]:9400".
std::string host_port(const std::string& addr, int port);

}  // namespace cairn::exposition
