// StoreServer: a listening socket served by an accept thread, and a thread per client
// connection. Blocking gets and waits park on one condition variable; shutdown wakes them
// (stopping_), ends reads (shutdown(2) of each socket's read side), lets replies in
// flight drain, then cuts the write side too before joining every thread.
//
// A client without the secret must not keep the job from starting: the accept thread
// closes finished connections every kReapInterval whether or not anyone connects, bounds
// the connections that have not yet presented the secret (in number, and each to
// kHelloTimeout), and when accept runs out of descriptors it drops the oldest of those to
// make room, or stops listening for kDescriptorBackoff instead of spinning on a listener
// that stays readable.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "collectives/rendezvous/store_wire.h"
#include "collectives/rendezvous/tcp_store.h"
#include "common/error.h"

namespace cairn::coll {

using namespace detail;

namespace {

// Enough for one connection per rank of a 4096-GPU job, several times over; past this a
// flood of connections is refused instead of exhausting threads.
constexpr std::size_t kMaxConnections = 16384;
// Connections at once that have not presented the secret: at most this many, and at
// most this share of the descriptors the process may open, which the rest of rank 0
// (UCX, NCCL, files) needs too. A new one past the bound drops the oldest (a rank whose
// hello was cut retries); ranks present it within milliseconds of connecting, so only a
// flood of intruders comes near.
constexpr std::size_t kMaxUnauthenticated = 1024;
constexpr std::size_t kUnauthenticatedShareOfDescriptors = 8;  // one eighth
constexpr std::size_t kMinUnauthenticated = 8;
// How long shutdown lets replies in flight finish before cutting connections.
constexpr std::chrono::seconds kShutdownDrain{2};
// How often the accept thread closes finished connections while nobody connects.
constexpr std::chrono::milliseconds kReapInterval{100};
// How long the listener rests when accept fails for want of descriptors or memory and
// there is no connection to drop.
constexpr std::chrono::milliseconds kDescriptorBackoff{50};

std::size_t unauthenticated_bound() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return kMaxUnauthenticated;
  const auto share = static_cast<std::size_t>(r.rlim_cur) / kUnauthenticatedShareOfDescriptors;
  return std::clamp(share, kMinUnauthenticated, kMaxUnauthenticated);
}

std::string peer_text(const sockaddr_storage& addr, socklen_t len) {
  char host[NI_MAXHOST] = "?";
  char port[NI_MAXSERV] = "?";
  ::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof host, port, sizeof port,
                NI_NUMERICHOST | NI_NUMERICSERV);
  std::string h = host;
  // Dual-stack sockets see IPv4 peers as ::ffff:a.b.c.d; print them as plain IPv4.
  if (h.rfind("::ffff:", 0) == 0 && h.find('.') != std::string::npos) h = h.substr(7);
  return store_address(h, std::atoi(port));
}

void log_line(const std::string& line) {
  // One write per line so lines from concurrent connections do not interleave.
  std::cerr << (line + "\n") << std::flush;
}

// Listens on the wildcard address: IPv6 dual-stack first, IPv4 where IPv6 is missing.
int open_listener(int port) {
  int last_errno = 0;
  for (int family : {AF_INET6, AF_INET}) {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    const int one = 1, zero = 0;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc;
    if (family == AF_INET6) {
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_addr = in6addr_any;
      a.sin6_port = htons(static_cast<std::uint16_t>(port));
      rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_ANY);
      a.sin_port = htons(static_cast<std::uint16_t>(port));
      rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    if (rc == 0 && ::listen(fd, SOMAXCONN) == 0) return fd;
    last_errno = errno;
    ::close(fd);
    if (last_errno == EADDRINUSE) break;  // IPv4 would collide the same way
  }
  if (last_errno == EADDRINUSE)
    throw Error(fmt::format("rendezvous store port {} is already in use (another job, or a rank 0 "
                            "still running?): pick another with MASTER_PORT or --master-port",
                            port));
  throw Error(fmt::format("rendezvous store could not listen on port {}: {}", port,
                          std::strerror(last_errno)));
}

}  // namespace

