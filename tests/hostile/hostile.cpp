#include "tests/hostile/hostile.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cairn::hostile {
namespace fs = std::filesystem;
namespace {

constexpr uid_t kNobody = 65534;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

[[noreturn]] void harness_error(const std::string& what) {
  throw std::runtime_error("hostile harness: " + what + ": " + std::strerror(errno));
}

// In the child, between fork and exec: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const Command& c, const std::string& cwd, const std::string& out, const std::string& err,
                             char* const* argv, char* const* envp) {
  ::setpgid(0, 0);
  // As a shell starts a command: default signal dispositions and no blocked signals, so
  // a harness run under nohup (SIGHUP ignored, and inherited) tests what users get.
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (c.max_open_files > 0) {
    const rlimit r{static_cast<rlim_t>(c.max_open_files), static_cast<rlim_t>(c.max_open_files)};
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
  if (c.max_address_bytes > 0) {
    const rlimit r{static_cast<rlim_t>(c.max_address_bytes), static_cast<rlim_t>(c.max_address_bytes)};
    ::setrlimit(RLIMIT_AS, &r);
  }
  const int in_fd = ::open(c.stdin_path.c_str(), O_RDONLY);
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(125);
  ::dup2(in_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  if (c.as_nobody && ::geteuid() == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(125);
  }
  if (::chdir(cwd.c_str()) != 0) ::_exit(125);
  ::execve(argv[0], argv, envp);
  ::_exit(126);
}

std::string first_lines(const std::string& text, int lines) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; lines-- > 0 && std::getline(in, line);)
    out += "\n    | " + (line.size() > 300 ? line.substr(0, 300) + "..." : line);
  return out;
}

// Live (not zombie) processes whose process group is `group`, from /proc.
int live_members(pid_t group) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    const std::string stat = slurp(e.path().string() + "/stat");
    const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (rest >> state >> ppid >> pgrp && pgrp == group && state != 'Z' && state != 'X') ++n;
  }
  return n;
}

}  // namespace

const std::string& cairn_binary() {
  static const std::string path = CAIRN_BINARY_DIR "/bin/cairn";
  return path;
}

Sandbox::Sandbox() {
  std::string pattern = (fs::temp_directory_path() / "cairn_hostile_XXXXXX").string();
  if (!::mkdtemp(pattern.data())) harness_error("mkdtemp");
  dir_ = pattern;
  fs::create_directories(dir_ + "/box");
  fs::create_directories(dir_ + "/io");
  ::chmod(dir_.c_str(), 0755);
  dir_ += "/box";
}

Sandbox::~Sandbox() {
  std::error_code ec;
  fs::remove_all(fs::path(dir_).parent_path(), ec);
}

std::string Sandbox::write(const std::string& rel, const std::string& contents) const {
  const std::string p = path(rel);
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream(p, std::ios::binary) << contents;
  return p;
}

std::string Sandbox::mkdir(const std::string& rel) const {
  fs::create_directories(path(rel));
  return path(rel);
}

std::string Sandbox::fifo(const std::string& rel) const {
  if (::mkfifo(path(rel).c_str(), 0644) != 0) harness_error("mkfifo " + rel);
  return path(rel);
}

std::string Sandbox::sparse(const std::string& rel, long long bytes) const {
  const std::string p = write(rel, "");
  if (::truncate(p.c_str(), bytes) != 0) harness_error("truncate " + rel);
  return p;
}

std::string Sandbox::symlink(const std::string& target, const std::string& rel) const {
  if (::symlink(target.c_str(), path(rel).c_str()) != 0) harness_error("symlink " + rel);
  return path(rel);
}

void Sandbox::give_to_nobody() const {
  const fs::path top = fs::path(dir_).parent_path();
  for (const fs::path& p : {top, top / "io", fs::path(dir_)}) ::lchown(p.c_str(), kNobody, kNobody);
  for (const auto& e : fs::recursive_directory_iterator(dir_)) ::lchown(e.path().c_str(), kNobody, kNobody);
}

std::string Outcome::describe() const {
  std::ostringstream s;
  if (timed_out) s << "timed out (killed)";
  else if (signal) s << "killed by signal " << signal << " (" << ::strsignal(signal) << ")";
  else s << "exit " << exit_code;
  if (left_running) s << ", leaving " << left_running << " process(es) of its group running";
  s << " after " << seconds << " s; stderr:" << first_lines(err, 6);
  return s.str();
}

Running::Running(pid_t pid, Command c, std::string out_file, std::string err_file)
    : pid_(pid), command_(std::move(c)), out_file_(std::move(out_file)), err_file_(std::move(err_file)),
      started_(std::chrono::steady_clock::now()) {}

