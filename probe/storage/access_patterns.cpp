#include "probe/storage/access_patterns.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "common/error.h"
#include "common/progress_bar.h"
#include "probe/storage/scratch_dir.h"
#include "probe/storage/stop_signals.h"

namespace cairn::probe::storage {
namespace {

using Clock = std::chrono::steady_clock;

// O_DIRECT wants the buffer, the offset and the length aligned to the logical block size;
// 4096 covers every device in use (512-byte and 4K sectors).
constexpr std::size_t kDirectAlignment = 4096;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<unsigned char, FreeDeleter>;

// Filled with pseudo-random bytes, so a filesystem that compresses or deduplicates
// (ZFS, btrfs) writes what a checkpoint of f32 values would make it write.
AlignedBuffer aligned_buffer(std::size_t bytes, unsigned seed) {
  void* p = nullptr;
  if (::posix_memalign(&p, kDirectAlignment, bytes) != 0)
    throw Error(fmt::format("cannot allocate an aligned buffer of {} bytes: give a smaller --block-bytes", bytes));
  AlignedBuffer buf(static_cast<unsigned char*>(p));
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < bytes; ++i) buf.get()[i] = static_cast<unsigned char>(rng());
  return buf;
}

[[noreturn]] void fail_io(const std::string& path, const char* op, int e) {
  if (e == ENOSPC || e == EDQUOT)
    fail(path, fmt::format("the filesystem ran full during {} ({}): free space or give a smaller --size", op,
                           std::strerror(e)));
  fail(path, fmt::format("{} failed: {}", op, std::strerror(e)));
}

int open_file(const std::string& path, int flags, bool direct, mode_t mode = 0600) {
  for (;;) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC | (direct ? O_DIRECT : 0), mode);
    if (fd >= 0) return fd;
    const int e = errno;
    if (e == EINTR) {
      throw_if_stopped("an open");
      continue;
    }
    if (direct && e == EINVAL)
      fail(path, "the filesystem refuses O_DIRECT (tmpfs does): run without --direct");
    fail_io(path, "open", e);
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void close(const std::string& path) {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0 && errno != EINTR) fail_io(path, "close", errno);
  }

 private:
  int fd_;
};

// Whole transfers only: a short read or write continues where it stopped; EINTR goes
// back to the stop flag.
void pwrite_all(int fd, const unsigned char* buf, std::size_t bytes, off_t offset, const std::string& path,
                const char* what) {
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pwrite(fd, buf + done, bytes - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      throw_if_stopped(what);
      continue;
    }
    if (n <= 0) fail_io(path, "write", n < 0 ? errno : ENOSPC);
    done += static_cast<std::size_t>(n);
  }
}

void pread_all(int fd, unsigned char* buf, std::size_t bytes, off_t offset, const std::string& path,
               const char* what) {
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pread(fd, buf + done, bytes - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      throw_if_stopped(what);
      continue;
    }
    if (n < 0) fail_io(path, "read", errno);
    if (n == 0) fail(path, "ended early: another process changed the probe's file");
    done += static_cast<std::size_t>(n);
  }
}

void fsync_fd(int fd, const std::string& path, const char* what) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) fail_io(path, "fsync", errno);
    throw_if_stopped(what);
  }
}

// Reads must come from the storage, not from the pages the write phase left in memory:
// flush the file and drop its cached pages (fio's invalidate=1 does the same
// posix_fadvise(POSIX_FADV_DONTNEED) before each job). With O_DIRECT there is nothing to drop.
void drop_cached_pages(const std::string& path, const char* what) {
  Fd fd(open_file(path, O_RDONLY, false));
  fsync_fd(fd.get(), path, what);
  if (::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED) != 0)
    fail(path, "cannot drop its cached pages (posix_fadvise); the reads would measure memory");
}

// The access pattern, told to the kernel as a reader that knows it would (and as fio does
// by default, fadvise_hint=1): SEQUENTIAL doubles the read-ahead window, RANDOM turns
// read-ahead off, so a random read of 16 KiB reads 16 KiB and not the pieces beside it
// that a later read would then find in memory. Advice only: a kernel that ignores it is
// no error.
void advise_access(int fd, int advice) { (void)::posix_fadvise(fd, 0, 0, advice); }

