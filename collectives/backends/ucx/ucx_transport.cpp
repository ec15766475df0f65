#include "collectives/backends/ucx/ucx_transport.h"

#include <poll.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "collectives/backends/process_liveness.h"
#include "common/cpus.h"
#include "common/error.h"

namespace cairn::coll::detail {
namespace {

// Our part of every UCP request (UCP reserves it before handing the request out; see
// ucp_params_t::request_size). Set right after a post returns the request: UCP calls no
// completion callback for a request before the post has returned.
struct RequestData {
  Completion* owner;  // nullptr once abandoned: the callback then frees the request
  int peer;
  bool done;
  bool is_recv;
};

RequestData* data_of(void* request) { return static_cast<RequestData*>(request); }

std::string status_text(ucs_status_t s) { return ucs_status_string(s); }

void check(ucs_status_t s, const std::string& what) {
  if (s != UCS_OK) throw Error("UCX: " + what + " failed: " + status_text(s));
}

std::string to_hex(const void* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

std::vector<unsigned char> from_hex(const std::string& s, const std::string& key) {
  auto nibble = [&](char c) -> unsigned {
    if (c >= '0' && c <= '9') return unsigned(c - '0');
    if (c >= 'a' && c <= 'f') return unsigned(c - 'a' + 10);
    throw Error("UCX worker address under store key '" + key + "' is not hex: another program "
                "wrote that key; use a different key prefix");
  };
  if (s.size() % 2) throw Error("UCX worker address under store key '" + key + "' is truncated");
  std::vector<unsigned char> out(s.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<unsigned char>(nibble(s[2 * i]) << 4 | nibble(s[2 * i + 1]));
  return out;
}

// UCX settings the backend needs unless the user chose otherwise in the environment.
// Endpoints with peer error handling may use the shared-memory transports only when
// their error handling is switched on, a transport setting UCX reads from the
// environment alone (ucp_config_modify rejects it), hence setenv, once, without
// overwriting. Otherwise ranks on one host would talk over TCP loopback. Those
// transports never report a dead peer themselves: watch_local_peers() does.
void apply_defaults() {
  static std::once_flag once;
  std::call_once(once, [] {
    ::setenv("UCX_POSIX_ERROR_HANDLING", "y", 0);
    ::setenv("UCX_SYSV_ERROR_HANDLING", "y", 0);
  });
}

}  // namespace

UcxTransport::UcxTransport(Store& store, const std::string& key_prefix, int rank, int size)
    : rank_(rank), size_(size), notice_buf_(1024) {
  if (size < 1 || size > TagLayout::kMaxRanks)
    throw Error("UCX communicator size " + std::to_string(size) + " is out of range (1.." +
                std::to_string(TagLayout::kMaxRanks) + ")");
  if (rank < 0 || rank >= size)
    throw Error("UCX communicator rank " + std::to_string(rank) + " is outside 0.." + std::to_string(size - 1));

  apply_defaults();
  ucp_config_t* config = nullptr;
  check(ucp_config_read(nullptr, nullptr, &config), "reading the UCX configuration (UCX_* variables)");
  ucp_params_t params{};
  params.field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_REQUEST_SIZE |
                      UCP_PARAM_FIELD_MT_WORKERS_SHARED |
                      UCP_PARAM_FIELD_ESTIMATED_NUM_EPS;
  params.features = UCP_FEATURE_TAG | UCP_FEATURE_WAKEUP;
  params.request_size = sizeof(RequestData);
  params.mt_workers_shared = 0;
  params.estimated_num_eps = static_cast<std::size_t>(size);
  const ucs_status_t init_status = ucp_init(&params, config, &context_);
  ucp_config_release(config);
  check(init_status, "ucp_init");

  try {
    ucp_worker_params_t wp{};
    wp.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
    wp.thread_mode = UCS_THREAD_MODE_SERIALIZED;
    check(ucp_worker_create(context_, &wp, &worker_), "ucp_worker_create");
    check(ucp_worker_get_efd(worker_, &event_fd_), "ucp_worker_get_efd");

    ucp_address_t* address = nullptr;
    std::size_t address_bytes = 0;
    check(ucp_worker_get_address(worker_, &address, &address_bytes), "ucp_worker_get_address");
    // "<world size> <host> <pid> <start ticks> <worker address in hex>"
    const std::string mine = std::to_string(size) + " " + to_string(this_process()) + " " + to_hex(address, address_bytes);
    const std::string my_host = this_process().host;
    ucp_worker_release_address(worker_, address);
    // Communicators made again under the same prefix (every rank makes them in the same
    // order) get fresh keys: the n-th one on each rank uses <prefix>/<n>/addr/<rank>.
    const std::string keys = key_prefix + "/" + std::to_string(store.add(key_prefix + "/made_by/" + std::to_string(rank), 1));
    store.set(keys + "/addr/" + std::to_string(rank), mine);

    eps_.assign(static_cast<std::size_t>(size), nullptr);
    peer_refs_.resize(static_cast<std::size_t>(size));
    LocalPeerWatch::Peers local;
    for (int p = 0; p < size; ++p) {
      peer_refs_[p] = PeerRef{this, p};
      if (p == rank) continue;
      const std::string key = keys + "/addr/" + std::to_string(p);
      const std::string value = store.get(key);
      const auto first = value.find(' '), last = value.rfind(' ');
      if (first == std::string::npos || last == first)
        throw Error("store key '" + key + "' holds no UCX worker address: another program wrote it; use a different key prefix");
      const std::string their_size = value.substr(0, first);
      if (their_size != std::to_string(size))
        throw Error("rank " + std::to_string(p) + " joined UCX communicator '" + key_prefix + "' with world size " +
                    their_size + ", this rank (" + std::to_string(rank) + ") with " + std::to_string(size) +
                    ": every rank must be started with the same world size");
      const ProcessIdentity peer = parse_process_identity(value.substr(first + 1, last - first - 1), "store key '" + key + "'");
      if (peer.host == my_host) local.emplace_back(p, peer);
      const auto remote = from_hex(value.substr(last + 1), key);
      ucp_ep_params_t ep{};
      ep.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
                      UCP_EP_PARAM_FIELD_ERR_HANDLER;
      ep.address = reinterpret_cast<const ucp_address_t*>(remote.data());
      ep.err_mode = UCP_ERR_HANDLING_MODE_PEER;
      ep.err_handler.cb = &UcxTransport::on_peer_error;
      ep.err_handler.arg = &peer_refs_[p];
      check(ucp_ep_create(worker_, &ep, &eps_[p]), "connecting to rank " + std::to_string(p));
    }
    local_peers_.emplace(std::move(local));
    connect_all(std::chrono::seconds(60));
    post_notice_recv();
  } catch (...) {
    close(false, std::chrono::milliseconds(100));
    if (worker_) ucp_worker_destroy(worker_);
    ucp_cleanup(context_);
    throw;
  }
}

void UcxTransport::connect_all(std::chrono::seconds within) {
  // UCX wires endpoints up lazily. Finishing every connection here keeps the first
  // operation's latency honest, and keeps a peer lost later from finding a half-done
  // wireup: UCX 1.13 asserts on a reply still queued when the worker is destroyed
  // (openucx/ucx#8175).
  std::vector<std::pair<int, ucs_status_ptr_t>> flushes;
  for (int p = 0; p < size_; ++p) {
    if (!eps_[p]) continue;
    ucp_request_param_t param{};
    ucs_status_ptr_t r = ucp_ep_flush_nbx(eps_[p], &param);
    if (UCS_PTR_IS_ERR(r)) check(UCS_PTR_STATUS(r), "connecting to rank " + std::to_string(p));
    if (r) flushes.emplace_back(p, r);
  }
  const auto until = Clock::now() + within;
  for (auto& [peer, r] : flushes) {
    while (ucp_request_check_status(r) == UCS_INPROGRESS && Clock::now() < until) ucp_worker_progress(worker_);
    const ucs_status_t s = ucp_request_check_status(r);
    ucp_request_free(r);
    if (s == UCS_INPROGRESS)
      throw Error("rank " + std::to_string(peer) + " did not connect over UCX within " + std::to_string(within.count()) +
                  " s: is it still running, and can the ranks reach each other (UCX_TLS, UCX_NET_DEVICES)?");
    check(s, "connecting to rank " + std::to_string(peer));
  }
}

UcxTransport::~UcxTransport() {
  close(false, std::chrono::milliseconds(100));
  ucp_worker_destroy(worker_);
  ucp_cleanup(context_);
}

void UcxTransport::track(ucs_status_ptr_t sp, int peer, bool is_recv, Completion& c) {
  if (sp == nullptr) return;  // completed in place
  if (UCS_PTR_IS_ERR(sp)) {
    const ucs_status_t s = UCS_PTR_STATUS(sp);
    if (c.status == UCS_OK) {
      c.status = s;
      c.failed_peer = peer;
    }
    peer_failed(peer, s);
    return;
  }
  RequestData* d = data_of(sp);
  d->owner = &c;
  d->peer = peer;
  d->done = false;
  d->is_recv = is_recv;
  ++c.pending;
  c.requests.push_back(sp);
}

void UcxTransport::send(int peer, const void* buf, std::size_t bytes, std::uint64_t tag, Completion& c) {
  ucp_request_param_t p{};
  p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_DATATYPE | UCP_OP_ATTR_FIELD_USER_DATA;
  p.cb.send = &UcxTransport::on_send_done;
  p.datatype = ucp_dt_make_contig(1);
  p.user_data = this;
  track(ucp_tag_send_nbx(eps_[peer], buf, bytes, tag, &p), peer, false, c);
}

void UcxTransport::recv(int peer, void* buf, std::size_t bytes, std::uint64_t tag, Completion& c) {
  ucp_request_param_t p{};
  p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_DATATYPE | UCP_OP_ATTR_FIELD_USER_DATA;
  p.cb.recv = &UcxTransport::on_recv_done;
  p.datatype = ucp_dt_make_contig(1);
  p.user_data = this;
  track(ucp_tag_recv_nbx(worker_, buf, bytes, tag, TagLayout::kFullMask, &p), peer, true, c);
}

void UcxTransport::finish(void* request, ucs_status_t status) {
  RequestData* d = data_of(request);
  if (!d->owner) {  // abandoned: nobody will look at it again
    --orphans_;
    ucp_request_free(request);
    return;
  }
  Completion& c = *d->owner;
  d->done = true;
  --c.pending;
  if (status == UCS_OK) return;
  if (c.status == UCS_OK) {
    c.status = status;
    c.failed_peer = d->peer;
  }
  if (status != UCS_ERR_CANCELED) peer_failed(d->peer, status);
}

void UcxTransport::on_send_done(void* request, ucs_status_t status, void* user_data) {
  static_cast<UcxTransport*>(user_data)->finish(request, status);
}

void UcxTransport::on_recv_done(void* request, ucs_status_t status, const ucp_tag_recv_info_t*, void* user_data) {
  static_cast<UcxTransport*>(user_data)->finish(request, status);
}

unsigned UcxTransport::pump() { return sealed_ ? 0 : ucp_worker_progress(worker_); }

bool UcxTransport::progress() {
  const bool any = pump() != 0;
  if (failed_.load(std::memory_order_acquire)) {
    std::lock_guard lock(failure_mu_);
    throw OpFailure(*failure_, failure_peer_);
  }
  return any;
}

void UcxTransport::wait_for_event(Clock::time_point until) {
  const ucs_status_t s = ucp_worker_arm(worker_);
  if (s == UCS_ERR_BUSY) return;  // events are pending: progress again
  const auto now = Clock::now();
  if (now >= until) return;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1;
  // At most 1 ms asleep: UCX 1.13's shared-memory transports (posix/sysv + cma) do not
  // always signal the worker's event fd for a rendezvous step, and a sleep of up to
  // 100 ms then held 1 MiB exchanges between 4 ranks on one host to 0.065 GB/s (16 ms
  // each; `cairn pairs`, 2-core VM), where over tcp, or with this cap, every pair ran at
  // 0.6-4 GB/s. Waking 1000 times a second costs an idle rank well under 1 % of a CPU.
  pollfd pfd{event_fd_, POLLIN, 0};
  (void)::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1)));
}

