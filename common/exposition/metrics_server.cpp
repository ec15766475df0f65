#include "common/exposition/metrics_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/exposition/prometheus_text.h"

namespace cairn::exposition {
namespace {

using Clock = std::chrono::steady_clock;

// One connection: the request read so far, then the answer being sent, then (after the
// answer) what the client still sends, read and dropped until it closes or its deadline:
// closing a socket with unread input resets it, and the reset can destroy the answer
// before the client has read it (a client that sent too much must still see its 431).
struct Client {
  int fd = -1;
  enum class State { reading, writing, draining } state = State::reading;
  std::string in, out;
  std::size_t sent = 0;
  Clock::time_point deadline;
};

std::string response(int code, const char* reason, const std::string& body, const char* type = "text/plain; charset=utf-8",
                     const char* extra = "") {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n{}", code,
                     reason, type, body.size(), extra, body);
}

// The request head, if whole: up to the blank line (CRLF CRLF, or bare LFs).
bool head_complete(const std::string& in) {
  return in.find("\r\n\r\n") != std::string::npos || in.find("\n\n") != std::string::npos;
}

}  // namespace

MetricsServer::MetricsServer(const ListenAddress& at, Render render, Log log, ServerLimits limits)
    : addr_(at.addr), render_(std::move(render)), log_(std::move(log)), limits_(limits) {
  check_listen_addr("address", at.addr);
  check_listen_port("port", at.port);
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  int family = AF_INET;
  if (::inet_pton(AF_INET, at.addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(at.port));
    len = sizeof(*v4);
  } else {
    family = AF_INET6;
    ::inet_pton(AF_INET6, at.addr.c_str(), &v6->sin6_addr);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(at.port));
    len = sizeof(*v6);
  }
  const std::string where = host_port(at.addr, at.port);
  const auto refuse = [&](const char* what) {
    const std::string why = std::strerror(errno);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    throw Error(fmt::format("cannot listen on {}: {}: {}", where, what, why));
  };
  listen_fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) refuse("socket");
  // Lets a restarted run take its port back from connections still in TIME_WAIT; a port
  // another socket listens on is still refused (EADDRINUSE).
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) refuse("bind");
  if (::listen(listen_fd_, 64) != 0) refuse("listen");
  sockaddr_storage bound{};
  socklen_t blen = sizeof(bound);
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &blen) != 0) refuse("getsockname");
  port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                  : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) refuse("pipe");
  thread_ = std::thread(&MetricsServer::serve, this);
}

MetricsServer::~MetricsServer() {
  const char stop = 1;
  while (::write(wake_[1], &stop, 1) < 0 && errno == EINTR) {
  }
  if (thread_.joinable()) thread_.join();
  ::close(wake_[0]);
  ::close(wake_[1]);
  ::close(listen_fd_);
}

std::string MetricsServer::url() const { return "http://" + host_port(addr_, port_) + "/metrics"; }

