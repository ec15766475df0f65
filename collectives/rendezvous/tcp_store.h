// The rendezvous store over TCP: StoreServer runs on rank 0 (a background thread of its
// process), connect_store() gives every rank (0 included) a client.
//
// Protocol (store_wire.h; tcp_store_server.cpp and tcp_store_client.cpp): length-prefixed binary frames. A connection's
// first frame is a hello carrying the job's secret, compared in constant time; a wrong
// secret is answered with a refusal (the client raises a clear error) and the peer's
// address is logged on the server's stderr. Frames before the hello are capped at 4 KiB
// and must arrive within 5 s, later ones at 64 MiB, so a port scanner's garbage costs a
// closed connection and nothing else. At most 1024 connections (and an eighth of
// RLIMIT_NOFILE) wait for their hello at once, the oldest dropped for a new one, and a
// store out of descriptors drops the oldest too: intruders holding connections open can
// keep neither the job's ranks out nor rank 0 short of descriptors.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "collectives/rendezvous/store.h"
#include "common/error.h"

namespace cairn::coll {

// Thrown by get/wait/barrier when the store's timeout passes (a cairn::Error, so callers
// that do not care catch it as one).
class StoreTimeout : public Error {
 public:
  using Error::Error;
};

struct StoreOptions {
  std::string host;  // name, IPv4 or IPv6 address of rank 0 (MASTER_ADDR)
  int port = 0;
  std::string secret;
  // How long connecting may retry, and how long get/wait/barrier block (0: forever).
  std::chrono::milliseconds timeout{60000};
};

// Listens on every interface (IPv6 dual-stack where the host has it, else IPv4) and
// serves clients from a thread per connection until destroyed.
class StoreServer {
 public:
  // port 0 picks an ephemeral port (read it back with port()). Throws cairn::Error naming
  // the port if it cannot listen (in use: another job or a stale rank 0).
  StoreServer(int port, std::string secret);
  ~StoreServer();
  StoreServer(const StoreServer&) = delete;
  StoreServer& operator=(const StoreServer&) = delete;

  int port() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Connects (retrying with exponential back-off until options.timeout) and presents the
// secret. Throws cairn::Error: "could not reach the rendezvous store at HOST:PORT after
// 30 s: ..." or "store at HOST:PORT refused this rank: wrong job secret ...".
// A client runs one request at a time (calls from several threads are serialised).
std::unique_ptr<Store> connect_store(const StoreOptions& options);

// "host:port", or "[v6addr]:port" for an IPv6 literal: how errors name the store.
std::string store_address(const std::string& host, int port);

}  // namespace cairn::coll