void UcxTransport::signal() { (void)ucp_worker_signal(worker_); }

void UcxTransport::record_failure(std::string reason, std::string notice, int peer, bool from_notice) {
  {
    std::lock_guard lock(failure_mu_);
    if (failure_ || closing_) return;
    failure_ = std::move(reason);
    notice_ = std::move(notice);
    failure_peer_ = peer;
    from_notice_ = from_notice;
  }
  failed_.store(true, std::memory_order_release);
}

void UcxTransport::request_abort(const std::string& reason, const std::string& notice) {
  record_failure(reason, notice, -1, false);
  signal();
}

std::optional<std::string> UcxTransport::abort_reason() const {
  std::lock_guard lock(failure_mu_);
  return failure_;
}

bool UcxTransport::failed_by_notice() const {
  std::lock_guard lock(failure_mu_);
  return from_notice_;
}

std::string UcxTransport::notice_text() const {
  std::lock_guard lock(failure_mu_);
  return notice_;
}

void UcxTransport::peer_failed(int peer, ucs_status_t status) {
  std::string what;
  if (status == UCS_ERR_MESSAGE_TRUNCATED)
    what = "a message from rank " + std::to_string(peer) +
           " is larger than the receive buffer (the ranks disagree on a count or data type)";
  else
    what = "rank " + std::to_string(peer) + " lost (" + status_text(status) + ")";
  record_failure(what, what, peer, false);
}

