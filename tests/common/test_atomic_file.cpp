// common/atomic_file.h: the target is the old file until commit(), the whole new one
// after; an abandoned writer leaves no temporary file; errors name the target.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/text_file.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path = fs::temp_directory_path() / ("cairn_atomic_" + std::to_string(::getpid()));
  Dir() { fs::create_directories(path); }
  ~Dir() { fs::remove_all(path); }
};

TEST(AtomicFile, TargetIsOldUntilCommitAndNewAfter) {
  for (auto sync : {AtomicFile::Sync::durable, AtomicFile::Sync::none}) {
    Dir d;
    const std::string target = (d.path / "f").string();
    write_file_atomically(target, "old");
    {
      AtomicFile f(target, sync);
      f.write("new ", 4);
      EXPECT_EQ(read_text_file(target), "old");
      EXPECT_TRUE(fs::exists(f.temp_path()));
      f.write("contents", 8);
      f.commit();
      EXPECT_FALSE(fs::exists(f.temp_path()));
    }
    EXPECT_EQ(read_text_file(target), "new contents");
  }
}

TEST(AtomicFile, AbandonedWriteLeavesTheTargetAndNoTemporaryFile) {
  Dir d;
  const std::string target = (d.path / "f").string();
  write_file_atomically(target, "old");
  std::string tmp;
  {
    AtomicFile f(target);
    f.write("half", 4);
    tmp = f.temp_path();
  }  // e.g. an exception before commit()
  EXPECT_EQ(read_text_file(target), "old");
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()), 1);
}

TEST(AtomicFile, ErrorsNameTheTarget) {
  try {
    AtomicFile f("/nonexistent-dir/x.ckpt");
    FAIL() << "opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.ckpt: cannot write"), std::string::npos) << e.what();
  }
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(AtomicFile, ASymlinkIsFollowedAndStaysALink) {
  for (auto sync : {AtomicFile::Sync::durable, AtomicFile::Sync::none}) {
    Dir d;
    fs::create_directories(d.path / "real");
    write_file_atomically((d.path / "real" / "f").string(), "old");
    fs::create_symlink("real/f", d.path / "link1");
    fs::create_symlink("link1", d.path / "link2");  // a chain of links
    AtomicFile f((d.path / "link2").string(), sync);
    EXPECT_EQ(f.target_path(), (d.path / "real" / "f").string());
    EXPECT_EQ(fs::path(f.temp_path()).parent_path(), d.path / "real");  // renamed within the target's directory
    f.write("new", 3);
    f.commit();
    EXPECT_TRUE(fs::is_symlink(d.path / "link2"));
    EXPECT_TRUE(fs::is_symlink(d.path / "link1"));
    EXPECT_EQ(slurp(d.path / "real" / "f"), "new");
  }
}

TEST(AtomicFile, ADanglingSymlinkCreatesTheFileItNames) {
  Dir d;
  fs::create_symlink("made.txt", d.path / "link");
  write_file_atomically((d.path / "link").string(), "made");
  EXPECT_TRUE(fs::is_symlink(d.path / "link"));
  EXPECT_EQ(slurp(d.path / "made.txt"), "made");
}

TEST(AtomicFile, ALoopOfSymlinksIsAnErrorNamingThePath) {
  Dir d;
  fs::create_symlink("b", d.path / "a");
  fs::create_symlink("a", d.path / "b");
  const std::string msg = error_of([&] { write_file_atomically((d.path / "a").string(), "x"); });
  EXPECT_NE(msg.find((d.path / "a").string() + ": symbolic links form a loop"), std::string::npos) << msg;
  EXPECT_TRUE(fs::is_symlink(d.path / "a"));
}

TEST(AtomicFile, DevicesAreWrittenInPlaceAndNeverReplaced) {
  Dir d;
  const fs::path null = d.path / "null", full = d.path / "full";
  if (::mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0 ||
      ::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0)
    GTEST_SKIP() << "mknod is not allowed here";
  for (auto sync : {AtomicFile::Sync::durable, AtomicFile::Sync::none}) {
    AtomicFile f(null.string(), sync);
    EXPECT_TRUE(f.temp_path().empty());
    f.write("discarded", 9);
    f.write_at(0, "x", 1);
    f.commit();
    EXPECT_TRUE(fs::is_character_file(fs::symlink_status(null)));
  }
  const std::string msg = error_of([&] { write_file_atomically(full.string(), "x"); });
  EXPECT_NE(msg.find(full.string() + ": write failed: No space left on device"), std::string::npos) << msg;
  EXPECT_TRUE(fs::is_character_file(fs::symlink_status(full)));
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()), 2) << "a temporary was left";
}

TEST(AtomicFile, AFifoIsWrittenInPlaceOnceAReaderComes) {
  Dir d;
  const fs::path fifo = d.path / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  std::string got;
  std::thread reader([&] { got = slurp(fifo); });  // the writer's open waits for this one
  write_file_atomically(fifo.string(), "through the pipe");
  reader.join();
  EXPECT_EQ(got, "through the pipe");
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
}

TEST(AtomicFile, ADirectoryOrASocketIsRefusedNamingIt) {
  Dir d;
  fs::create_directories(d.path / "dir");
  std::string msg = error_of([&] { write_file_atomically((d.path / "dir").string(), "x"); });
  EXPECT_NE(msg.find("dir: is a directory, not a file; give a file path"), std::string::npos) << msg;
  const std::string sock = (d.path / "sock").string();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  ASSERT_LT(sock.size(), sizeof a.sun_path);
  sock.copy(a.sun_path, sock.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  ::close(fd);
  msg = error_of([&] { write_file_atomically(sock, "x"); });
  EXPECT_NE(msg.find("sock: is a socket, not a file"), std::string::npos) << msg;
  EXPECT_TRUE(fs::is_socket(fs::symlink_status(sock)));
}

}  // namespace
}  // namespace cairn