class StoreServer::Impl {
 public:
  Impl(int port, std::string secret) : secret_(std::move(secret)), max_unauthenticated_(unauthenticated_bound()) {
    listen_fd_ = open_listener(port);
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = a.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
    if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) {
      ::close(listen_fd_);
      throw Error(fmt::format("rendezvous store: pipe2 failed: {}", std::strerror(errno)));
    }
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    const char byte = 1;
    while (::write(wake_pipe_[1], &byte, 1) < 0 && errno == EINTR) {
    }
    accept_thread_.join();
    // The accept thread is gone, so conns_ is ours alone now. Closing the read side
    // first lets a reply already being written reach its client (the rank whose add or
    // set rank 0 was waiting for); the write side goes after a short drain.
    for (auto& c : conns_) ::shutdown(c->fd, SHUT_RD);
    const auto drain_until = std::chrono::steady_clock::now() + kShutdownDrain;
    auto all_finished = [&] {
      for (auto& c : conns_)
        if (!c->finished) return false;
      return true;
    };
    while (!all_finished() && std::chrono::steady_clock::now() < drain_until)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    for (auto& c : conns_) ::shutdown(c->fd, SHUT_RDWR);
    for (auto& c : conns_) {
      c->thread.join();
      ::close(c->fd);
    }
    ::close(listen_fd_);
    ::close(wake_pipe_[0]);
    ::close(wake_pipe_[1]);
  }

  int port() const { return port_; }

 private:
  // A connection's stage. The serving thread moves it from unauthenticated to
  // authenticated, the accept thread to dropped; whichever comes first wins.
  enum Stage : int { unauthenticated, authenticated, dropped };

  struct Conn {
    int fd = -1;
    std::string peer;
    std::thread thread;
    std::atomic<bool> finished{false};
    std::atomic<int> stage{unauthenticated};
  };

  void accept_loop() {
    auto listen_again_at = Clock::now();
    for (;;) {
      reap_finished();
      const bool listening = Clock::now() >= listen_again_at;
      pollfd fds[2] = {{wake_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      if (::poll(fds, listening ? 2 : 1, static_cast<int>(kReapInterval.count())) < 0) continue;  // EINTR
      if (fds[0].revents) return;  // shutting down
      if (!listening || !(fds[1].revents & POLLIN)) continue;
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
      if (fd < 0) {
        const int err = errno;
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
          reap_finished();
          if (!drop_oldest_unauthenticated()) listen_again_at = Clock::now() + kDescriptorBackoff;
        }
        continue;  // otherwise a connection reset before accept: nothing to do
      }
      if (unauthenticated_count() >= max_unauthenticated_) drop_oldest_unauthenticated();
      if (conns_.size() >= kMaxConnections) {
        log_line(fmt::format("cairn store: refused a connection from {}: {} connections open",
                             peer_text(addr, len), conns_.size()));
        ::close(fd);
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto conn = std::make_unique<Conn>();
      conn->fd = fd;
      conn->peer = peer_text(addr, len);
      Conn* raw = conn.get();
      try {
        conn->thread = std::thread([this, raw] {
          serve(*raw);
          // The peer sees the close now; the descriptor is released when reaped.
          ::shutdown(raw->fd, SHUT_RDWR);
          raw->finished = true;
        });
      } catch (const std::system_error& e) {
        log_line(fmt::format("cairn store: no thread for a connection from {}: {}", raw->peer, e.what()));
        ::close(fd);
        continue;
      }
      conns_.push_back(std::move(conn));
    }
  }

  // Joins and closes one connection and forgets it.
  std::list<std::unique_ptr<Conn>>::iterator release(std::list<std::unique_ptr<Conn>>::iterator it) {
    (*it)->thread.join();
    ::close((*it)->fd);
    return conns_.erase(it);
  }

  void reap_finished() {
    for (auto it = conns_.begin(); it != conns_.end();)
      it = (*it)->finished ? release(it) : std::next(it);
  }

  std::size_t unauthenticated_count() const {
    std::size_t n = 0;
    for (const auto& c : conns_)
      if (c->stage == unauthenticated && !c->finished) ++n;
    return n;
  }

  // Cuts the longest-waiting connection that has not presented the secret and frees its
  // descriptor. false when every open connection belongs to the job.
  bool drop_oldest_unauthenticated() {
    for (auto it = conns_.begin(); it != conns_.end(); ++it) {  // oldest first
      int expected = unauthenticated;
      if ((*it)->finished || !(*it)->stage.compare_exchange_strong(expected, dropped)) continue;
      // One line a second at most: an intruder's flood must not become a flood of logs.
      ++dropped_since_log_;
      const auto now = Clock::now();
      if (now >= next_drop_log_) {
        log_line(fmt::format("cairn store: out of room: dropped {} connection(s) that had not presented the "
                             "job secret, the last from {}",
                             dropped_since_log_, (*it)->peer));
        dropped_since_log_ = 0;
        next_drop_log_ = now + std::chrono::seconds(1);
      }
      ::shutdown((*it)->fd, SHUT_RDWR);  // its thread's read of the hello returns at once
      release(it);
      return true;
    }
    return false;
  }

  // One connection: the hello, then requests until the peer leaves or the server stops.
  void serve(Conn& c) {
    std::string payload;
    try {
      if (read_frame(c.fd, payload, kMaxHelloBytes, Clock::now() + kHelloTimeout) != IoResult::ok)
        return;
      FrameReader in(payload);
      if (static_cast<StoreOp>(in.u8()) != StoreOp::hello || in.raw(kStoreMagic.size()) != kStoreMagic)
        throw ProtocolError("not a Cairn store hello");
      const std::uint32_t version = in.u32();
      const std::string secret = in.str();
      if (version != kStoreProtocolVersion) {
        write_all(c.fd, FrameWriter()
                            .u8(static_cast<std::uint8_t>(StoreStatus::error))
                            .str(fmt::format("store speaks protocol {}, this rank {}: run the same "
                                             "Cairn build on every rank",
                                             kStoreProtocolVersion, version))
                            .frame());
        return;
      }
      if (!constant_time_equal(secret, secret_)) {
        log_line(fmt::format("cairn store: refused a peer from {}: wrong job secret", c.peer));
        write_all(c.fd, FrameWriter().u8(static_cast<std::uint8_t>(StoreStatus::refused)).frame());
        return;
      }
      int expected = unauthenticated;
      if (!c.stage.compare_exchange_strong(expected, authenticated)) return;  // dropped meanwhile
      if (!write_all(c.fd, FrameWriter().u8(static_cast<std::uint8_t>(StoreStatus::ok)).frame()))
        return;
      for (;;) {
        if (read_frame(c.fd, payload, kMaxFrameBytes, std::nullopt) != IoResult::ok) return;
        std::string reply;
        if (!handle(payload, reply)) return;  // stopping
        if (!write_all(c.fd, reply)) return;
      }
    } catch (const ProtocolError& e) {
      log_line(fmt::format("cairn store: closed the connection from {}: {}", c.peer, e.what()));
    } catch (const std::bad_alloc&) {
      log_line(fmt::format("cairn store: closed the connection from {}: out of memory", c.peer));
    }
  }

  static std::string ok_frame() { return FrameWriter().u8(static_cast<std::uint8_t>(StoreStatus::ok)).frame(); }
  static std::string error_frame(const std::string& msg) {
    return FrameWriter().u8(static_cast<std::uint8_t>(StoreStatus::error)).str(msg).frame();
  }

  // Waits until pred() or the deadline (none: forever) or shutdown. Returns pred().
  template <typename Pred>
  bool wait_for(std::unique_lock<std::mutex>& lock, const Deadline& deadline, Pred pred) {
    auto done = [&] { return stopping_ || pred(); };
    if (deadline) cv_.wait_until(lock, *deadline, done);
    else cv_.wait(lock, done);
    return pred();
  }

  // Builds the reply to one request; false when the server is stopping (close instead).
  bool handle(const std::string& payload, std::string& reply) {
    FrameReader in(payload);
    const auto op = static_cast<StoreOp>(in.u8());
    switch (op) {
      case StoreOp::set: {
        std::string key = in.str();
        std::string value = in.str();
        {
          std::lock_guard lock(mu_);
          data_[std::move(key)] = std::move(value);
        }
        cv_.notify_all();
        reply = ok_frame();
        return true;
      }
      case StoreOp::get: {
        const std::string key = in.str();
        const auto deadline = deadline_after(std::chrono::milliseconds(in.i64()));
        std::unique_lock lock(mu_);
        if (!wait_for(lock, deadline, [&] { return data_.count(key) > 0; })) {
          if (stopping_) return false;
          reply = FrameWriter().u8(static_cast<std::uint8_t>(StoreStatus::timeout)).str(key).frame();
          return true;
        }
        reply = FrameWriter().u8(static_cast<std::uint8_t>(StoreStatus::ok)).str(data_[key]).frame();
        return true;
      }
      case StoreOp::add: {
        const std::string key = in.str();
        const std::int64_t delta = in.i64();
        std::int64_t value = 0;
        {
          std::lock_guard lock(mu_);
          auto it = data_.find(key);
          if (it != data_.end()) {
            const std::string& s = it->second;
            auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
            if (ec != std::errc() || end != s.data() + s.size()) {
              reply = error_frame(fmt::format("add on key '{}', which holds a non-integer value", key));
              return true;
            }
          }
          // Wrap like two's complement instead of overflowing (UB); counters never get near.
          value = static_cast<std::int64_t>(static_cast<std::uint64_t>(value) +
                                            static_cast<std::uint64_t>(delta));
          data_[key] = std::to_string(value);
        }
        cv_.notify_all();
        reply = FrameWriter().u8(static_cast<std::uint8_t>(StoreStatus::ok)).i64(value).frame();
        return true;
      }
      case StoreOp::wait: {
        const std::uint32_t n = in.u32();
        std::vector<std::string> keys;
        // Each key takes at least 4 bytes of the frame, so n is bounded by the frame cap.
        for (std::uint32_t i = 0; i < n; ++i) keys.push_back(in.str());
        const auto deadline = deadline_after(std::chrono::milliseconds(in.i64()));
        const std::string* missing = nullptr;
        std::unique_lock lock(mu_);
        auto all_present = [&] {
          for (const auto& k : keys)
            if (!data_.count(k)) {
              missing = &k;
              return false;
            }
          return true;
        };
        if (!wait_for(lock, deadline, all_present)) {
          if (stopping_) return false;
          reply = FrameWriter().u8(static_cast<std::uint8_t>(StoreStatus::timeout)).str(*missing).frame();
          return true;
        }
        reply = ok_frame();
        return true;
      }
      case StoreOp::hello:
        break;
    }
    throw ProtocolError(fmt::format("unknown request op {}", static_cast<int>(op)));
  }

  std::string secret_;
  std::size_t max_unauthenticated_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_pipe_[2] = {-1, -1};
  std::thread accept_thread_;
  std::list<std::unique_ptr<Conn>> conns_;  // touched by the accept thread only (then ~Impl)
  std::size_t dropped_since_log_ = 0;        // accept thread only, as the next one
  Clock::time_point next_drop_log_{};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, std::string> data_;
};

StoreServer::StoreServer(int port, std::string secret) {
  if (port < 0 || port > 65535)
    throw Error(fmt::format("rendezvous store port {} is out of range: use 1-65535 (or 0 for any free port)", port));
  impl_ = std::make_unique<Impl>(port, std::move(secret));
}

StoreServer::~StoreServer() = default;

int StoreServer::port() const { return impl_->port(); }

}  // namespace cairn::coll