bool UcxTransport::oversubscribed() const { return int(local_peers_->size()) + 1 > usable_cpus(); }

void UcxTransport::watch_local_peers() {
  if (const auto lost = local_peers_->lost()) record_failure(lost->second, lost->second, lost->first, false);
}

std::optional<std::pair<int, std::string>> UcxTransport::stopped_local_peer() {
  return local_peers_ ? local_peers_->stopped() : std::nullopt;
}

void UcxTransport::on_peer_error(void* arg, ucp_ep_h, ucs_status_t status) {
  const auto* ref = static_cast<const PeerRef*>(arg);
  ref->self->peer_failed(ref->rank, status);
}

void UcxTransport::post_notice_recv() {
  ucp_request_param_t p{};
  p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_DATATYPE | UCP_OP_ATTR_FIELD_USER_DATA;
  p.cb.recv = &UcxTransport::on_notice;
  p.datatype = ucp_dt_make_contig(1);
  p.user_data = this;
  const std::uint64_t tag = TagLayout::make(0, 0, TagLayout::kNoticeChannel, 0);
  ucs_status_ptr_t sp = ucp_tag_recv_nbx(worker_, notice_buf_.data(), notice_buf_.size(), tag,
                                         TagLayout::kAnySenderMask, &p);
  if (UCS_PTR_IS_ERR(sp)) check(UCS_PTR_STATUS(sp), "posting the abort-notice receive");
  if (sp == nullptr) return;  // cannot complete in place without a message; keep going
  data_of(sp)->owner = nullptr;
  notice_request_ = sp;
}

