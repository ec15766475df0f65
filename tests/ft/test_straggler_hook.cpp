// --straggler-hook's runner (ft/alerting/hook_runner.h): the hook reads the alert on
// stdin, training never waits for it (run() returns at once, a second alert while one
// runs is not passed), a hook past its timeout is killed, a failing one is logged.
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/text_file.h"
#include "ft/alerting/hook_runner.h"
#include "tests/train/fortunes_corpus.h"

namespace cairn::ft {
namespace {

using Clock = std::chrono::steady_clock;

struct Logged {
  std::mutex mu;
  std::vector<std::string> lines;
  HookRunner::Log log() {
    return [this](const std::string& l) {
      std::lock_guard lock(mu);
      lines.push_back(l);
    };
  }
  std::string all() {
    std::lock_guard lock(mu);
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
  }
};

TEST(StragglerHook, ReadsTheAlertOnStdin) {
  const train::test::TempDir dir("straggler_hook");
  const std::string out = dir.file("got.json");
  Logged logged;
  {
    HookRunner hook("cat > " + out, std::chrono::seconds(20), logged.log());
    EXPECT_TRUE(hook.run("{\"rank\":2}\n"));
    hook.wait_idle();
  }
  EXPECT_EQ(read_text_file(out), "{\"rank\":2}\n");
  EXPECT_EQ(logged.all(), "");
}

TEST(StragglerHook, NeverBlocksAndASecondAlertWhileOneRunsIsNotPassed) {
  Logged logged;
  HookRunner hook("sleep 2", std::chrono::seconds(20), logged.log());
  const auto t0 = Clock::now();
  EXPECT_TRUE(hook.run("{}\n"));
  EXPECT_FALSE(hook.run("{}\n"));
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 1.5) << "run() waited for the hook";
  EXPECT_NE(logged.all().find("still running"), std::string::npos) << logged.all();
  hook.wait_idle();
  EXPECT_EQ(hook.started(), 1);
}

TEST(StragglerHook, AHookPastItsTimeoutIsKilledAndAFailureLogged) {
  Logged logged;
  {
    HookRunner hook("sleep 60", std::chrono::milliseconds(200), logged.log());
    const auto t0 = Clock::now();
    ASSERT_TRUE(hook.run("{}\n"));
    hook.wait_idle();
    EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 30);
  }
  EXPECT_NE(logged.all().find("killed after 200 ms"), std::string::npos) << logged.all();
  Logged failed;
  {
    HookRunner hook("exit 3", std::chrono::seconds(20), failed.log());
    ASSERT_TRUE(hook.run("{}\n"));
    hook.wait_idle();
  }
  EXPECT_NE(failed.all().find("exited 3"), std::string::npos) << failed.all();
  Logged missing;
  {
    HookRunner hook("/no/such/hook", std::chrono::seconds(20), missing.log());
    ASSERT_TRUE(hook.run("{}\n"));  // sh starts; the command it runs does not
    hook.wait_idle();
  }
  EXPECT_NE(missing.all().find("exited 127"), std::string::npos) << missing.all();
}

}  // namespace
}  // namespace cairn::ft