// Runs body(t, done) on `threads` threads released together; `done` counts finished units
// of `total` for the progress bar. A failure in one thread stops the others (they see
// `abort` through should_stop) and is rethrown here; so is a stop signal.
class ParallelRun {
 public:
  ParallelRun(const StorageOptions& o, const char* what) : o_(o), what_(what) {}

  bool should_stop() const { return abort_.load(std::memory_order_relaxed) || stop_requested() != 0; }

  // Throws the stop signal's error, or reports that a sibling failed (the caller's loop
  // then leaves; the sibling's error is the one rethrown).
  bool stopping() const {
    throw_if_stopped(what_);
    return abort_.load(std::memory_order_relaxed);
  }

  double run(long total, const std::function<void(int, std::atomic<long>&)>& body) {
    const int n = o_.threads;
    std::latch ready(n + 1);
    std::vector<Clock::time_point> ends(static_cast<std::size_t>(n));
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
    std::atomic<long> done{0};
    std::atomic<int> finished{0};
    std::vector<std::thread> workers;
    workers.reserve(static_cast<std::size_t>(n));
    for (int t = 0; t < n; ++t)
      workers.emplace_back([&, t] {
        ready.arrive_and_wait();
        try {
          body(t, done);
        } catch (...) {
          errors[static_cast<std::size_t>(t)] = std::current_exception();
          abort_ = true;
        }
        ends[static_cast<std::size_t>(t)] = Clock::now();
        finished.fetch_add(1);
      });
    ProgressBar bar(o_.progress);
    const Clock::time_point start = Clock::now();
    ready.arrive_and_wait();
    while (finished.load() < n) {
      bar.update(std::min(done.load(), total), total, what_);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (auto& w : workers) w.join();
    bar.finish();
    throw_if_stopped(what_);
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
    const Clock::time_point end = *std::max_element(ends.begin(), ends.end());
    return std::chrono::duration<double>(end - start).count();
  }

  const char* what() const { return what_; }

 private:
  const StorageOptions& o_;
  const char* what_;
  std::atomic<bool> abort_{false};
};

std::string large_file_name(int t) { return fmt::format("large-{}", t); }

}  // namespace

double time_checkpoint_writes(const ScratchDir& dir, const StorageOptions& o, std::uint64_t file_bytes,
                              std::vector<std::string>& files) {
  files.clear();
  for (int t = 0; t < o.threads; ++t) files.push_back(dir.file(large_file_name(t)));
  const long blocks = static_cast<long>(file_bytes / o.block_bytes);
  ParallelRun run(o, "the checkpoint writes");
  return run.run(blocks * o.threads, [&](int t, std::atomic<long>& done) {
    const std::string& final_path = files[static_cast<std::size_t>(t)];
    const std::string tmp = final_path + ".tmp";
    AlignedBuffer buf = aligned_buffer(o.block_bytes, static_cast<unsigned>(t + 1));
    Fd fd(open_file(tmp, O_WRONLY | O_CREAT | O_EXCL, o.direct));
    for (long b = 0; b < blocks; ++b) {
      if (run.stopping()) return;
      buf.get()[0] = static_cast<unsigned char>(b);  // no two blocks alike
      pwrite_all(fd.get(), buf.get(), o.block_bytes, static_cast<off_t>(b) * static_cast<off_t>(o.block_bytes), tmp,
                 run.what());
      done.fetch_add(1, std::memory_order_relaxed);
    }
    fsync_fd(fd.get(), tmp, run.what());
    fd.close(tmp);
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) fail_io(final_path, "rename", errno);
    // The rename is durable once the directory entry is (as common/atomic_file.cpp commits).
    Fd dfd(open_file(dir.path(), O_RDONLY | O_DIRECTORY, false));
    fsync_fd(dfd.get(), dir.path(), run.what());
  });
}

