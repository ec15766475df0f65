#include "ft/checkpoint/async_checkpointer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include <xxhash.h>

#if defined(CAIRN_HAVE_CUDA)
#include <cuda_runtime_api.h>
#endif

#include "common/error.h"
#include "ft/checkpoint/checkpoint_names.h"

namespace cairn::ft {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunkBytes = 4u << 20;  // a staging piece: large writes, fine-grained overlap
// --inject disk-full: the shard write meets ENOSPC after this much (or an eighth of the
// shard, if smaller), so the failure lands part way through, as a full disk's would.
constexpr std::uint64_t kDiskFullAfterBytes = 64u << 10;
// How long a checkpointer being destroyed waits for its peers' reports before it gives
// the save in flight up (its own write is finished regardless).
constexpr auto kStopGrace = std::chrono::seconds(30);

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

AsyncCheckpointer::AsyncCheckpointer(CheckpointerOptions o) : o_(std::move(o)) {
  if (o_.ranks < 1 || o_.rank < 0 || o_.rank >= o_.ranks) throw Error("checkpointer: rank out of range");
  if (o_.keep < 1) throw Error("checkpointer: must keep at least 1 checkpoint");
  if (!o_.channel) {
    if (o_.ranks != 1)
      throw Error("checkpoints of a job of " + std::to_string(o_.ranks) +
                  " ranks need the job's rendezvous store to agree on each commit: start the job with cairn launch, "
                  "srun, mpirun or torchrun");
    o_.channel = local_commit_channel();
  }
  writer_ = std::thread([this] { writer_loop(); });
}

AsyncCheckpointer::~AsyncCheckpointer() {
  {
    // A run that stops with a save in flight (a diverged step, an error) finishes it, so
    // the checkpoint before the stop is kept; but a wait for peers that may be gone (a
    // rank died) is cut short after kStopGrace, which ends the job's commit as failed.
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, kStopGrace, [&] { return !job_; })) {
      stop_polls_ = true;
      cv_.wait(lock, [&] { return !job_; });
    }
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

void AsyncCheckpointer::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !job_; });
}

std::vector<SaveOutcome> AsyncCheckpointer::take_outcomes() {
  std::lock_guard lock(mu_);
  return std::exchange(outcomes_, {});
}

void AsyncCheckpointer::ensure_slab(std::uint64_t shard_bytes) {
  std::uint64_t want = o_.staging_bytes == 0 ? shard_bytes : std::min(o_.staging_bytes, shard_bytes);
  if (want == 0) return;
  std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, want)) / sizeof(float) * sizeof(float);
  chunk = std::max(chunk, sizeof(float));
  want = std::max<std::uint64_t>(want / chunk * chunk, chunk);
  if (slab_.size() == want && chunk_bytes_ == chunk) return;
  slab_ = StagingSlab();  // the old one first: pinned memory is scarce
  slab_ = StagingSlab(static_cast<std::size_t>(want), o_.pinned && can_pin_host_memory());
  chunk_bytes_ = chunk;
  free_.clear();
  for (std::size_t at = 0; at + chunk <= want; at += chunk) free_.push_back(slab_.data() + at);
}

char* AsyncCheckpointer::acquire_chunk() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !free_.empty(); });
  char* c = free_.back();
  free_.pop_back();
  return c;
}

void AsyncCheckpointer::push(Piece p) {
  {
    std::lock_guard lock(mu_);
    job_->pieces.push_back(p);
  }
  cv_.notify_all();
}

AsyncCheckpointer::Piece AsyncCheckpointer::pop() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !job_->pieces.empty(); });
  Piece p = job_->pieces.front();
  job_->pieces.pop_front();
  return p;
}

void AsyncCheckpointer::copy_to_staging(char* chunk, const char* src, std::size_t bytes, bool on_device) {
  if (!on_device) {
    std::memcpy(chunk, src, bytes);
    return;
  }
#if defined(CAIRN_HAVE_CUDA)
  const cudaError_t e = cudaMemcpy(chunk, src, bytes, cudaMemcpyDeviceToHost);
  if (e != cudaSuccess)
    throw Error(std::string("checkpointer: copying the state from the GPU failed: ") + cudaGetErrorString(e));
#else
  throw Error("checkpointer: a buffer in GPU memory, in a build without CUDA");
#endif
}

void AsyncCheckpointer::reserve(std::int64_t total_elements, std::size_t buffers) {
  const ElementRange range = shard_range(total_elements, o_.rank, o_.ranks);
  ensure_slab(static_cast<std::uint64_t>(range.count) * sizeof(float) * buffers);
}

