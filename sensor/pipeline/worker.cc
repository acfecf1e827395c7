#include "sensor/pipeline/worker.h"

#include "dissectors/common/counter.h"
#include "sensor/detect/server_name.h"
#include "sensor/flow/flow_direction.h"
#include "sensor/output/community_id.h"

namespace bw::pipeline {

namespace {
using bw::Bump;
// Expiry walks are cheap (the table keeps LRU lists); hole timeouts need a pass over the flows,
// so they run at most this often in packet time.
constexpr TimestampNs kHoleCheckInterval = kNsPerSecond;
}  // namespace

struct Worker::FlowState {
  explicit FlowState(reassembly::ReassemblyContext& ctx) : tcp(ctx) {}
  bool client_is_lo = true;
  bool handshake = false;
  std::array<uint64_t, 2> packets{};
  std::array<uint64_t, 2> bytes{};
  reassembly::TcpConnection tcp;
  classify::NdpiFlow ndpi;
  std::unique_ptr<app::AppSession> app;  // created on the first byte delivered
  size_t memory = 0;                     // bytes charged to the worker's memory account
  EncryptedReport encrypted;
};

// Stands in for the flow's application session while reassembly runs, and creates the session
// only when the first byte or gap arrives: a SYN flood or a port scan never allocates one.
class Worker::LazySink final : public reassembly::StreamSink {
 public:
  explicit LazySink(Worker& w) : worker_(w) {}
  void Bind(const flow::FlowKey* key, FlowState* state) {
    key_ = key;
    state_ = state;
  }
  void OnData(Direction dir, ByteView data, TimestampNs ts) override {
    if (worker_.outputs_.dissect) Session().OnData(dir, data, ts);
  }
  void OnGap(Direction dir, uint64_t length, TimestampNs ts) override {
    if (worker_.outputs_.dissect) Session().OnGap(dir, length, ts);
  }
  void OnEnd(Direction dir, TimestampNs ts) override {
    if (state_->app) state_->app->OnEnd(dir, ts);
  }