void UcxTransport::on_notice(void* request, ucs_status_t status, const ucp_tag_recv_info_t* info, void* user_data) {
  auto* self = static_cast<UcxTransport*>(user_data);
  self->notice_request_ = nullptr;
  ucp_request_free(request);
  if (status != UCS_OK) return;  // cancelled at close
  // The sender's rank travels in the message: UCX 1.13 leaves tag_info->sender_tag
  // unset for this eager receive.
  const std::size_t length = std::min(info->length, self->notice_buf_.size());
  if (length < sizeof(std::int32_t)) return;
  std::int32_t sender = 0;
  std::memcpy(&sender, self->notice_buf_.data(), sizeof sender);
  const std::string reason(self->notice_buf_.data() + sizeof sender, length - sizeof sender);
  self->record_failure("rank " + std::to_string(sender) + " aborted: " + reason, reason, sender, true);
}

void UcxTransport::release(Completion& c) {
  for (void* r : c.requests) ucp_request_free(r);
  c.requests.clear();
}

int UcxTransport::waiting_on(const Completion& c) const {
  int send_peer = -1;
  for (void* r : c.requests) {
    const RequestData* d = data_of(r);
    if (d->done) continue;
    if (d->is_recv) return d->peer;
    if (send_peer < 0) send_peer = d->peer;
  }
  return send_peer;
}