double time_sequential_reads(const std::vector<std::string>& files, std::uint64_t file_bytes,
                             const StorageOptions& o) {
  if (!o.direct)
    for (const auto& f : files) drop_cached_pages(f, "the sequential reads");
  const long blocks = static_cast<long>(file_bytes / o.block_bytes);
  ParallelRun run(o, "the sequential reads");
  return run.run(blocks * o.threads, [&](int t, std::atomic<long>& done) {
    const std::string& path = files[static_cast<std::size_t>(t)];
    AlignedBuffer buf = aligned_buffer(o.block_bytes, 0);
    Fd fd(open_file(path, O_RDONLY, o.direct));
    advise_access(fd.get(), POSIX_FADV_SEQUENTIAL);
    for (long b = 0; b < blocks; ++b) {
      if (run.stopping()) return;
      pread_all(fd.get(), buf.get(), o.block_bytes, static_cast<off_t>(b) * static_cast<off_t>(o.block_bytes), path,
                run.what());
      done.fetch_add(1, std::memory_order_relaxed);
    }
  });
}

double time_random_reads(const std::vector<std::string>& files, std::uint64_t file_bytes, const StorageOptions& o) {
  if (!o.direct)
    for (const auto& f : files) drop_cached_pages(f, "the random reads");
  const long pieces = static_cast<long>(file_bytes / o.piece_bytes);
  ParallelRun run(o, "the random reads");
  return run.run(pieces * o.threads, [&](int t, std::atomic<long>& done) {
    const std::string& path = files[static_cast<std::size_t>(t)];
    // Every piece once, in an order of its own (fio's random map does the same).
    std::vector<long> order(static_cast<std::size_t>(pieces));
    std::iota(order.begin(), order.end(), 0L);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(static_cast<std::uint64_t>(t) + 1));
    AlignedBuffer buf = aligned_buffer(o.piece_bytes, 0);
    Fd fd(open_file(path, O_RDONLY, o.direct));
    advise_access(fd.get(), POSIX_FADV_RANDOM);
    for (const long piece : order) {
      if (run.stopping()) return;
      pread_all(fd.get(), buf.get(), o.piece_bytes, static_cast<off_t>(piece) * static_cast<off_t>(o.piece_bytes),
                path, run.what());
      done.fetch_add(1, std::memory_order_relaxed);
    }
  });
}

SmallFileSeconds time_small_files(const ScratchDir& dir, const StorageOptions& o) {
  const std::string small_dir = dir.file("small");
  if (::mkdir(small_dir.c_str(), 0700) != 0) fail_io(small_dir, "mkdir", errno);
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(o.small_files));
  for (int i = 0; i < o.small_files; ++i) names.push_back(fmt::format("{}/shard-{:06}", small_dir, i));
  // Thread t takes files t, t + threads, ...: one directory, as the shards of a data set share one.
  auto each_file = [&](ParallelRun& run, const std::function<void(const std::string&)>& op) {
    return run.run(o.small_files, [&](int t, std::atomic<long>& done) {
      for (std::size_t i = static_cast<std::size_t>(t); i < names.size(); i += static_cast<std::size_t>(o.threads)) {
        if (run.stopping()) return;
        op(names[i]);
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  };
  SmallFileSeconds s;
  const AlignedBuffer contents = aligned_buffer(o.small_file_bytes, 7);
  ParallelRun creates(o, "the small-file creates");
  s.create = each_file(creates, [&](const std::string& path) {
    Fd fd(open_file(path, O_WRONLY | O_CREAT | O_EXCL, false));
    pwrite_all(fd.get(), contents.get(), o.small_file_bytes, 0, path, creates.what());
    fd.close(path);
  });
  ParallelRun stats(o, "the small-file stats");
  s.stat = each_file(stats, [&](const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) fail_io(path, "stat", errno);
  });
  ParallelRun opens(o, "the small-file opens");
  s.open = each_file(opens, [&](const std::string& path) {
    Fd fd(open_file(path, O_RDONLY, false));
    fd.close(path);
  });
  return s;
}

}  // namespace cairn::probe::storage
