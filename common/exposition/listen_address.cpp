#include "common/exposition/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/error.h"
#include "common/untrusted_text.h"

namespace cairn::exposition {

void check_listen_port(const char* flag, long long port) {
  if (port >= 0 && port <= 65535) return;
  throw Error(std::string(flag) + " " + std::to_string(port) +
              " is out of range: it must be a TCP port from 0 to 65535 (0: a free one, printed at the start)");
}

void check_listen_addr(const char* flag, const std::string& addr) {
  in6_addr buf{};
  if (::inet_pton(AF_INET, addr.c_str(), &buf) == 1 || ::inet_pton(AF_INET6, addr.c_str(), &buf) == 1) return;
  throw Error(std::string(flag) + " " + quote_excerpt(addr) +
              " is not a numeric IPv4 or IPv6 address: give one, e.g. 127.0.0.1 (this host only, the default), "
              "0.0.0.0 (every interface) or ::1");
}

std::string host_port(const std::string& addr, int port) {
  const bool v6 = addr.find(':') != std::string::npos;
  return (v6 ? "[" + addr + "]" : addr) + ":" + std::to_string(port);
}

}  // namespace cairn::exposition
