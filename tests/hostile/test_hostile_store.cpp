// Hostile cases of the rendezvous store: intruders on its port, without the job's secret.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

using namespace std::chrono_literals;

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  return a;
}

// A port free now, for --master-port: the intruder must know where the store listens.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  ::close(fd);
  return ntohs(a.sin_port);
}

// A connection that never says anything; -1 if it could not connect.
int silent_connection(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in a = loopback(port);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

TEST(HostileStore, AnIntruderHoldingEveryDescriptorOfTheStoreCannotKeepTheJobOut) {
  Sandbox box;
  const int port = free_port();
  ASSERT_GT(port, 0);
  // Rank 1 starts a second late, so that the intruder is on the store before it.
  const std::string bench = cairn_binary() + " bench --backend ucx -b 8 -e 8 -n 1 -w 0";
  Running job = start(box, {.args = {"launch", "-n", "2", "--master-port", std::to_string(port), "--", "/bin/sh",
                                     "-c", "[ \"$RANK\" = 0 ] || sleep 1; exec " + bench},
                            .env = {"CAIRN_STORE_TIMEOUT_S=6"},
                            .timeout = 20s,
                            .max_open_files = 256});
  // As soon as the store listens: more connections than it may have descriptors, held
  // until the job ends.
  std::vector<int> held;
  for (const auto give_up = std::chrono::steady_clock::now() + 10s;
       held.empty() && std::chrono::steady_clock::now() < give_up;) {
    const int fd = silent_connection(port);
    if (fd >= 0) held.push_back(fd);
    else std::this_thread::sleep_for(2ms);
  }
  ASSERT_FALSE(held.empty()) << "the store never listened on port " << port;
  while (held.size() < 400) {
    const int fd = silent_connection(port);
    if (fd < 0) break;
    held.push_back(fd);
  }
  EXPECT_GT(held.size(), 256u);
  const Outcome o = job.wait();
  for (int fd : held) ::close(fd);
  EXPECT_TRUE(succeeded(o));
  EXPECT_NE(o.out.find("# Out of bounds values : 0 OK"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace cairn::hostile
