// The metrics endpoint's server (common/exposition/metrics_server.h) against real
// clients: curl scrapes it and the Python prometheus_client parser reads what it gets;
// hostile clients (one that connects and sends nothing, one that sends a megabyte, wrong
// paths and methods, garbage) neither block a scrape nor stop the server; a port in use
// and a bad address are refused by name; it stops while a client is still connected.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/exposition/metrics_board.h"
#include "common/exposition/metrics_server.h"
#include "common/exposition/prometheus_text.h"
#include "tests/support/command_output.h"

namespace cairn::exposition {
namespace {

using Clock = std::chrono::steady_clock;

using cairn::test::command_output;

// A connected socket to 127.0.0.1:port (-1 if refused).
int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the server sends until it closes, or until `within` passes.
std::string read_all(int fd, std::chrono::milliseconds within = std::chrono::milliseconds(5000)) {
  std::string out;
  const auto deadline = Clock::now() + within;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string ask(int port, const std::string& request) {
  const int fd = connect_to(port);
  if (fd < 0) return "connect refused";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out = read_all(fd);
  ::close(fd);
  return out;
}

// The status line's code of curl's answer (-w), e.g. "200".
std::string curl_code(const std::string& url, const std::string& extra = "") {
  return command_output("/usr/bin/curl -s -o /dev/null -m 5 -w '%{http_code}' " + extra + " '" + url + "'");
}

constexpr const char* kParse =
    "/usr/bin/python3 -c 'import sys; from prometheus_client.parser import text_string_to_metric_families as p; "
    "fams = list(p(sys.stdin.read())); print(sum(len(f.samples) for f in fams))'";

class Server : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerLimits limits;
    limits.request_timeout = std::chrono::milliseconds(800);
    server_ = std::make_unique<MetricsServer>(
        ListenAddress{"127.0.0.1", 0}, [this] { return board_.render(); }, nullptr, limits);
    std::string text;
    add_sample(text, "cairn_test_value", "gauge", "A value.", 1.5);
    add_family(text, "cairn_test_labelled", "gauge", "A value with a hostile label.");
    text += "cairn_test_labelled{host=\"" + label_value("a\"b\\c\nd") + "\"} 2\n";
    board_.publish("test", text);
  }
  MetricsBoard board_;
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(Server, CurlScrapesItAndThePrometheusParserReadsEverySample) {
  const std::string head = command_output("/usr/bin/curl -s -i -m 5 '" + server_->url() + "'");
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << head;
  const std::string samples = command_output("/usr/bin/curl -s -m 5 '" + server_->url() + "' | " + kParse);
  EXPECT_EQ(samples, "2\n") << "the parser read " << samples;
  EXPECT_EQ(server_->scrapes(), 2);
}

TEST_F(Server, TheAgeOfAnInstantGrowsBetweenScrapes) {
  board_.publish_age("cairn_test_age_seconds", "Seconds since the test began.", MetricsBoard::Clock::now());
  const auto age = [&] {
    const std::string text = command_output("/usr/bin/curl -s -m 5 '" + server_->url() + "'");
    const auto at = text.find("\ncairn_test_age_seconds ");
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + 24));
  };
  const double first = age();
  ::usleep(200 * 1000);
  const double second = age();
  EXPECT_GE(first, 0);
  EXPECT_GE(second - first, 0.15);
}

TEST_F(Server, OtherPathsAre404OtherMethods405AndGarbage400) {
  EXPECT_EQ(curl_code(server_->url() + "x"), "404");
  EXPECT_EQ(curl_code(server_->url().substr(0, server_->url().size() - 8) + "/"), "404");
  EXPECT_EQ(curl_code(server_->url(), "-X POST -d x=1"), "405");
  EXPECT_EQ(curl_code(server_->url(), "-X DELETE"), "405");
  EXPECT_EQ(curl_code(server_->url() + "?name[]=cairn_train_loss"), "200");  // a scraper's parameters are ignored
  EXPECT_EQ(ask(server_->port(), "\x01\x02 garbage\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(curl_code(server_->url()), "200");
}

TEST_F(Server, ASilentClientNeitherDelaysAScrapeNorHoldsItsSlotPastTheTimeout) {
  const int silent = connect_to(server_->port());
  ASSERT_GE(silent, 0);
  const auto t0 = Clock::now();
  EXPECT_EQ(curl_code(server_->url()), "200");
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 0.5) << "a scrape waited for the silent client";
  // Closed by the server at its 800 ms deadline: the read sees the end, well before 5 s.
  const std::string got = read_all(silent);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 3.0);
  EXPECT_TRUE(got.empty()) << got;
  ::close(silent);
}

