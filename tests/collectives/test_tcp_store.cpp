// The rendezvous store over real sockets: threads and forked processes as ranks, a wrong
// secret, an unreachable master, a port scanner's garbage, intruders holding every
// descriptor the store may have, shutdown under blocked clients.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/rendezvous/tcp_store.h"
#include "common/error.h"
#include "tests/support/error_of.h"

namespace cairn::coll {
namespace {

using namespace std::chrono_literals;

StoreOptions local(int port, std::string secret = "s3cret", std::chrono::milliseconds timeout = 10s) {
  return StoreOptions{"127.0.0.1", port, std::move(secret), timeout};
}

using ::cairn::test::error_of;

TEST(TcpStore, SetAndBlockingGetAcrossThreads) {
  StoreServer server(0, "s3cret");
  constexpr int kRanks = 8;
  std::vector<std::thread> ranks;
  std::atomic<int> ok{0};
  for (int r = 0; r < kRanks; ++r) {
    ranks.emplace_back([&, r] {
      auto store = connect_store(local(server.port()));
      store->set("addr/" + std::to_string(r), "worker-" + std::to_string(r));
      int seen = 0;
      // Reads every rank's key, most of which do not exist yet: get blocks until set.
      for (int p = 0; p < kRanks; ++p) seen += store->get("addr/" + std::to_string(p)) == "worker-" + std::to_string(p);
      if (seen == kRanks) ++ok;
    });
  }
  for (auto& t : ranks) t.join();
  EXPECT_EQ(ok, kRanks);
}

TEST(TcpStore, AddIsAtomicAndReturnsEachValueOnce) {
  StoreServer server(0, "s3cret");
  std::mutex mu;
  std::set<std::int64_t> values;
  std::vector<std::thread> ranks;
  for (int r = 0; r < 6; ++r) {
    ranks.emplace_back([&] {
      auto store = connect_store(local(server.port()));
      for (int i = 0; i < 50; ++i) {
        const auto v = store->add("counter", 2);
        std::lock_guard lock(mu);
        values.insert(v);
      }
    });
  }
  for (auto& t : ranks) t.join();
  auto store = connect_store(local(server.port()));
  EXPECT_EQ(store->add("counter", 0), 600);
  EXPECT_EQ(values.size(), 300u);  // no two adds saw the same total
  EXPECT_EQ(*values.begin(), 2);
  EXPECT_EQ(store->add("counter", -600), 0);
  store->set("text", "not a number");
  EXPECT_NE(error_of([&] { store->add("text", 1); }).find("non-integer"), std::string::npos);
  // The refused add left the connection usable.
  EXPECT_EQ(store->get("text"), "not a number");
}

TEST(TcpStore, WaitReturnsOnlyOnceEveryKeyExists) {
  StoreServer server(0, "s3cret");
  auto setter = connect_store(local(server.port()));
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    auto store = connect_store(local(server.port()));
    store->wait({"a", "b", "c"});
    returned = true;
  });
  setter->set("a", "1");
  setter->set("c", "1");
  std::this_thread::sleep_for(150ms);
  EXPECT_FALSE(returned) << "wait returned with key b missing";
  setter->set("b", "");  // an empty value counts as present
  waiter.join();
  EXPECT_TRUE(returned);
}

TEST(TcpStore, BarrierHoldsEveryRankUntilAllArriveAndIsReusable) {
  StoreServer server(0, "s3cret");
  constexpr int kRanks = 5;
  std::atomic<int> before{0};
  std::atomic<int> violations{0};
  std::vector<std::thread> ranks;
  for (int r = 0; r < kRanks; ++r) {
    ranks.emplace_back([&, r] {
      auto store = connect_store(local(server.port()));
      for (int round = 1; round <= 3; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5 * r));  // stagger arrivals
        ++before;
        store->barrier("step", kRanks);
        if (before < round * kRanks) ++violations;
        store->barrier("after-step", kRanks);  // nobody starts the next round early
      }
    });
  }
  for (auto& t : ranks) t.join();
  EXPECT_EQ(violations, 0);
  EXPECT_EQ(before, 3 * kRanks);
}

TEST(TcpStore, GetAndBarrierTimeOutNamingTheKey) {
  StoreServer server(0, "s3cret");
  auto store = connect_store(local(server.port()));
  store->set_timeout(200ms);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string err = error_of([&] { store->get("nccl/unique_id"); });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_NE(err.find("key 'nccl/unique_id' did not appear"), std::string::npos) << err;
  EXPECT_NE(err.find("within 0.2 s"), std::string::npos) << err;
  EXPECT_NE(error_of([&] { store->wait({"x", "y"}); }).find("'x'"), std::string::npos);
  const std::string barrier_err = error_of([&] { store->barrier("init", 3); });
  EXPECT_NE(barrier_err.find("barrier 'init'"), std::string::npos) << barrier_err;
  EXPECT_NE(barrier_err.find("1 of 3 ranks arrived"), std::string::npos) << barrier_err;
  // Still usable after timeouts.
  store->set("x", "1");
  EXPECT_EQ(store->get("x"), "1");
}