 private:
  app::AppSession& Session() {
    if (!state_->app) {
      state_->app = std::make_unique<app::AppSession>(worker_.app_config_, worker_.app_counters_,
                                                      static_cast<app::EventOutput&>(worker_),
                                                      worker_.Identity(*key_, *state_));
    }
    return *state_->app;
  }
  Worker& worker_;
  const flow::FlowKey* key_ = nullptr;
  FlowState* state_ = nullptr;
};

Worker::Worker(int id, const config::Config& config, const app::AppConfig& app_config,
               WorkerOutputs outputs, const MemoryBudget& memory)
    : id_(id),
      known_servers_(config.storage.known_servers, config.storage.known_server_ttl),
      app_config_(app_config),
      outputs_(outputs),
      reassembly_([&] {
        reassembly::ReassemblyLimits l;
        l.per_flow_bytes = config.reassembly.per_flow_bytes;
        l.max_segments_per_flow = config.reassembly.max_segments_per_flow;
        l.global_bytes = config.reassembly.global_bytes / config.workers;
        l.hole_timeout = config.reassembly.hole_timeout;
        return l;
      }()),
      classifier_(config.classify.ndpi_max_packets, /*init_shared_libraries=*/id == 0),
      sink_(std::make_unique<LazySink>(*this)),
      budget_(memory) {
  app_config_.known_servers = &known_servers_;
  app_config_.http_pool = &http_pool_;
  app_config_.recogniser_scratch = &recogniser_scratch_;
  if (app_config_.tls_keys != nullptr) {
    tls_scratch_.resize(tls::kMaxPlaintextBuffer);
    app_config_.tls_scratch = tls_scratch_;
  }
  flow::FlowLimits limits;
  limits.max_flows = std::max<uint64_t>(1, config.flows.max_flows / config.workers);
  limits.tcp_idle_timeout = config.flows.tcp_idle_timeout;
  limits.other_idle_timeout = config.flows.udp_idle_timeout;
  limits.hard_timeout = config.flows.hard_timeout;
  flows_ = std::make_unique<flow::FlowTable<FlowState>>(
      limits, [this](const flow::FlowKey& key, FlowState& state, const flow::FlowTimes& times,
                     flow::FlowEndReason reason,
                     TimestampNs now) { EndFlow(key, state, times, reason, now); });
}

Worker::~Worker() = default;

const flow::FlowTableCounters& Worker::flow_counters() const { return flows_->counters(); }

app::FlowIdentity Worker::Identity(const flow::FlowKey& key, const FlowState& s) const {
  const flow::Endpoint& client = s.client_is_lo ? key.lo : key.hi;
  const flow::Endpoint& server = s.client_is_lo ? key.hi : key.lo;
  app::FlowIdentity id;
  id.client_ip = client.addr;
  id.client_port = client.port;
  id.server_ip = server.addr;
  id.server_port = server.port;
  id.community_id =
      output::CommunityId(client.addr, client.port, server.addr, server.port, key.proto);
  return id;
}

void Worker::Process(const decode::PacketMeta& p) {
  Bump(counters_.packets);
  Bump(counters_.bytes, p.wire_length);
  if (p.ts > now_) now_ = p.ts;
  if (p.ip_proto != decode::kIpProtoTcp) {
    Bump(p.ip_proto == decode::kIpProtoUdp ? counters_.udp_packets : counters_.other_packets);
    return;
  }
  Bump(counters_.tcp_packets);

  bool src_is_lo = false;
  flow::FlowKey key = flow::FlowKey::FromPacket(p, src_is_lo);
  bool inserted = false;
  FlowState* state = flows_->FindOrInsert(key, p.ts, inserted, reassembly_);
  if (!inserted && state->tcp.IsReopeningSyn(p)) {
    // Port reuse: the old connection is over; this SYN starts a new flow.
    flows_->Remove(key, p.ts);
    state = flows_->FindOrInsert(key, p.ts, inserted, reassembly_);
  }
  if (inserted) {
    flow::ClientDecision d = flow::DecideClient(p);
    state->client_is_lo = d.client == key.lo;
    state->handshake = d.from_handshake;
  }
  Direction dir = flow::DirectionOf(src_is_lo, state->client_is_lo);
  ++state->packets[Index(dir)];
  state->bytes[Index(dir)] += p.l3.size();

  classifier_.Process(state->ndpi, p.l3, !p.payload.empty(), p.ts);
  sink_->Bind(&key, state);
  state->tcp.OnPacket(p, dir, *sink_);
  Charge(*state);
  if (state->tcp.closed()) flows_->MarkClosed(key, p.ts);
  // The flow just touched is the most recent, so it goes last.
  size_t share = budget_.worker_share();
  while (memory_ > share && flows_->EvictLeastRecent(p.ts)) {
    Bump(flows_->owner_counters().evicted_memory);
  }
  PublishWatermark();
}

template <typename Body>
void Worker::Emit(Body&& body) {
  if (!outputs_.hand_on) return;
  OutputRecord record;
  record.stamp = now_;
  record.body = std::forward<Body>(body);
  outputs_.queue->Push(std::move(record));
}

void Worker::OnStorageRequest(event::StorageRequest&& request) {
  if (outputs_.hand_on) outputs_.queue->PushSwap(now_, request);
}

void Worker::OnKnownServerCandidate(event::KnownServerCandidate&& candidate) {
  Emit(std::move(candidate));
}

void Worker::OnHttpRequest(event::HttpLogEntry&& entry) { Emit(std::move(entry)); }

void Worker::AdvanceClock(TimestampNs now) {
  if (now > now_) now_ = now;
  PublishWatermark();
}

// What a flow holds: its table slot, reassembly buffers, nDPI state and application session.
// Recomputed after each packet (the session part walks its pending requests, usually one).
void Worker::Charge(FlowState& state) {
  size_t now = flow::FlowTable<FlowState>::EntrySize() +
               state.tcp.half(Direction::kToServer).buffered_bytes() +
               state.tcp.half(Direction::kToClient).buffered_bytes() +
               classify::NdpiClassifier::FlowBytes(state.ndpi) +
               (state.app ? state.app->MemoryBytes() : 0);
  if (now == state.memory) return;  // most packets (body segments) change nothing
  memory_ = memory_ - state.memory + now;
  state.memory = now;
  PublishMemory();
}

void Worker::PublishMemory() {
  auto& c = flows_->owner_counters();
  c.memory_bytes.store(memory_, std::memory_order_relaxed);
  if (memory_ > c.memory_high_water.load(std::memory_order_relaxed)) {
    c.memory_high_water.store(memory_, std::memory_order_relaxed);
  }
}

void Worker::ReconfigureStorage(const storage::RecogniserConfig& storage, uint64_t known_servers,
                                TimestampNs known_server_ttl) {
  std::lock_guard lock(reconfigure_mu_);
  next_storage_ = StorageSettings{storage, known_servers, known_server_ttl};
  reconfigure_.store(true, std::memory_order_release);
}

void Worker::Tick(TimestampNs now) {
  if (reconfigure_.load(std::memory_order_acquire)) {
    // Sessions read app_config_ on this thread only, so swapping it between packets is safe.
    std::lock_guard lock(reconfigure_mu_);
    if (next_storage_) {
      app_config_.storage = std::move(next_storage_->storage);
      known_servers_.SetLimits(next_storage_->known_servers, next_storage_->known_server_ttl);
    }
    next_storage_.reset();
    reconfigure_.store(false, std::memory_order_relaxed);
  }
  if (now > now_) now_ = now;
  flows_->Expire(now_);
  PollParked();
  if (now_ - last_hole_check_ >= kHoleCheckInterval) {
    last_hole_check_ = now_;
    flows_->ForEach(
        [this](const flow::FlowKey& key, FlowState& state, const flow::FlowTimes& times) {
          sink_->Bind(&key, &state);
          state.tcp.CheckTimeouts(now_, *sink_);
          if (state.app) state.app->PollTlsKeys(now_);
          Charge(state);
          if (state.app) ReportEncrypted(*state.app, state.encrypted, times, false);
        });
  }
  PublishWatermark();
}

void Worker::Drain(TimestampNs now) {
  if (now > now_) now_ = now;
  flows_->Drain(now_);
  CloseParked();
  PublishWatermark();
}

void Worker::PollParked() {
  for (size_t i = 0; i < parked_.size();) {
    Parked& p = parked_[i];
    p.app->PollTlsKeys(now_);
    if (p.app->WaitingForTlsKeys()) {
      ++i;
      continue;
    }
    Unpark(p);
    parked_memory_ -= p.memory;
    parked_[i] = std::move(parked_.back());
    parked_.pop_back();
  }
  PublishMemory();
}

void Worker::Unpark(Parked& p) {
  p.app->Close(now_);
  ReportEncrypted(*p.app, p.encrypted, p.times, true);
  if (p.flow) {
    FillAppOutcome(*p.flow, *p.app);
    Emit(std::move(*p.flow));
  }
  memory_ -= p.memory;
}

void Worker::CloseParked() {
  for (Parked& p : parked_) Unpark(p);
  parked_.clear();
  parked_memory_ = 0;
  PublishMemory();
}

// Encrypted flows feed detection by what TLS still shows: the SNI, the request/response turns
// and the bytes each way. Cumulative totals, handed on when they changed (checked about once a
// second) and once at the end, and only for server names of storage endpoints: other TLS, most
// of a tap's traffic, costs the output stage nothing.
void Worker::ReportEncrypted(app::AppSession& app, EncryptedReport& report,
                             const flow::FlowTimes& times, bool final) {
  if (app.layer() != app::AppLayer::kTls) return;
  // Decrypted: detection reads the requests themselves.
  if (app.tls_decrypting()) return;
  if (report.storage_name == EncryptedReport::Storage::kUnknown) {
    const std::string& sni = app.server_name();
    if (sni.empty()) return;  // no ClientHello yet, or none with a name: nothing to tell
    detect::ServerNameTarget target;
    report.storage_name = detect::TargetFromServerName(sni, app.identity().server_port,
                                                       app_config_.storage.endpoints, target)
                              ? EncryptedReport::Storage::kYes
                              : EncryptedReport::Storage::kNo;
  }
  if (report.storage_name != EncryptedReport::Storage::kYes) return;
  const uint64_t turns = app.tls_turns();
  const uint64_t to_client = app.tls_app_bytes(Direction::kToClient);
  const uint64_t to_server = app.tls_app_bytes(Direction::kToServer);
  const bool news = !report.reported || turns != report.turns || to_client != report.to_client ||
                    to_server != report.to_server;
  if (!news && !final) return;
  report.reported = true;
  report.turns = turns;
  report.to_client = to_client;
  report.to_server = to_server;
  // The session computed the identity (Community ID included) once, when it was created.
  const app::FlowIdentity& id = app.identity();
  event::EncryptedFlowSummary s;
  s.client_ip = id.client_ip;
  s.client_port = id.client_port;
  s.server_ip = id.server_ip;
  s.server_port = id.server_port;
  s.community_id = id.community_id;
  s.server_name = app.server_name();
  s.first_ts = times.first_seen;
  s.last_ts = times.last_seen;
  s.turns = turns;
  s.bytes_to_client = to_client;
  s.bytes_to_server = to_server;
  s.final = final;
  Emit(std::move(s));
}

void Worker::EndFlow(const flow::FlowKey& key, FlowState& state, const flow::FlowTimes& times,
                     flow::FlowEndReason reason, TimestampNs now) {
  sink_->Bind(&key, &state);
  state.tcp.Finish(now, *sink_);
  const bool park = state.app && reason != flow::FlowEndReason::kEvicted &&
                    reason != flow::FlowEndReason::kShutdown && state.app->WaitingForTlsKeys() &&
                    parked_.size() < kMaxParkedSessions &&
                    parked_memory_ + state.app->MemoryBytes() <= kMaxParkedBytes;
  if (state.app && !park) state.app->Close(now);
  // A parked session reports when its wait ends: while it waits it is not given up yet, and if
  // its keys never come it reports as a connection without keys would.
  if (state.app) ReportEncrypted(*state.app, state.encrypted, times, true);
  classifier_.Finish(state.ndpi);
  memory_ -= state.memory;
  state.memory = 0;
  std::string protocol = classifier_.ProtocolName(state.ndpi.result);
  ++protocols_[protocol];
  std::optional<output::FlowRecord> flow_record;
  if (outputs_.flow_log) flow_record = FlowRecordOf(key, state, times, reason, protocol);
  if (flow_record && !park) Emit(std::move(*flow_record));
  if (park) {
    Parked p;
    p.flow = std::move(flow_record);
    p.memory = state.app->MemoryBytes();
    p.app = std::move(state.app);
    p.encrypted = state.encrypted;
    p.times = times;
    memory_ += p.memory;
    parked_memory_ += p.memory;
    parked_.push_back(std::move(p));
    Bump(app_counters_.tls_parked);
  }
  PublishMemory();
}

output::FlowRecord Worker::FlowRecordOf(const flow::FlowKey& key, const FlowState& state,
                                        const flow::FlowTimes& times, flow::FlowEndReason reason,
                                        const std::string& protocol) const {
  app::FlowIdentity id = state.app ? state.app->identity() : Identity(key, state);
  output::FlowRecord r;
  r.start_ts = times.first_seen;
  r.end_ts = times.last_seen;
  r.client_ip = id.client_ip;
  r.client_port = id.client_port;
  r.server_ip = id.server_ip;
  r.server_port = id.server_port;
  r.proto = key.proto;
  r.handshake_seen = state.handshake;
  r.community_id = id.community_id;
  r.end_reason = flow::FlowEndReasonName(reason);
  r.app_protocol = protocol;
  r.category = classifier_.CategoryName(state.ndpi.result);
  r.risks = classify::NdpiClassifier::RiskNames(state.ndpi.result.risk);
  r.app_layer = state.app ? app::AppLayerName(state.app->layer()) : "none";
  for (Direction d : {Direction::kToServer, Direction::kToClient}) {
    auto& out = r.dir[Index(d)];
    out.packets = state.packets[Index(d)];
    out.wire_bytes = state.bytes[Index(d)];
    if (state.app) {
      const auto& acct = state.app->account(d);
      out.delivered_bytes = acct.delivered_bytes;
      out.gaps = acct.gaps;
      out.gap_bytes = acct.gap_bytes;
    }
    if (app_config_.digests) {
      out.sha256 = state.app ? state.app->Sha256Hex(d) : app::AppSession::EmptySha256Hex();
    }
  }
  if (state.app) {
    r.server_name = state.app->server_name();
    r.alpn = state.app->alpn();
    FillAppOutcome(r, *state.app);
  }
  return r;
}

void Worker::FillAppOutcome(output::FlowRecord& r, const app::AppSession& app) {
  r.tls = app.tls_decryption();
  r.http_requests = app.http_transactions();
  r.storage_requests = app.storage_events();
}

}  // namespace bw::pipeline
