// `cairn launch --max-restarts` on commands that are not training runs: a failure in the
// first start only is restarted once (CAIRN_RESTART tells the start), a command that always
// fails gives up after N restarts with the last failure's exit code and an incident each,
// SIGTERM to the launcher never restarts, and --incidents gets one JSON line an incident.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/json_io.h"
#include "tests/ft/restart_support.h"
#include "tests/train/fortunes_corpus.h"

namespace cairn::ft::test {
namespace {

TEST(LaunchRestart, AFailureOfTheFirstStartIsRestartedOnceWithCairnRestartSet) {
  const train::test::TempDir dir("restart_once");
  const Output o = run_words(dir.path.string(), kCairn +
                                                    " launch -n 2 --max-restarts 3 --incidents inc.jsonl -- /bin/sh -c "
                                                    "'echo start $CAIRN_RESTART; test $CAIRN_RESTART != 0 || exit 5'");
  EXPECT_EQ(o.code, 0) << o.text;
  EXPECT_GE(count(o.text, "] start 0"), 1u) << o.text;  // the failing rank's peer may be stopped before it speaks
  EXPECT_EQ(count(o.text, "] start 1"), 2u) << o.text;
  EXPECT_EQ(count(o.text, "restarting all 2 ranks (restart 1 of 3)"), 1u) << o.text;
  EXPECT_EQ(count(o.text, "cairn launch: incident 1: rank "), 1u) << o.text;
  EXPECT_EQ(count(o.text, "exited with code 5"), 2u) << o.text;  // the failure line and the incident
  const auto lines = lines_of(dir.file("inc.jsonl"));
  ASSERT_EQ(lines.size(), 1u);
  const Json j = parse_json(lines[0], "inc.jsonl");
  EXPECT_EQ(j.at("schema"), "cairn.launch_incident");
  EXPECT_EQ(j.at("exit_code"), 5);
  EXPECT_EQ(j.at("restarted"), true);
  EXPECT_TRUE(j.at("time_to_detect_s").is_number());
  EXPECT_TRUE(j.at("time_to_resume_s").is_null()) << "sh reports no step";
}

TEST(LaunchRestart, ACommandThatAlwaysFailsGivesUpAfterNRestartsWithItsExitCode) {
  const train::test::TempDir dir("restart_give_up");
  const Output o = run_words(dir.path.string(),
                             kCairn + " launch -n 2 --max-restarts 2 --incidents inc.jsonl -- /bin/sh -c 'exit 3'");
  EXPECT_EQ(o.code, 3) << o.text;
  EXPECT_EQ(count(o.text, "restarting all 2 ranks"), 2u) << o.text;
  EXPECT_EQ(count(o.text, "gave up after 2 restarts"), 1u) << o.text;
  EXPECT_EQ(lines_of(dir.file("inc.jsonl")).size(), 3u);
}

TEST(LaunchRestart, WithoutMaxRestartsAFailureEndsTheJobAsBefore) {
  const train::test::TempDir dir("restart_none");
  const Output o = run_words(dir.path.string(), kCairn + " launch -n 2 -- /bin/sh -c 'exit 4'");
  EXPECT_EQ(o.code, 4) << o.text;
  EXPECT_EQ(count(o.text, "restart"), 0u) << o.text;
  EXPECT_EQ(count(o.text, "incident"), 0u) << o.text;
}

// What the file holds so far ("" before it exists).
std::string text_of(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(LaunchRestart, SigtermToTheLauncherNeverRestarts) {
  const train::test::TempDir dir("restart_sigterm");
  const std::string out = dir.file("out.txt");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setpgid(0, 0);
    const std::string cmd = "exec env -i PATH=/usr/bin:/bin " + kCairn +
                            " launch -n 2 --max-restarts 5 -- /bin/sh -c 'echo started; exec sleep 60' >" + out +
                            " 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (count(text_of(out), "started") < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string text = text_of(out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM) << text;
  EXPECT_EQ(count(text, "restarting"), 0u) << text;
  EXPECT_EQ(count(text, "started"), 2u) << text;
}

TEST(LaunchRestart, BadMaxRestartsAreRefusedWithOneLine) {
  const train::test::TempDir dir("restart_bad");
  for (const char* bad : {"-1", "1001", "many", "2.5"}) {
    const Output o = run_words(dir.path.string(), kCairn + " launch -n 1 --max-restarts " + bad + " -- /bin/true");
    EXPECT_EQ(o.code, 2) << bad << ": " << o.text;
    EXPECT_NE(o.text.find("max-restarts"), std::string::npos) << bad << ": " << o.text;
    EXPECT_EQ(count(o.text, "\n"), 1u) << bad << ": " << o.text;
  }
  const Output multi = run_words(dir.path.string(), kCairn +
                                                        " launch -n 1 --nnodes 2 --node-rank 0 --master-addr 127.0.0.1 "
                                                        "--master-port 29999 --max-restarts 1 -- /bin/true");
  EXPECT_EQ(multi.code, 2) << multi.text;
  EXPECT_NE(multi.text.find("one node only"), std::string::npos) << multi.text;
}

}  // namespace
}  // namespace cairn::ft::test