// Ranks as processes: forked before the server starts (so no thread is copied), they
// learn the port through a pipe, as real ranks learn MASTER_PORT from the environment.
TEST(TcpStore, ForkedProcessesRendezvous) {
  constexpr int kRanks = 4;
  int pipes[kRanks][2];
  std::vector<pid_t> children;
  for (int r = 1; r < kRanks; ++r) {
    ASSERT_EQ(::pipe(pipes[r]), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int port = 0;
      if (::read(pipes[r][0], &port, sizeof port) != sizeof port) ::_exit(10);
      try {
        auto store = connect_store(local(port));
        store->set("rank/" + std::to_string(r), std::to_string(r * r));
        store->add("joined", 1);
        store->barrier("ready", kRanks);
        for (int p = 0; p < kRanks; ++p)
          if (store->get("rank/" + std::to_string(p)) != std::to_string(p * p)) ::_exit(11);
        store->barrier("done", kRanks);
      } catch (...) {
        ::_exit(12);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  StoreServer server(0, "s3cret");
  const int port = server.port();
  for (int r = 1; r < kRanks; ++r) ASSERT_EQ(::write(pipes[r][1], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  auto store = connect_store(local(port));
  store->set("rank/0", "0");
  store->add("joined", 1);
  store->barrier("ready", kRanks);
  EXPECT_EQ(store->add("joined", 0), kRanks);
  store->barrier("done", kRanks);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  for (int r = 1; r < kRanks; ++r) {
    ::close(pipes[r][0]);
    ::close(pipes[r][1]);
  }
}

TEST(TcpStore, WrongSecretIsRefusedAndLogged) {
  StoreServer server(0, "the-job-secret");
  testing::internal::CaptureStderr();
  const std::string err = error_of([&] { connect_store(local(server.port(), "a-guess")); });
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "store at 127.0.0.1:" + std::to_string(server.port()) +
                     " refused this rank: wrong job secret (set CAIRN_SECRET to the job's)");
  EXPECT_NE(log.find("refused a peer from 127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(log.find("wrong job secret"), std::string::npos) << log;
  // A prefix of the secret is no better than a guess.
  EXPECT_NE(error_of([&] { connect_store(local(server.port(), "the-job")); }).find("refused"), std::string::npos);
  EXPECT_NO_THROW(connect_store(local(server.port(), "the-job-secret")));
}

TEST(TcpStore, UnreachableMasterFailsWithinTheTimeout) {
  // A port bound but not listening refuses connections.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string err = error_of([&] { connect_store(local(port, "s", 700ms)); });
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_NE(err.find("could not reach the rendezvous store at 127.0.0.1:" + std::to_string(port) +
                     " after 0.7 s: is rank 0 running and MASTER_ADDR right?"),
            std::string::npos)
      << err;
  EXPECT_GE(elapsed, 650ms) << "gave up before the timeout";
  EXPECT_LT(elapsed, 2s);
}

TEST(TcpStore, ClientRetriesUntilTheServerComesUp) {
  // Reserve a free port, release it, and start the server there a little later.
  int port;
  {
    StoreServer probe(0, "s3cret");
    port = probe.port();
  }
  std::unique_ptr<StoreServer> late;
  std::thread starter([&] {
    std::this_thread::sleep_for(300ms);
    late = std::make_unique<StoreServer>(port, "s3cret");
  });
  std::unique_ptr<Store> store;
  EXPECT_NO_THROW(store = connect_store(local(port, "s3cret", 10s)));
  starter.join();
  store->set("k", "v");
  EXPECT_EQ(store->get("k"), "v");
}

TEST(TcpStore, HostNamesAndIPv6Resolve) {
  StoreServer server(0, "s3cret");
  auto by_name = connect_store(StoreOptions{"localhost", server.port(), "s3cret", 5s});
  by_name->set("via", "name");
  const int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool have_v6 = probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (probe >= 0) ::close(probe);
  if (!have_v6) GTEST_SKIP() << "no IPv6 loopback on this host";
  auto v6 = connect_store(StoreOptions{"::1", server.port(), "s3cret", 5s});
  EXPECT_EQ(v6->get("via"), "name");
  v6->set_timeout(100ms);
  EXPECT_NE(error_of([&] { v6->get("nope"); }).find("[::1]:"), std::string::npos);
}

// Opens a raw TCP connection to the store, sends bytes, and reports whether the server
// closed it (recv returns 0) within a second.
bool server_closes_after(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  char buf[64];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
  }
  ::close(fd);
  return n == 0;
}

TEST(TcpStore, GarbageFromAPortScannerIsHarmless) {
  StoreServer server(0, "s3cret");
  testing::internal::CaptureStderr();
  // A 4 GiB length prefix is refused before anything is allocated.
  EXPECT_TRUE(server_closes_after(server.port(), std::string("\xff\xff\xff\xff", 4)));
  // An HTTP probe is a length of 'GET ' = 1.19 GB: refused too.
  EXPECT_TRUE(server_closes_after(server.port(), "GET / HTTP/1.0\r\n\r\n"));
  // A small frame that is not a hello.
  EXPECT_TRUE(server_closes_after(server.port(), std::string("\0\0\0\x05hello", 9)));
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("exceeds the cap"), std::string::npos) << log;
  // A silent connection held open does not block anyone else.
  const int idle = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  ASSERT_EQ(::connect(idle, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  auto store = connect_store(local(server.port()));
  store->set("still", "serving");
  EXPECT_EQ(store->get("still"), "serving");
  ::close(idle);
}

// A plain TCP connection to the store that never says anything; -1 if it fails.
int silent_connection(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

// The store in a process of its own under RLIMIT_NOFILE, so that intruders can exhaust
// its descriptors without exhausting the test's. Stops when destroyed.
class StoreUnderDescriptorLimit {
 public:
  explicit StoreUnderDescriptorLimit(rlim_t max_open_files) {
    int port_pipe[2], stop_pipe[2];
    if (::pipe(port_pipe) != 0 || ::pipe(stop_pipe) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(port_pipe[0]);
      ::close(stop_pipe[1]);
      const rlimit limit{max_open_files, max_open_files};
      const int null_fd = ::open("/dev/null", O_WRONLY);
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0 || null_fd < 0 || ::dup2(null_fd, 2) < 0) ::_exit(10);
      try {
        StoreServer server(0, "s3cret");
        const int port = server.port();
        if (::write(port_pipe[1], &port, sizeof port) != sizeof port) ::_exit(11);
        char byte;
        while (::read(stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
        }
      } catch (...) {
        ::_exit(12);
      }
      ::_exit(0);
    }
    ::close(port_pipe[1]);
    ::close(stop_pipe[0]);
    stop_fd_ = stop_pipe[1];
    if (pid_ < 0 || ::read(port_pipe[0], &port_, sizeof port_) != sizeof port_) port_ = 0;
    ::close(port_pipe[0]);
  }
  ~StoreUnderDescriptorLimit() {
    if (stop_fd_ >= 0) ::close(stop_fd_);
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
};

TEST(TcpStore, IntrudersHoldingEveryDescriptorCannotKeepRanksOut) {
  StoreUnderDescriptorLimit store(64);
  ASSERT_GT(store.port(), 0) << "the store process did not start";
  // More silent connections than the store may have descriptors, held open throughout:
  // the kernel queues what the store has no room to accept.
  std::vector<int> intruders;
  for (int i = 0; i < 150; ++i) {
    const int fd = silent_connection(store.port());
    ASSERT_GE(fd, 0) << "intruder connection " << i;
    intruders.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);  // the store accepts until it is out of descriptors
  // Those without the secret get an eighth of the 64 descriptors (8); the rest of rank 0
  // keeps the others.
  std::size_t open_files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(store.pid()) + "/fd"))
    ++open_files;
  EXPECT_LT(open_files, 32u);
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Store> rank0, rank1;
  ASSERT_NO_THROW(rank0 = connect_store(local(store.port(), "s3cret", 8s)));
  ASSERT_NO_THROW(rank1 = connect_store(local(store.port(), "s3cret", 8s)));
  rank0->set("k", "v");
  EXPECT_EQ(rank1->get("k"), "v");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s) << "ranks got in only once intruders timed out";
  for (int fd : intruders) ::close(fd);
}

TEST(TcpStore, AConnectionWithoutTheSecretIsClosedWithinFiveSeconds) {
  StoreServer server(0, "s3cret");
  const int fd = silent_connection(server.port());
  ASSERT_GE(fd, 0);
  const auto t0 = std::chrono::steady_clock::now();
  timeval tv{8, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char byte;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0) << "not closed by the store";
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 4500ms);
  EXPECT_LT(waited, 6500ms);
  ::close(fd);
}

TEST(TcpStore, ShutdownReleasesBlockedClients) {
  auto server = std::make_unique<StoreServer>(0, "s3cret");
  const int port = server->port();
  std::vector<std::thread> blocked;
  std::atomic<int> lost{0};
  std::atomic<int> connected{0};
  for (int i = 0; i < 4; ++i) {
    blocked.emplace_back([&, i] {
      auto store = connect_store(local(port, "s3cret", 0ms));  // 0: wait forever
      ++connected;
      const std::string err = error_of([&] {
        if (i % 2) store->get("never");
        else store->wait({"never", "ever"});
      });
      if (err.find("lost the connection to the rendezvous store") != std::string::npos) ++lost;
    });
  }
  while (connected < 4) std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(50ms);  // let them block in the server
  server.reset();
  for (auto& t : blocked) t.join();
  EXPECT_EQ(lost, 4);
}

TEST(TcpStore, PortInUseIsAClearError) {
  StoreServer first(0, "s3cret");
  const std::string err = error_of([&] { StoreServer second(first.port(), "s3cret"); });
  EXPECT_NE(err.find("port " + std::to_string(first.port()) + " is already in use"), std::string::npos) << err;
}

}  // namespace
}  // namespace cairn::coll