TEST_F(Server, AClientTricklingItsRequestIsCutOffAtTheDeadline) {
  const int fd = connect_to(server_->port());
  ASSERT_GE(fd, 0);
  const auto t0 = Clock::now();
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {  // a byte every 100 ms: 4 s if never cut off
    closed = ::send(fd, "G", 1, MSG_NOSIGNAL) < 0;
    ::usleep(100 * 1000);
  }
  EXPECT_TRUE(closed || read_all(fd, std::chrono::milliseconds(100)).empty());
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 3.0) << "the trickle was not cut off";
  ::close(fd);
  EXPECT_EQ(curl_code(server_->url()), "200");
}

TEST_F(Server, AHugeRequestIs431AndTheNextScrapeIsServed) {
  const std::string huge = "GET /metrics HTTP/1.1\r\nX-Junk: " + std::string(1 << 20, 'a');
  const std::string got = ask(server_->port(), huge);
  EXPECT_EQ(got.rfind("HTTP/1.1 431", 0), 0u) << got.substr(0, 200);
  EXPECT_EQ(curl_code(server_->url()), "200");
}

TEST_F(Server, ManyConnectionsAtOnceAreAnswered503NotQueuedForever) {
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) fds.push_back(connect_to(server_->port()));
  int busy = 0;
  for (int fd : fds) {
    if (fd < 0) continue;
    if (read_all(fd, std::chrono::milliseconds(50)).rfind("HTTP/1.1 503", 0) == 0) ++busy;
  }
  EXPECT_GE(busy, 1) << "20 silent clients and 16 slots";
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  EXPECT_EQ(curl_code(server_->url()), "200");
}

TEST_F(Server, ItStopsWhileAClientIsConnected) {
  const int fd = connect_to(server_->port());
  ASSERT_GE(fd, 0);
  const auto t0 = Clock::now();
  server_.reset();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 1.0);
  EXPECT_TRUE(read_all(fd, std::chrono::milliseconds(500)).empty());
  ::close(fd);
}

TEST_F(Server, APortInUseIsRefusedByName) {
  try {
    MetricsServer second(ListenAddress{"127.0.0.1", server_->port()}, [] { return std::string(); });
    FAIL() << "a second server bound port " << server_->port();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot listen on 127.0.0.1:" + std::to_string(server_->port())), std::string::npos) << what;
    EXPECT_NE(what.find("in use"), std::string::npos) << what;
  }
  EXPECT_EQ(curl_code(server_->url()), "200");
}

TEST(ListenAddress, BadPortsAndAddressesAreRefusedNamingTheFlag) {
  for (long long p : {-1LL, 65536LL, 1LL << 40})
    EXPECT_THROW(check_listen_port("--metrics-port", p), Error) << p;
  EXPECT_NO_THROW(check_listen_port("--metrics-port", 0));
  EXPECT_NO_THROW(check_listen_port("--metrics-port", 65535));
  for (const char* a : {"", "localhost", "256.1.1.1", "1.2.3", "::g", "127.0.0.1 ", "127.0.0.1\n"}) {
    try {
      check_listen_addr("--metrics-addr", a);
      ADD_FAILURE() << "accepted " << a;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--metrics-addr"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(check_listen_addr("--metrics-addr", "0.0.0.0"));
  EXPECT_NO_THROW(check_listen_addr("--metrics-addr", "::1"));
}

TEST(ListenAddress, AnAddressOfNoInterfaceHereIsRefusedWhenBound) {
  EXPECT_THROW(MetricsServer(ListenAddress{"192.0.2.1", 0}, [] { return std::string(); }), Error);
}

TEST(PrometheusText, NumbersReadBackExactlyAndLabelsAreEscaped) {
  EXPECT_EQ(sample_value(0.1), "0.1");
  EXPECT_EQ(std::stod(sample_value(2.3125727176666260)), 2.3125727176666260);
  EXPECT_EQ(sample_value(std::nan("")), "NaN");
  EXPECT_EQ(sample_value(-HUGE_VAL), "-Inf");
  EXPECT_EQ(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace cairn::exposition
