// issue 21, done-when 4: a running `cairn train --metrics-port 0` is scraped with curl
// several times; every scrape parses with the Python prometheus_client parser, and the
// step and loss of each equal a line of the run's --loss-log ("STEP LOSS GRAD_NORM LR").
// A port in use and a bad address stop the run with one line, exit 2, before any step.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/text_file.h"
#include "tests/ft/straggler_job.h"
#include "tests/support/command_output.h"

namespace cairn::ft::test {
namespace {

using cairn::test::command_output;

// The parser reads the file; prints "STEP LOSS" with repr's exact digits, or "none" when
// the scrape held no step yet. A text it cannot parse fails the script (no line).
constexpr const char* kParse =
    "/usr/bin/python3 -c 'import sys\n"
    "from prometheus_client.parser import text_string_to_metric_families as p\n"
    "v = {s.name: s.value for f in p(open(sys.argv[1]).read()) for s in f.samples}\n"
    "print(\"%r %r\" % (int(v[\"cairn_train_step\"]), v[\"cairn_train_loss\"]) if \"cairn_train_step\" in v else \"none\")' ";

std::string train_command(const std::string& shard, const std::string& extra) {
  return "env -i PATH=/usr/bin:/bin " + kCairn + " train --data " + shard +
         " --preset tiny --batch 8 --seq-len 64 --threads 1 --log-every 1000000 " + extra;
}

TEST(MetricsTrain, EveryScrapeParsesAndItsStepAndLossAreALoggedLine) {
  const TempDir dir("metrics_train");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  const std::string out = dir.file("train.out"), log = dir.file("loss.log");
  int code = -1;
  std::thread trainer([&] {
    code = std::system((train_command(shard, "--steps 120 --metrics-port 0 --divergence --loss-log " + log) + " >" +
                        out + " 2>&1")
                           .c_str());
  });
  std::string url;
  for (int i = 0; i < 200 && url.empty(); ++i) {  // the address is printed once, before the first step
    const std::string text = text_or_empty(out);
    const auto at = text.find("metrics: serving ");
    if (at != std::string::npos && text.find('\n', at) != std::string::npos)
      url = text.substr(at + 17, text.find('\n', at) - at - 17);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<std::string> parsed;
  for (int i = 0; i < 6 && !url.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    const std::string file = dir.file("scrape" + std::to_string(i) + ".prom");
    const std::string got = command_output("/usr/bin/curl -s -f -m 5 -o " + file + " -w '%{http_code}' '" + url + "'");
    if (got != "200") break;  // the run ended
    const std::string line = command_output(std::string(kParse) + file);
    ASSERT_FALSE(line.empty()) << "prometheus_client could not parse scrape " << i << ":\n" << text_or_empty(file);
    parsed.push_back(line.substr(0, line.size() - 1));
  }
  trainer.join();
  ASSERT_FALSE(url.empty()) << "no address printed\n" << text_or_empty(out);
  ASSERT_EQ(code, 0) << text_or_empty(out);
  std::map<long, std::string> logged;  // step -> the loss as printed (%.17g)
  std::istringstream lines(text_or_empty(log));
  for (std::string l; std::getline(lines, l);) {
    long step = 0;
    char loss[64] = {};
    if (std::sscanf(l.c_str(), "%ld %63s", &step, loss) == 2) logged[step] = loss;
  }
  ASSERT_EQ(logged.size(), 120u);
  int with_step = 0;
  for (const std::string& p : parsed) {
    if (p == "none") continue;
    ++with_step;
    long step = 0;
    double loss = 0;
    ASSERT_EQ(std::sscanf(p.c_str(), "%ld %lf", &step, &loss), 2) << p;
    ASSERT_TRUE(logged.count(step)) << "scraped step " << step << " is not in the loss log";
    EXPECT_EQ(loss, std::stod(logged[step])) << "step " << step << ": scraped " << p << ", logged " << logged[step];
  }
  std::cout << "[ figure ] " << with_step << " of " << parsed.size() << " scrapes during the run held a step\n";
  EXPECT_GE(with_step, 3) << "too few scrapes landed during the run";
}

// A listening socket on a free port of 127.0.0.1; its port.
int listen_somewhere(int& fd) {
  fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(fd, 1) != 0) return -1;
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

struct Refusal {
  int code = -1;
  std::string err, out;
};

Refusal refused_run(const TempDir& dir, const std::string& shard, const std::string& extra) {
  const std::string log = dir.file("refused.log");
  std::remove(log.c_str());
  const std::string err = dir.file("err.txt"), out = dir.file("out.txt");
  const int status = std::system((train_command(shard, "--steps 50 --loss-log " + log + " " + extra) + " >" + out +
                                  " 2>" + err)
                                     .c_str());
  Refusal r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, text_or_empty(err), text_or_empty(out)};
  const std::string logged = text_or_empty(log);
  EXPECT_TRUE(logged.empty()) << "steps were taken before the refusal:\n" << logged;
  EXPECT_EQ(r.out.find("trained to step"), std::string::npos) << r.out;
  return r;
}

TEST(MetricsTrain, APortInUseAndABadAddressStopTheRunInOneLineBeforeAnyStep) {
  const TempDir dir("metrics_refused");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  int held = -1;
  const int port = listen_somewhere(held);
  ASSERT_GT(port, 0);
  const Refusal in_use = refused_run(dir, shard, "--metrics-port " + std::to_string(port));
  ::close(held);
  EXPECT_EQ(in_use.code, 2) << in_use.err;
  EXPECT_EQ(std::count(in_use.err.begin(), in_use.err.end(), '\n'), 1) << in_use.err;
  EXPECT_NE(in_use.err.find("--metrics-port " + std::to_string(port)), std::string::npos) << in_use.err;
  EXPECT_NE(in_use.err.find("in use"), std::string::npos) << in_use.err;

  for (const std::string bad : {"--metrics-port 0 --metrics-addr 300.1.1.1", "--metrics-port 0 --metrics-addr localhost",
                                "--metrics-port 65536", "--metrics-port -1", "--metrics-addr 127.0.0.1",
                                "--metrics-port 0 --metrics-addr 192.0.2.1"}) {
    const Refusal r = refused_run(dir, shard, bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--metrics-"), std::string::npos) << bad << ": " << r.err;
  }
}

}  // namespace
}  // namespace cairn::ft::test
