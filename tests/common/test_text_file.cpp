// common/text_file.h's reader: what is not a regular file or a FIFO is refused, sizes are
// capped before and during the read, and every error names the file and says why.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "common/error.h"
#include "common/text_file.h"
#include "tests/support/error_of.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using test::error_of;

struct Dir {
  fs::path path = fs::temp_directory_path() / ("cairn_text_file_" + std::to_string(::getpid()));
  Dir() { fs::create_directories(path); }
  ~Dir() { fs::remove_all(path); }
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream((path / name).string(), std::ios::binary) << text;
    return (path / name).string();
  }
};

void expect_error(const std::function<void()>& f, const std::string& file, const std::string& why) {
  const std::string msg = error_of(f);
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
  EXPECT_NE(msg.find(why), std::string::npos) << msg;
}

TEST(TextFile, ReadsAFileWholeUpToItsLimit) {
  Dir d;
  const std::string p = d.file("f", "0123456789");
  EXPECT_EQ(read_text_file(p), "0123456789");
  EXPECT_EQ(read_text_file(p, false, 10), "0123456789");
  expect_error([&] { read_text_file(p, false, 9); }, p, "is 10 bytes, over the 9 bytes limit");
}

TEST(TextFile, RefusesADeviceADirectoryAndBrokenLinks) {
  Dir d;
  const std::string zero = (d.path / "zero").string();
  if (::mknod(zero.c_str(), S_IFCHR | 0666, makedev(1, 5)) == 0)
    expect_error([&] { read_text_file(zero); }, zero, "not a regular file (a character device); give a file");
  expect_error([&] { read_text_file(d.path.string()); }, d.path.string(), "is a directory");
  fs::create_symlink("nowhere", d.path / "dangling");
  expect_error([&] { read_text_file((d.path / "dangling").string()); }, "dangling", "does not exist");
  fs::create_symlink("loop2", d.path / "loop1");
  fs::create_symlink("loop1", d.path / "loop2");
  expect_error([&] { read_text_file((d.path / "loop1").string()); }, "loop1", "loop");
  expect_error([&] { read_text_file((d.path / "missing").string()); }, "missing", "no such file");
}

TEST(TextFile, AFifoIsReadToItsWritersEndAndNoFurtherThanTheLimit) {
  Dir d;
  const std::string fifo = (d.path / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  std::thread writer([&] { std::ofstream(fifo) << "from a pipe"; });
  EXPECT_EQ(read_text_file(fifo), "from a pipe");
  writer.join();
  // A stream that goes on past the limit: the read stops there rather than at its end
  // (and the writer then finds the pipe closed: EPIPE, not SIGPIPE, in this test).
  const auto old_handler = std::signal(SIGPIPE, SIG_IGN);
  std::thread endless([&] {
    std::ofstream out(fifo);
    for (int i = 0; i < 1000 && out; ++i) out << std::string(1024, 'x');
  });
  expect_error([&] { read_text_file(fifo, false, 4096); }, fifo, "goes on past the 4.0 KiB limit");
  endless.join();
  std::signal(SIGPIPE, old_handler);
}

TEST(TextFile, ProcFilesWithNoSizeAreStillRead) {
  EXPECT_NE(read_text_file("/proc/self/status").find("Pid:"), std::string::npos);
}

}  // namespace
}  // namespace cairn
