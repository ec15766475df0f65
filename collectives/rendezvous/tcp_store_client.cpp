// The store client: connect with back-off, present the secret, then one request at a time.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "collectives/rendezvous/store_wire.h"
#include "collectives/rendezvous/tcp_store.h"
#include "common/error.h"

namespace cairn::coll {

using namespace detail;

std::string store_address(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

namespace {

// A server that accepted but has not replied this long after its own timeout is hung.
constexpr std::chrono::seconds kReplyGrace{10};
// No single connect or hello waits longer than this before the next retry.
constexpr std::chrono::seconds kAttemptCap{5};

std::chrono::milliseconds until(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now());
}

// Non-blocking connect bounded by `limit`; the connected (blocking) fd or -1 with err set.
int connect_one(const addrinfo& ai, std::chrono::milliseconds limit, int& err) {
  const int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai.ai_protocol);
  if (fd < 0) {
    err = errno;
    return -1;
  }
  int rc = ::connect(fd, ai.ai_addr, ai.ai_addrlen);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    rc = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(limit.count(), 1)));
    if (rc == 1) {
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
    } else {
      err = rc == 0 ? ETIMEDOUT : errno;
      rc = -1;
    }
  } else if (rc != 0) {
    err = errno;
  }
  if (rc != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

class TcpStoreClient final : public Store {
 public:
  explicit TcpStoreClient(const StoreOptions& o)
      : opt_(o), addr_(store_address(o.host, o.port)), timeout_ms_(o.timeout.count()) {
    connect();
  }
  ~TcpStoreClient() override {
    if (fd_ >= 0) ::close(fd_);
  }

  void set(const std::string& key, const std::string& value) override {
    check_value_size(key, value.size());
    std::lock_guard lock(mu_);
    expect_ok(request(FrameWriter().u8(static_cast<std::uint8_t>(StoreOp::set)).str(key).str(value), {}), key);
  }

  std::string get(const std::string& key) override {
    const auto timeout = timeout_now();
    std::lock_guard lock(mu_);
    std::string reply = request(
        FrameWriter().u8(static_cast<std::uint8_t>(StoreOp::get)).str(key).i64(timeout.count()), timeout);
    FrameReader in(reply);
    return read_status(in, key, timeout) == StoreStatus::ok ? in.str() : std::string();
  }

  std::int64_t add(const std::string& key, std::int64_t delta) override {
    std::lock_guard lock(mu_);
    std::string reply =
        request(FrameWriter().u8(static_cast<std::uint8_t>(StoreOp::add)).str(key).i64(delta), {});
    FrameReader in(reply);
    read_status(in, key, {});
    return in.i64();
  }

  void wait(const std::vector<std::string>& keys) override {
    const auto timeout = timeout_now();
    FrameWriter w;
    w.u8(static_cast<std::uint8_t>(StoreOp::wait)).u32(static_cast<std::uint32_t>(keys.size()));
    for (const auto& k : keys) w.str(k);
    w.i64(timeout.count());
    std::lock_guard lock(mu_);
    expect_ok(request(w, timeout), keys.empty() ? std::string() : keys.front());
  }

  // A counter per barrier name; the rank that brings it to a multiple of world_size opens
  // that generation's gate, so the same name can be reused.
  void barrier(const std::string& name, int world_size) override {
    if (world_size < 1)
      throw Error(fmt::format("barrier '{}': world size {} must be at least 1", name, world_size));
    const std::string counter = "cairn/barrier/" + name;
    const std::int64_t arrived = add(counter, 1);
    const std::int64_t generation = (arrived - 1) / world_size;
    const std::string gate = fmt::format("{}/gen{}", counter, generation);
    if (arrived % world_size == 0) set(gate, "open");
    try {
      get(gate);
    } catch (const StoreTimeout&) {
      const std::int64_t now_arrived = add(counter, 0) - generation * world_size;
      throw Error(fmt::format("barrier '{}' at store {} timed out after {}: {} of {} ranks arrived "
                              "(a rank is stuck or dead)",
                              name, addr_, seconds_text(timeout_now()), now_arrived, world_size));
    }
  }

  void set_timeout(std::chrono::milliseconds timeout) override { timeout_ms_ = timeout.count(); }

 private:
  std::chrono::milliseconds timeout_now() const { return std::chrono::milliseconds(timeout_ms_.load()); }

  void check_value_size(const std::string& key, std::size_t bytes) const {
    if (bytes + key.size() + 64 > kMaxFrameBytes)
      throw Error(fmt::format("store value for key '{}' is {} bytes; one message carries at most {} MiB",
                              key, bytes, kMaxFrameBytes >> 20));
  }

  [[noreturn]] void lost(const std::string& why) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    throw Error(fmt::format("lost the connection to the rendezvous store at {} ({}): did rank 0 exit?", addr_, why));
  }

  // Sends a request and returns the reply payload. server_wait: how long the server may
  // block on it (empty: it answers at once).
  std::string request(const FrameWriter& w, std::optional<std::chrono::milliseconds> server_wait) {
    if (fd_ < 0) lost("an earlier request failed");
    if (!write_all(fd_, w.frame())) lost(std::string("sending: ") + std::strerror(errno));
    Deadline deadline = Clock::now() + kReplyGrace;
    if (server_wait) deadline = server_wait->count() > 0 ? deadline_after(*server_wait + kReplyGrace) : std::nullopt;
    std::string reply;
    IoResult r;
    errno = 0;
    try {
      r = read_frame(fd_, reply, kMaxFrameBytes, deadline);
    } catch (const ProtocolError& e) {
      lost(std::string("bad reply: ") + e.what());
    }
    if (r == IoResult::timed_out) {
      ::close(fd_);
      fd_ = -1;
      throw Error(fmt::format("the rendezvous store at {} stopped answering (rank 0 hung?)", addr_));
    }
    if (r != IoResult::ok) lost(errno ? std::strerror(errno) : "closed by the store");
    return reply;
  }

  StoreStatus read_status(FrameReader& in, const std::string& key, std::chrono::milliseconds timeout) {
    try {
      const auto status = static_cast<StoreStatus>(in.u8());
      if (status == StoreStatus::ok) return status;
      if (status == StoreStatus::timeout)
        throw StoreTimeout(fmt::format("key '{}' did not appear in the store at {} within {} (has every "
                                       "rank started? one that died never sets it)",
                                       in.str(), addr_, seconds_text(timeout)));
      if (status == StoreStatus::error)
        throw Error(fmt::format("store at {}: {}", addr_, in.str()));
    } catch (const ProtocolError& e) {
      lost(std::string("bad reply: ") + e.what());
    }
    throw Error(fmt::format("store at {} sent an unknown reply to a request on key '{}'", addr_, key));
  }

  void expect_ok(const std::string& reply, const std::string& key) {
    FrameReader in(reply);
    read_status(in, key, timeout_now());
  }

  void connect() {
    const auto timeout = opt_.timeout.count() > 0 ? opt_.timeout : std::chrono::hours(24 * 365);
    const auto deadline = Clock::now() + timeout;
    std::minstd_rand rng(static_cast<unsigned>(::getpid()) ^
                         static_cast<unsigned>(Clock::now().time_since_epoch().count()));
    auto backoff = std::chrono::milliseconds(50);
    std::string last_error = "no attempt finished";
    const std::string port = std::to_string(opt_.port);
    for (;;) {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      // Resolved on every attempt: a cluster's DNS (a Kubernetes headless service) may
      // publish rank 0's name only after it starts.
      const int gai = ::getaddrinfo(opt_.host.c_str(), port.c_str(), &hints, &res);
      if (gai != 0) {
        last_error = fmt::format("cannot resolve '{}': {}", opt_.host, ::gai_strerror(gai));
      } else {
        for (addrinfo* ai = res; ai && fd_ < 0; ai = ai->ai_next) {
          int err = 0;
          const auto limit = std::max(std::chrono::milliseconds(1), std::min<std::chrono::milliseconds>(until(deadline), kAttemptCap));
          fd_ = connect_one(*ai, limit, err);
          if (fd_ < 0) last_error = std::strerror(err);
        }
        ::freeaddrinfo(res);
      }
      if (fd_ >= 0) {
        if (hello(deadline, last_error)) return;
      }
      const auto left = until(deadline);
      if (left.count() <= 0) break;
      // Jitter spreads a thousand ranks' retries so they do not arrive in lockstep; the
      // last attempt lands on the deadline.
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      std::this_thread::sleep_for(
          std::min(left, std::chrono::duration_cast<std::chrono::milliseconds>(backoff * jitter(rng))));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
    throw Error(fmt::format("could not reach the rendezvous store at {} after {}: is rank 0 running and "
                            "MASTER_ADDR right? (last error: {})",
                            addr_, seconds_text(opt_.timeout), last_error));
  }

  // Presents the secret on the fresh connection fd_. true: accepted; false: retry (fd_
  // closed, last_error set). Throws on refusal, which retrying cannot fix.
  bool hello(Clock::time_point deadline, std::string& last_error) {
    auto drop = [&](std::string why) {
      ::close(fd_);
      fd_ = -1;
      last_error = std::move(why);
      return false;
    };
    const std::string out = FrameWriter()
                                .u8(static_cast<std::uint8_t>(StoreOp::hello))
                                .raw(kStoreMagic)
                                .u32(kStoreProtocolVersion)
                                .str(opt_.secret)
                                .frame();
    if (out.size() > kMaxHelloBytes)
      throw Error(fmt::format("the job secret is {} bytes; keep CAIRN_SECRET under 4000", opt_.secret.size()));
    if (!write_all(fd_, out)) return drop("connection closed during the hello");
    std::string reply;
    const auto limit = std::min<Clock::time_point>(deadline, Clock::now() + kAttemptCap);
    IoResult r;
    try {
      r = read_frame(fd_, reply, kMaxHelloBytes, std::max(limit, Clock::now() + std::chrono::milliseconds(200)));
    } catch (const ProtocolError&) {
      return drop("the peer is not a Cairn store");
    }
    if (r != IoResult::ok) return drop("the store did not answer the hello");
    try {
      FrameReader in(reply);
      const auto status = static_cast<StoreStatus>(in.u8());
      if (status == StoreStatus::ok) return true;
      if (status == StoreStatus::refused)
        throw Error(fmt::format("store at {} refused this rank: wrong job secret (set CAIRN_SECRET to the job's)",
                                addr_));
      if (status == StoreStatus::error) throw Error(fmt::format("store at {}: {}", addr_, in.str()));
    } catch (const ProtocolError&) {
    }
    return drop("the peer is not a Cairn store");
  }

  StoreOptions opt_;
  std::string addr_;
  std::atomic<std::int64_t> timeout_ms_;
  std::mutex mu_;  // one request at a time on fd_
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<Store> connect_store(const StoreOptions& options) {
  if (options.host.empty())
    throw Error("rendezvous store: no host given: set MASTER_ADDR to rank 0's host");
  if (options.port < 1 || options.port > 65535)
    throw Error(fmt::format("rendezvous store port {} is out of range: set MASTER_PORT to 1-65535", options.port));
  return std::make_unique<TcpStoreClient>(options);
}

}  // namespace cairn::coll