double AsyncCheckpointer::save(const SaveRequest& r) {
  const auto t0 = Clock::now();
  wait();  // the next checkpoint waits for the previous write: one in flight
  const double waited = since(t0);
  if (static_cast<std::int64_t>(r.buffers.size()) < 1 || r.total_elements < 0)
    throw Error("checkpointer: nothing to save");
  auto job = std::make_unique<Job>();
  job->step = r.step;
  job->total_elements = r.total_elements;
  job->range = shard_range(r.total_elements, o_.rank, o_.ranks);
  for (const auto& b : r.buffers) job->names.push_back(b.name);
  job->meta = r.meta;
  const std::uint64_t piece_bytes = static_cast<std::uint64_t>(job->range.count) * sizeof(float);
  ensure_slab(piece_bytes * r.buffers.size());
  const ElementRange range = job->range;
  {
    std::lock_guard lock(mu_);
    job_ = std::move(job);
  }
  cv_.notify_all();
  // Staging only copies (the writer hashes the staged bytes as it compresses them): the
  // stall is the copy, and the previous save's write when one is still running.
  double stall = 0;
  for (std::size_t i = 0; i < r.buffers.size(); ++i) {
    const char* src = reinterpret_cast<const char*>(r.buffers[i].data + range.first);
    for (std::uint64_t at = 0; at < piece_bytes;) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_bytes_, piece_bytes - at));
      char* c = acquire_chunk();
      copy_to_staging(c, src + at, n, r.buffers[i].on_device);
      push({i, c, n, false});
      at += n;
    }
    const Piece end{i, nullptr, 0, true};
    if (i + 1 < r.buffers.size()) {
      push(end);
      continue;
    }
    // The last marker and the staging time together: once it is in, the writer may finish
    // the job (and drop it) at any moment.
    stall = since(t0);
    {
      std::lock_guard lock(mu_);
      job_->stall_s = stall;
      job_->wait_s = waited;
      job_->staged_at = Clock::now();
      job_->staged = true;
      job_->pieces.push_back(end);
    }
    cv_.notify_all();
  }
  return stall;
}

void AsyncCheckpointer::writer_loop() {
  for (;;) {
    Job* job = nullptr;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || job_; });
      if (!job_) return;  // stopping, nothing in flight
      job = job_.get();
    }
    run_job(*job);
  }
}

std::optional<WriteFault> AsyncCheckpointer::disk_full_fault(std::int64_t step, std::uint64_t shard_bytes) const {
  for (const auto& f : faults_for(o_.faults, FaultKind::disk_full, o_.rank))
    if (f.step + 1 == step)  // "the save after step S": S is the 0-based step just taken
      return WriteFault{std::min<std::uint64_t>(kDiskFullAfterBytes, std::max<std::uint64_t>(shard_bytes / 8, 1)),
                        "--inject " + f.text};
  return std::nullopt;
}

