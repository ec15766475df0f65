// The launcher's reader of the ranks' event file (collectives/launch/ft_events.h): what
// the ranks' writer appends (ft/watchdog/job_events.h) comes back as events, a line that
// arrives in pieces is read once whole, and garbage, overlong lines and lines that are no
// event are skipped without stopping the reader.
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "collectives/launch/ft_events.h"
#include "ft/watchdog/job_events.h"

namespace cairn::coll {
namespace {

void append_raw(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

TEST(FtEvents, WhatTheRanksAppendIsReadBackInOrder) {
  FtEventsFile file;
  ft::append_json_line(file.path(), {{"event", "step_done"}, {"rank", 1}, {"attempt", 2}, {"step", 10}, {"t", 5.5}});
  ft::append_json_line(file.path(), {{"event", "watchdog_abort"}, {"rank", 0}, {"attempt", 0}, {"t", 4.0},
                                     {"line", "watchdog: stuck"}});
  const auto events = file.read_new();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "step_done");
  EXPECT_EQ(events[0].rank, 1);
  EXPECT_EQ(events[0].attempt, 2);
  EXPECT_EQ(events[0].step, 10);
  EXPECT_DOUBLE_EQ(events[0].t, 5.5);
  EXPECT_EQ(events[1].line, "watchdog: stuck");
  EXPECT_TRUE(file.read_new().empty()) << "each event is read once";
}

TEST(FtEvents, ALineInPiecesIsReadWhenItEnds) {
  FtEventsFile file;
  append_raw(file.path(), R"({"event": "step_done", "rank": 0, "att)");
  EXPECT_TRUE(file.read_new().empty());
  append_raw(file.path(), "empt\": 1, \"step\": 3, \"t\": 1}\n");
  const auto events = file.read_new();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].attempt, 1);
}

TEST(FtEvents, GarbageAndOverlongLinesAreSkipped) {
  FtEventsFile file;
  append_raw(file.path(), std::string("\x01\xff not json\n", 13));
  append_raw(file.path(), R"({"event": "step_done", "rank": -1, "attempt": 0, "t": 1})" "\n");  // a negative rank
  append_raw(file.path(), R"({"event": "step_done", "rank": 0, "attempt": 0, "t": "soon"})" "\n");
  append_raw(file.path(), R"([1, 2, 3])" "\n");
  append_raw(file.path(), std::string(kMaxEventLineBytes + 10, 'x') + "\n");
  append_raw(file.path(), R"({"event": "step_done", "rank": 0, "attempt": 0, "step": 1, "t": 2})" "\n");
  const auto events = file.read_new();
  ASSERT_EQ(events.size(), 1u) << "only the last line is an event";
  EXPECT_EQ(events[0].step, 1);
}

TEST(FtEvents, TheFileIsRemovedWithTheReader) {
  std::string path;
  {
    FtEventsFile file;
    path = file.path();
    EXPECT_EQ(::access(path.c_str(), F_OK), 0);
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace cairn::coll
