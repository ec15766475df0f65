// The UCX backend's transport: one UCP context and worker per communicator, an endpoint
// to every peer, tagged sends and receives whose completions are counted per job, peer
// failures, abort notices between ranks, and idle waiting that sleeps instead of
// spinning (8 ranks on 2 cores must not starve each other).
//
// Threading: the constructor runs on the creating thread; afterwards every member except
// signal(), request_abort() and the failure queries is called only by the thread holding
// the communicator's executor role (op_queue.h): the worker is UCS_THREAD_MODE_SERIALIZED,
// and the queue's lock orders each hand-over of the role.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <ucp/api/ucp.h>

#include "collectives/backends/process_liveness.h"
#include "collectives/rendezvous/store.h"

namespace cairn::coll::detail {

using Clock = std::chrono::steady_clock;

// A 64-bit UCP tag: [sender rank 16][sequence 20][channel 6][step 22]. The sender rank
// lets a receive name its peer (UCP matches tags, not endpoints); the sequence number
// separates operations, the channel parallel slices, the step the messages of one slice,
// so concurrent chunks never match each other's receives. Sequence and step wrap; they
// only need to differ among messages that can be in flight at once.
struct TagLayout {
  static constexpr int kRankBits = 16, kSeqBits = 20, kChannelBits = 6, kStepBits = 22;
  static constexpr int kMaxRanks = 1 << kRankBits;
  // Channels 0..kMaxDataChannels-1 carry collectives; the last two are reserved.
  static constexpr int kP2PChannel = (1 << kChannelBits) - 2;
  static constexpr int kNoticeChannel = (1 << kChannelBits) - 1;
  static constexpr int kMaxDataChannels = kP2PChannel;
  static constexpr std::uint64_t kFullMask = ~std::uint64_t{0};
  static constexpr std::uint64_t kAnySenderMask = (std::uint64_t{1} << (64 - kRankBits)) - 1;