void AsyncCheckpointer::run_job(Job& job) {
  SaveOutcome out;
  out.step = job.step;
  out.manifest = manifest_path(o_.dir, job.step);
  const std::string path = shard_path(o_.dir, job.step, o_.rank, o_.ranks);
  const std::uint64_t shard_bytes = static_cast<std::uint64_t>(job.range.count) * sizeof(float) * job.names.size();
  out.raw_bytes = shard_bytes;
  std::string error;
  std::unique_ptr<ShardWriter> w;
  ShardHeader mine;
  try {
    ShardHeader h;
    h.step = job.step;
    h.rank = o_.rank;
    h.ranks = o_.ranks;
    h.first_element = job.range.first;
    h.elements = job.range.count;
    h.total_elements = job.total_elements;
    w = std::make_unique<ShardWriter>(path, h, o_.zstd_level, disk_full_fault(job.step, shard_bytes));
  } catch (const std::exception& e) {
    error = e.what();
  }
  // Every piece is taken (and its chunk given back) even after a failure, so the copy
  // that waits for a free chunk always finishes. The raw hash is of the bytes as staged,
  // taken here, off the training thread, as they are compressed.
  XXH3_state_t* raw = XXH3_createState();
  if (!raw && error.empty()) error = "checkpointer: out of memory for the shard's hash";
  for (std::size_t open = SIZE_MAX;;) {
    const Piece p = pop();
    if (error.empty()) {
      try {
        if (open != p.section) {
          w->begin_section(job.names[p.section]);
          XXH3_64bits_reset(raw);
          open = p.section;
        }
        if (p.end) {
          w->end_section(XXH3_64bits_digest(raw));
        } else {
          XXH3_64bits_update(raw, p.data, p.bytes);
          w->write(p.data, p.bytes);
        }
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    if (p.data) {
      {
        std::lock_guard lock(mu_);
        free_.push_back(p.data);
      }
      cv_.notify_all();
    }
    if (p.end && p.section + 1 == job.names.size()) break;
  }
  XXH3_freeState(raw);
  if (error.empty()) {
    try {
      mine = w->commit();
      w.reset();
      // Read back: the shard on disk decompresses to the staged bytes' hashes.
      const ShardHeader back = verify_shard(path);
      if (back.header_xxh3 != mine.header_xxh3) corrupt(path, "read back other than written");
      out.stored_bytes = mine.file_bytes;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  w.reset();  // an uncommitted write leaves nothing behind
  bool committed = false;
  try {
    o_.channel->publish(job.step, {o_.rank, error.empty(), error, error.empty() ? shard_entry(mine) : ShardEntry{}});
    if (o_.rank == 0) {
      const auto reports = o_.channel->gather(job.step, o_.ranks, stop_polls_);
      for (const auto& r : reports)
        if (!r.ok && error.empty()) error = r.rank == 0 ? r.error : "rank " + std::to_string(r.rank) + ": " + r.error;
      if (error.empty()) {
        Manifest m;
        m.step = job.step;
        m.world_size = o_.ranks;
        m.layout_elements = job.total_elements;
        m.sections = job.names;
        m.meta = job.meta;
        for (const auto& r : reports) m.shards.push_back(r.entry);
        write_manifest(out.manifest, m);
        (void)read_manifest(out.manifest);  // read back
        committed = true;
      }
    }
  } catch (const std::exception& e) {
    if (error.empty()) error = e.what();
  }
  if (o_.rank == 0) {
    try {
      o_.channel->announce(job.step, committed);
    } catch (const std::exception& e) {
      if (error.empty()) error = e.what();
    }
    if (committed) {
      prune(job.step);
      out.injected = corrupt_if_asked(job, mine);
    } else {
      remove_step(job.step);  // every rank has reported: nothing of the step is being written
    }
  } else {
    try {
      committed = o_.channel->await_verdict(job.step, stop_polls_);
      if (!committed && error.empty()) error = "rank 0 did not commit the checkpoint of step " + std::to_string(job.step);
    } catch (const std::exception& e) {
      if (error.empty()) error = e.what();
    }
  }
  out.committed = committed;
  out.error = committed ? std::string() : error;
  {
    std::lock_guard lock(mu_);
    out.stall_s = job.stall_s;
    out.wait_s = job.wait_s;
    out.write_s = job.staged ? since(job.staged_at) : 0;
    outcomes_.push_back(std::move(out));
    job_.reset();
  }
  cv_.notify_all();
}

// --inject corrupt-checkpoint: one byte of rank 0's shard flipped once the step is
// committed and verified, as damage at rest would be: the run believes the checkpoint
// good, and only a resume's verification can find it.
std::string AsyncCheckpointer::corrupt_if_asked(const Job& job, const ShardHeader& mine) const {
  for (const auto& f : faults_for(o_.faults, FaultKind::corrupt_checkpoint, o_.rank)) {
    if (f.step + 1 != job.step || mine.sections.empty()) continue;
    const std::string path = shard_path(o_.dir, job.step, o_.rank, o_.ranks);
    const std::uint64_t at = kShardDataStart + mine.sections[0].offset + mine.sections[0].bytes / 2;
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    char byte = 0;
    bool done = fd >= 0 && ::pread(fd, &byte, 1, static_cast<off_t>(at)) == 1;
    byte = static_cast<char>(byte ^ 0x10);
    done = done && ::pwrite(fd, &byte, 1, static_cast<off_t>(at)) == 1 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    return "--inject " + f.text + ": " + (done ? "flipped a bit of byte " + std::to_string(at) + " of " + path +
                                                     " after its verification (a resume must pass over it)"
                                               : "could not damage " + path);
  }
  return {};
}

// The files of each step, by step: the manifest first, so a step stops counting before
// any of its shards goes (a kill in between leaves shards a resume removes as leftovers).
void AsyncCheckpointer::remove_step(std::int64_t step) const {
  std::error_code ec;
  fs::remove(manifest_path(o_.dir, step), ec);
  for (fs::directory_iterator it(o_.dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool damaged = name.size() > 8 && name.compare(name.size() - 8, 8, kDamagedSuffix) == 0;
    if (!damaged && step_of_any(name) == step) {
      std::error_code rm;
      fs::remove(it->path(), rm);
    }
  }
}

void AsyncCheckpointer::prune(std::int64_t newest) const {
  std::vector<std::int64_t> older;
  std::error_code ec;
  for (fs::directory_iterator it(o_.dir, ec), end; !ec && it != end; it.increment(ec))
    if (const auto s = manifest_step(it->path().filename().string()); s && *s < newest) older.push_back(*s);
  std::sort(older.begin(), older.end());
  const auto keep_older = static_cast<std::size_t>(o_.keep - 1);
  for (std::size_t i = 0; i + keep_older < older.size(); ++i) remove_step(older[i]);
}

}  // namespace cairn::ft