Running::Running(Running&& o) noexcept
    : pid_(o.pid_), command_(std::move(o.command_)), out_file_(std::move(o.out_file_)),
      err_file_(std::move(o.err_file_)), started_(o.started_), reaped_(o.reaped_) {
  o.reaped_ = true;
}

Running::~Running() {
  if (reaped_) return;
  ::killpg(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

void Running::signal(int sig) const { ::killpg(pid_, sig); }

Outcome Running::wait() {
  Outcome o;
  const auto deadline = started_ + command_.timeout;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) harness_error("waitpid");
    if (std::chrono::steady_clock::now() >= deadline) {
      o.timed_out = true;
      ::killpg(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  reaped_ = true;
  if (!o.timed_out) o.left_running = live_members(pid_);
  ::killpg(pid_, SIGKILL);  // whatever it started and left behind
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (!o.timed_out) {
    if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  }
  if (command_.stdout_path.empty()) o.out = slurp(out_file_);
  o.err = slurp(err_file_);
  return o;
}

Running start(const Sandbox& box, const Command& c) {
  static int counter = 0;
  const std::string io = fs::path(box.dir()).parent_path().string() + "/io/" + std::to_string(counter++);
  const std::string out = c.stdout_path.empty() ? io + ".out" : c.stdout_path;
  const std::string err = io + ".err";
  std::vector<std::string> words = {cairn_binary()};
  words.insert(words.end(), c.args.begin(), c.args.end());
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=" + box.dir(), "CAIRN_CPU_THREADS=1"};
  for (const std::string& kv : c.env) {  // a case's NAME=VALUE replaces the base's NAME
    const std::string name = kv.substr(0, kv.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.rfind(name, 0) == 0; });
    env.push_back(kv);
  }
  std::vector<char*> argv, envp;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string cwd = c.cwd.empty() ? box.dir() : c.cwd;
  const pid_t pid = ::fork();
  if (pid < 0) harness_error("fork");
  if (pid == 0) exec_child(c, cwd, out, err, argv.data(), envp.data());
  ::setpgid(pid, pid);  // also here, so a signal sent at once reaches the group
  return Running(pid, c, out, err);
}

Outcome run(const Sandbox& box, const Command& c) { return start(box, c).wait(); }

::testing::AssertionResult ended_cleanly(const Outcome& o) {
  if (o.timed_out || o.signal || o.left_running) return ::testing::AssertionFailure() << o.describe();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult succeeded(const Outcome& o) {
  if (o.timed_out || o.signal || o.left_running || o.exit_code != 0)
    return ::testing::AssertionFailure() << o.describe();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult refused(const Outcome& o, int exit_code, const std::string& command,
                                   std::initializer_list<std::string> names) {
  auto fail = [&](const std::string& why) { return ::testing::AssertionFailure() << why << ": " << o.describe(); };
  if (o.timed_out || o.signal) return fail("did not end by itself");
  if (o.left_running) return fail("left processes running");
  if (o.exit_code != exit_code) return fail("expected exit " + std::to_string(exit_code));
  if (o.err.empty() || o.err.back() != '\n' || o.err.find('\n') != o.err.size() - 1)
    return fail("expected exactly one line on stderr");
  if (o.err.size() > kMaxErrorBytes) return fail("the line is longer than " + std::to_string(kMaxErrorBytes) + " bytes");
  const std::string prefix = command.empty() ? "cairn: " : "cairn " + command + ": ";
  if (o.err.rfind(prefix, 0) != 0) return fail("the line does not start with '" + prefix + "'");
  if (o.err.find(prefix, prefix.size()) != std::string::npos) return fail("the prefix is printed twice");
  for (const std::string& name : names)
    if (o.err.find(name) == std::string::npos) return fail("the line does not name '" + name + "'");
  return ::testing::AssertionSuccess();
}

const std::string& tiny_shard() {
  static Sandbox box;
  static const std::string shard = [] {
    std::string text;
    for (int i = 0; i < 400; ++i)
      text += "Line " + std::to_string(i) + ": the quick brown fox jumps over the lazy dog.\n";
    box.write("corpus.txt", text);
    const Outcome o = run(box, {.args = {"data", "--input", box.path("corpus.txt"), "--output", box.path("tiny.shard")}});
    if (o.exit_code != 0) throw std::runtime_error("hostile harness: cairn data failed: " + o.describe());
    return box.path("tiny.shard");
  }();
  return shard;
}

}  // namespace cairn::hostile