  static std::uint64_t make(int sender, std::uint64_t seq, int channel, std::uint64_t step) {
    return (std::uint64_t(sender) << (kSeqBits + kChannelBits + kStepBits)) |
           ((seq & ((1u << kSeqBits) - 1)) << (kChannelBits + kStepBits)) |
           (std::uint64_t(channel) << kStepBits) | (step & ((1u << kStepBits) - 1));
  }
};

// Why an operation stopped. `peer` names the rank it concerns (-1: none).
class OpFailure : public std::runtime_error {
 public:
  OpFailure(const std::string& what, int peer_rank) : std::runtime_error(what), peer(peer_rank) {}
  int peer;
};

// Outstanding transfers of one job. The transport decrements `pending` from the
// completion callbacks (on the executor's thread, inside progress()).
struct Completion {
  int pending = 0;
  int failed_peer = -1;
  ucs_status_t status = UCS_OK;
  std::vector<void*> requests;  // in flight, for cancel_all()
};

class UcxTransport {
 public:
  // Creates the context and worker, publishes this rank's worker address under
  // `key_prefix`/addr/<rank> and connects to every peer's. Throws cairn::Error naming
  // the peer on a size mismatch or a UCX failure.
  UcxTransport(Store& store, const std::string& key_prefix, int rank, int size);
  ~UcxTransport();
  UcxTransport(const UcxTransport&) = delete;
  UcxTransport& operator=(const UcxTransport&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // More ranks of this communicator on this host than CPUs this process may run on
  // (each rank keeps one thread busy: the one running its operations, see op_queue.h).
  bool oversubscribed() const;

  // Post a transfer counted on `c`. Zero-byte transfers are sent (barriers use them).
  void send(int peer, const void* buf, std::size_t bytes, std::uint64_t tag, Completion& c);
  void recv(int peer, void* buf, std::size_t bytes, std::uint64_t tag, Completion& c);

  // One round of progress. Throws OpFailure once the communicator must stop: abort
  // requested, a peer's endpoint failed, or a peer sent an abort notice.
  bool progress();
  // Sleeps until the worker has an event, signal() is called, or `until` (capped so
  // at 1 ms: see the .cpp for the wake-ups UCX misses).
  void wait_for_event(Clock::time_point until);

  // Checks (at most every 50 ms) that the peers on this host are still running; one
  // that is not fails the communicator. Called while waiting.
  void watch_local_peers();
  // A rank of this host whose process is stopped (SIGSTOP, a debugger), with why: whom
  // a timeout blames before the peer it was waiting on.
  std::optional<std::pair<int, std::string>> stopped_local_peer();

  // Thread-safe: records why the communicator stops (first reason wins) and wakes the
  // thread running operations. `notice` is what peers are told (they prefix "rank R aborted: ").
  void request_abort(const std::string& reason, const std::string& notice);
  std::optional<std::string> abort_reason() const;
  // Whether the failure originated elsewhere (a peer's abort notice): then there is
  // nobody to tell.
  bool failed_by_notice() const;
  // What peers should be told about this rank's failure.
  std::string notice_text() const;
  void signal();

  // Frees the requests of a completion whose transfers have all finished.
  void release(Completion& c);
  // The rank an unfinished transfer of `c` waits for (a receive's first), or -1.
  int waiting_on(const Completion& c) const;

  // After an operation failed: cancels the receives of `c`, detaches its sends (their
  // buffers are the caller's: UCX is told to drop them), and tells every peer why.
  void abandon(Completion& c);
  void notify_peers(const std::string& reason);

  // After a failure: lets abandoned transfers finish or fail for up to `drain`, then
  // stops progressing the worker for good, so that a transfer still in flight can never
  // again read or write the caller's buffers (UCX moves data only inside progress).
  void seal(std::chrono::milliseconds drain);

  // Flushes (when `graceful` and not sealed) and closes every endpoint, within `within`.
  void close(bool graceful, std::chrono::milliseconds within);

  ucp_worker_h worker() const { return worker_; }

 private:
  static void on_send_done(void* request, ucs_status_t status, void* user_data);
  static void on_recv_done(void* request, ucs_status_t status, const ucp_tag_recv_info_t* info,
                           void* user_data);
  static void on_notice(void* request, ucs_status_t status, const ucp_tag_recv_info_t* info,
                        void* user_data);
  static void on_peer_error(void* arg, ucp_ep_h ep, ucs_status_t status);
  void track(ucs_status_ptr_t status, int peer, bool is_recv, Completion& c);
  unsigned pump();  // ucp_worker_progress unless sealed
  void finish(void* request, ucs_status_t status);
  void connect_all(std::chrono::seconds within);
  void post_notice_recv();
  void peer_failed(int peer, ucs_status_t status);
  // Records a failure unless one is already recorded or the endpoints are closing.
  void record_failure(std::string reason, std::string notice, int peer, bool from_notice);

  int rank_;
  int size_;
  ucp_context_h context_ = nullptr;
  ucp_worker_h worker_ = nullptr;
  int event_fd_ = -1;
  std::vector<ucp_ep_h> eps_;
  struct PeerRef {
    UcxTransport* self;
    int rank;
  };
  std::vector<PeerRef> peer_refs_;
  std::optional<LocalPeerWatch> local_peers_;  // set once the peers' addresses are read

  // Abort notices from peers land here (one standing receive from any sender).
  std::vector<char> notice_buf_;
  void* notice_request_ = nullptr;

  mutable std::mutex failure_mu_;   // error callbacks may run on UCX's async thread
  std::atomic<bool> failed_{false};  // fast check for progress()
  std::optional<std::string> failure_;
  std::string notice_;
  bool from_notice_ = false;
  int failure_peer_ = -1;
  bool closing_ = false;
  // The executor's thread only.
  int orphans_ = 0;  // abandoned requests still in flight
  bool sealed_ = false;
};

}  // namespace cairn::coll::detail