void MetricsServer::serve() {
  std::vector<Client> clients;
  Clock::time_point accept_after{};  // after accept() failed for want of descriptors
  bool said_accept = false;
  const auto close_client = [](Client& c) {
    ::close(c.fd);
    c.fd = -1;
  };
  const auto answer = [&](Client& c, std::string text) {
    c.out = std::move(text);
    c.sent = 0;
    c.state = Client::State::writing;
    c.deadline = Clock::now() + limits_.response_timeout;
  };
  // The answer to a whole request head: request line "METHOD TARGET HTTP/1.x".
  const auto respond = [&](Client& c) {
    const std::size_t eol = c.in.find('\n');
    std::string line = c.in.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t s1 = line.find(' '), s2 = s1 == std::string::npos ? s1 : line.find(' ', s1 + 1);
    if (s2 == std::string::npos || line.find(' ', s2 + 1) != std::string::npos ||
        line.compare(s2 + 1, 7, "HTTP/1.") != 0)
      return answer(c, response(400, "Bad Request", "not an HTTP/1.x request line\n"));
    const std::string method = line.substr(0, s1);
    std::string path = line.substr(s1 + 1, s2 - s1 - 1);
    path = path.substr(0, path.find('?'));  // a scraper's parameters are not ours to read
    if (path != "/metrics") return answer(c, response(404, "Not Found", "metrics are at /metrics\n"));
    if (method != "GET")
      return answer(c, response(405, "Method Not Allowed", "only GET\n", "text/plain; charset=utf-8", "Allow: GET\r\n"));
    std::string body;
    try {
      body = render_();
    } catch (const std::exception& e) {
      if (log_) log_(std::string("metrics: rendering failed: ") + e.what());
      return answer(c, response(500, "Internal Server Error", "rendering failed\n"));
    }
    scrapes_.fetch_add(1);
    answer(c, response(200, "OK", body, kTextContentType));
  };
  const auto on_readable = [&](Client& c) {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) return close_client(c);  // closed, or reset
      if (c.state == Client::State::draining) continue;
      c.in.append(buf, static_cast<std::size_t>(n));
      if (head_complete(c.in)) return respond(c);
      if (c.in.size() > limits_.max_request_bytes)
        return answer(c, response(431, "Request Header Fields Too Large",
                                  fmt::format("a request may hold {} bytes\n", limits_.max_request_bytes)));
    }
  };
  const auto on_writable = [&](Client& c) {
    while (c.sent < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) return close_client(c);
      c.sent += static_cast<std::size_t>(n);
    }
    ::shutdown(c.fd, SHUT_WR);
    c.state = Client::State::draining;
    c.in.clear();
    c.out.clear();
    c.deadline = Clock::now() + std::min(limits_.request_timeout, std::chrono::milliseconds(1000));
  };
  const auto accept_one = [&] {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return false;
      if (log_ && !said_accept) log_(std::string("metrics: accept failed: ") + std::strerror(errno) + "; retrying");
      said_accept = true;
      accept_after = Clock::now() + std::chrono::milliseconds(100);
      return false;
    }
    Client c;
    c.fd = fd;
    c.deadline = Clock::now() + limits_.request_timeout;
    if (static_cast<int>(clients.size()) >= limits_.max_clients) {
      answer(c, response(503, "Service Unavailable", "too many connections\n"));
      on_writable(c);  // best effort, once: the socket's buffer takes a few hundred bytes
      if (c.fd >= 0) ::close(c.fd);
      return true;
    }
    clients.push_back(std::move(c));
    return true;
  };

  for (;;) {
    try {
      std::vector<pollfd> fds;
      fds.push_back({wake_[0], POLLIN, 0});
      const auto now = Clock::now();
      const bool listening = now >= accept_after;
      if (listening) fds.push_back({listen_fd_, POLLIN, 0});
      const std::size_t first_client = fds.size();
      auto next = now + std::chrono::milliseconds(1000);
      if (!listening) next = std::min(next, accept_after);
      for (const Client& c : clients) {
        fds.push_back({c.fd, static_cast<short>(c.state == Client::State::writing ? POLLOUT : POLLIN), 0});
        next = std::min(next, c.deadline);
      }
      const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
      const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(wait_ms, 0) + 1));
      if (ready < 0 && errno != EINTR) {
        if (log_) log_(std::string("metrics: poll failed: ") + std::strerror(errno) + "; the endpoint stops");
        break;
      }
      if (fds[0].revents) break;  // the owner stops the server
      if (listening && fds[1].revents & POLLIN)
        for (int i = 0; i < 64 && accept_one(); ++i) {
        }
      for (std::size_t i = 0; i < clients.size() && first_client + i < fds.size(); ++i) {
        Client& c = clients[i];
        const short ev = fds[first_client + i].revents;
        if (ev & (POLLERR | POLLNVAL)) close_client(c);
        else if (ev & POLLOUT) on_writable(c);
        else if (ev & (POLLIN | POLLHUP)) on_readable(c);
      }
      const auto later = Clock::now();
      for (Client& c : clients)
        if (c.fd >= 0 && later >= c.deadline) close_client(c);  // silent, trickling or not reading
      std::erase_if(clients, [](const Client& c) { return c.fd < 0; });
    } catch (const std::exception& e) {  // out of memory for a request or an answer
      if (log_) log_(std::string("metrics: ") + e.what() + "; its connections are closed");
      for (Client& c : clients)
        if (c.fd >= 0) ::close(c.fd);
      clients.clear();
    }
  }
  for (Client& c : clients)
    if (c.fd >= 0) ::close(c.fd);
}

}  // namespace cairn::exposition