void UcxTransport::abandon(Completion& c) {
  for (void* r : c.requests) {
    RequestData* d = data_of(r);
    if (d->done) {
      ucp_request_free(r);
      continue;
    }
    ucp_request_cancel(worker_, r);  // receives: cancelled; sends: left to finish or fail
    if (!d->done) {  // not completed by the cancel itself
      d->owner = nullptr;
      ++orphans_;
    } else {
      ucp_request_free(r);
    }
  }
  c.requests.clear();
  c.pending = 0;
}

void UcxTransport::notify_peers(const std::string& reason) {
  const std::int32_t me = rank_;
  std::string text(reinterpret_cast<const char*>(&me), sizeof me);
  text += reason.substr(0, notice_buf_.size() - sizeof me);
  int lost = -1;
  {
    std::lock_guard lock(failure_mu_);
    lost = failure_peer_;
  }
  Completion c;
  for (int p = 0; p < size_; ++p) {
    if (p == rank_ || p == lost) continue;
    send(p, text.data(), text.size(), TagLayout::make(rank_, 0, TagLayout::kNoticeChannel, 0), c);
  }
  // Eager messages this small complete locally at once; do not wait long for stuck peers.
  const auto until = Clock::now() + std::chrono::milliseconds(200);
  while (c.pending > 0 && Clock::now() < until) pump();
  abandon(c);
}

void UcxTransport::seal(std::chrono::milliseconds drain) {
  const auto until = Clock::now() + drain;
  while (orphans_ > 0 && Clock::now() < until) pump();
  sealed_ = true;
}

void UcxTransport::close(bool graceful, std::chrono::milliseconds within) {
  {
    std::lock_guard lock(failure_mu_);
    closing_ = true;
  }
  if (!worker_) return;
  const auto until = Clock::now() + within;
  if (graceful && !sealed_) {
    ucp_request_param_t p{};
    ucs_status_ptr_t flush = ucp_worker_flush_nbx(worker_, &p);
    if (flush && !UCS_PTR_IS_ERR(flush)) {
      while (ucp_request_check_status(flush) == UCS_INPROGRESS && Clock::now() < until) pump();
      if (ucp_request_check_status(flush) != UCS_OK) graceful = false;
      ucp_request_free(flush);  // allowed in any state
    }
  }
  if (notice_request_) {
    void* r = notice_request_;
    ucp_request_cancel(worker_, r);  // the callback clears notice_request_ and frees it
    while (notice_request_ && !sealed_ && Clock::now() < until) pump();
  }
  std::vector<ucs_status_ptr_t> closing;
  for (ucp_ep_h& ep : eps_) {
    if (!ep) continue;
    ucp_request_param_t p{};
    p.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
    p.flags = graceful && !sealed_ ? 0 : UCP_EP_CLOSE_FLAG_FORCE;
    ucs_status_ptr_t r = ucp_ep_close_nbx(ep, &p);
    if (r && !UCS_PTR_IS_ERR(r)) closing.push_back(r);
    ep = nullptr;
  }
  for (ucs_status_ptr_t r : closing) {
    while (ucp_request_check_status(r) == UCS_INPROGRESS && !sealed_ && Clock::now() < until) pump();
    ucp_request_free(r);  // allowed in any state
  }
  // Let cancelled and abandoned requests run their callbacks (which free them).
  for (int i = 0; i < 16; ++i) pump();
}

}  // namespace cairn::coll::detail
