// Liveness of same-host peers from /proc: a process that exited is lost, one stopped by
// SIGSTOP is alive but stopped, and the watch names the stopped rank for a timeout.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "collectives/backends/process_liveness.h"

namespace cairn::coll::detail {
namespace {

TEST(ProcessLiveness, AStoppedPeerIsAliveAndNamedAsStopped) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (;;) ::pause();
  }
  ProcessIdentity peer = this_process();
  peer.pid = child;
  peer.start_ticks = 0;  // any start time
  LocalPeerWatch watch({{3, peer}});
  EXPECT_TRUE(process_alive(peer));
  EXPECT_FALSE(process_stopped(peer));
  EXPECT_FALSE(watch.stopped());

  ASSERT_EQ(::kill(child, SIGSTOP), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, WUNTRACED), child);
  ASSERT_TRUE(WIFSTOPPED(status));
  EXPECT_TRUE(process_alive(peer));
  EXPECT_TRUE(process_stopped(peer));
  const auto stopped = watch.stopped();
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->first, 3);
  EXPECT_EQ(stopped->second, "rank 3 is stopped (its process " + std::to_string(child) +
                                 " on this host: SIGSTOP or a debugger; kill -CONT " + std::to_string(child) +
                                 " resumes it)");
  EXPECT_FALSE(watch.lost()) << "a stopped peer is not lost";

  ::kill(child, SIGKILL);
  ::waitpid(child, &status, 0);
  EXPECT_FALSE(process_stopped(peer));
  EXPECT_FALSE(process_alive(peer));
}

}  // namespace
}  // namespace cairn::coll::detail
