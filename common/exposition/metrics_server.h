// A minimal HTTP/1.1 responder for Prometheus scrapes, on a thread of its own: GET
// /metrics is answered with render()'s text (text/plain; version=0.0.4), any other path
// 404, any other method 405, a malformed request 400, one connection a request.
//
// Built to face hostile clients without touching the program it serves: one poll() loop
// multiplexes every connection (non-blocking sockets), so a client that connects and
// sends nothing holds a slot only until its deadline (limits.request_timeout from its
// accept, for the whole request: a client that trickles a byte a second is cut off too)
// and never delays another scrape; a request larger than limits.max_request_bytes is
// answered 431 and closed; more than limits.max_clients at once are answered 503. The
// responder never throws out of its thread (a failure is logged and the connection
// closed) and never raises SIGPIPE (send with MSG_NOSIGNAL). The destructor wakes the
// loop through a pipe and joins it: the server stops with its owner.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <thread>

#include "common/exposition/listen_address.h"

namespace cairn::exposition {

struct ServerLimits {
  std::size_t max_request_bytes = 8192;  // request line and headers; a scrape sends ~200
  std::chrono::milliseconds request_timeout{2000};  // from accept to the whole request
  std::chrono::milliseconds response_timeout{5000}; // to send the answer to a slow reader
  int max_clients = 16;
};

class MetricsServer {
 public:
  using Render = std::function<std::string()>;  // called on the server's thread: thread-safe
  using Log = std::function<void(const std::string&)>;  // thread-safe too
  // Binds and listens before it returns: cairn::Error "cannot listen on ADDR:PORT: <why>"
  // (a port in use, an address of no interface here).
  MetricsServer(const ListenAddress& at, Render render, Log log = {}, ServerLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return port_; }  // the one bound (port 0 asked: the kernel's choice)
  std::string url() const;            // http://ADDR:PORT/metrics
  long scrapes() const { return scrapes_.load(); }  // GET /metrics answered 200

 private:
  void serve();
  std::string addr_;
  int port_ = 0;
  Render render_;
  Log log_;
  ServerLimits limits_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<long> scrapes_{0};
  std::thread thread_;
};

}  // namespace cairn::exposition
