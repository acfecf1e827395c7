#include "sensor/detect/detection_engine.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

#include "dissectors/common/counter.h"
#include "sensor/detect/activity.h"
#include "sensor/detect/alert_text.h"
#include "sensor/detect/allowlist.h"
#include "sensor/detect/bounded_text.h"
#include "sensor/detect/candidate.h"
#include "sensor/detect/lru_map.h"
#include "sensor/detect/piece_key.h"
#include "sensor/detect/rules/anonymous_list.h"
#include "sensor/detect/rules/anonymous_read.h"
#include "sensor/detect/rules/bucket_enumeration.h"
#include "sensor/detect/rules/bulk_exfiltration.h"
#include "sensor/detect/rules/new_public_exposure.h"
#include "sensor/detect/server_name.h"
#include "sensor/detect/sliding_window.h"

namespace bw::detect {

namespace {

using storage::AuthClass;
using storage::OperationKind;
using storage::Outcome;
using storage::Provider;

// Dedup entries are swept this often (packet time); other state expires from the LRU front.
constexpr TimestampNs kSweepInterval = 10 * kNsPerSecond;

struct DedupEntry {
  TimestampNs fired = 0;
  TimestampNs window = 0;
  uint64_t suppressed = 0;
  size_t charged = 0;  // fixed size: nothing beyond the map's entry
};

struct FlowTotals {
  TimestampNs last_ts = 0;
  uint64_t turns = 0;
  uint64_t bytes_to_client = 0;
  size_t charged = 0;  // fixed size: nothing beyond the map's entry
};

// Keys are pieces viewing the caller's values (piece_key.h): text only for a new entry.
constexpr std::string_view kNul("\0", 1);

PieceKey& AddClient(PieceKey& k, const decode::IpAddress& client) {
  k.AddByte(client.family);
  return k.Add(
      std::string_view(reinterpret_cast<const char*>(client.bytes.data()), client.bytes.size()));
}

PieceKey ClientKey(const decode::IpAddress& client) {
  PieceKey k;
  return AddClient(k, client);
}

// An activity whose bucket is not visible is keyed on its endpoint instead: no bucket name is
// empty-and-endpoint, so the two kinds never share a key.
PieceKey ActivityKey(const decode::IpAddress& client, Provider p, std::string_view account,
                     std::string_view bucket, std::string_view endpoint) {
  PieceKey k = ClientKey(client);
  k.AddByte(static_cast<uint8_t>(p)).Add(account).Add(kNul).Add(bucket);
  if (!endpoint.empty()) k.Add(kNul).Add(endpoint);
  return k;
}

// Without a community id: both addresses and "<client port>:<server port>", that text
// written into `ports`.
PieceKey FlowKey(const event::EncryptedFlowSummary& s, std::array<char, 16>& ports) {
  if (!s.community_id.empty()) return PieceKey{s.community_id};
  char* end = ports.data() + ports.size();
  char* p = std::to_chars(ports.data(), end, s.client_port).ptr;
  *p++ = ':';
  p = std::to_chars(p, end, s.server_port).ptr;
  PieceKey k = ClientKey(s.client_ip);
  AddClient(k, s.server_ip);
  return k.Add(std::string_view(ports.data(), static_cast<size_t>(p - ports.data())));
}

// `out` = the address's text, allocating only when the text's length changes.
void AssignAddress(std::string& out, const decode::IpAddress& ip) {
  char text[decode::IpAddress::kMaxTextBytes];
  AssignAsNew(out, std::string_view(text, ip.Write(text)));
}

Severity Lower(Severity s) {
  return s == Severity::kInfo ? s : static_cast<Severity>(static_cast<uint8_t>(s) - 1);
}

bool IsFailure(Outcome o) {
  return o == Outcome::kDenied || o == Outcome::kNotFound || o == Outcome::kNoResponse;
}

// The facts of the state a rule judged, for the alert that passed dedup.
void FillFrom(Alert& alert, const Activity& a, size_t sample_cap) {
  alert.first_seen = a.first_seen;
  alert.last_seen = a.last_seen;
  alert.source_ip = a.client.ToString();
  alert.destination_ip = a.server_ip;
  alert.destination_port = a.server_port;
  alert.provider = std::string(storage::ProviderName(a.provider));
  alert.account = a.account;
  alert.bucket = a.bucket;
  alert.endpoint = a.endpoint;
  alert.auth_class = AuthClassesName(a.auth_classes);
  alert.operations = a.operations;
  alert.encrypted = a.encrypted;
  alert.counts = a.counts;
  alert.counts.distinct_keys = a.distinct.Count();
  // Objects that left are the evidence when there are any; otherwise the names a listing gave
  // away.
  const auto& samples = a.read_samples.empty() ? a.listed_samples : a.read_samples;
  alert.sample_keys.assign(samples.begin(), samples.begin() + std::min(samples.size(), sample_cap));
  alert.user_agent = a.user_agent;
  alert.server_name = a.server_name;
  alert.community_id = a.community_id;
}

void FillFrom(Alert& alert, const ClientProbes& p, size_t sample_cap) {
  alert.first_seen = p.first_seen;
  alert.last_seen = p.last_seen;
  alert.source_ip = p.client.ToString();
  alert.destination_ip = p.server_ip;
  alert.destination_port = p.server_port;
  alert.provider = std::string(storage::ProviderName(p.provider));
  alert.operations = p.operations;
  alert.encrypted = p.encrypted;
  alert.counts = p.counts;
  alert.counts.distinct_buckets = p.names.size();
  // The most recent names first: what the client is trying now.
  for (auto it = p.names.rbegin(); it != p.names.rend(); ++it) {
    if (alert.sample_keys.size() >= sample_cap) break;
    alert.sample_keys.push_back(it->name);
  }
  alert.user_agent = p.user_agent;
  alert.server_name = p.server_name;
  alert.community_id = p.community_id;
}

}  // namespace

struct DetectionEngine::Counters {
  std::atomic<uint64_t> storage_events{0};
  std::atomic<uint64_t> encrypted_summaries{0};
  std::atomic<uint64_t> encrypted_not_storage{0};
  std::array<std::atomic<uint64_t>, kRuleCount> evaluated{};
  std::array<std::atomic<uint64_t>, kRuleCount> suppressed{};
  std::array<std::array<std::atomic<uint64_t>, kSeverityCount>, kRuleCount> alerts{};
  std::atomic<uint64_t> denied{0}, denied_anonymous{0}, not_found{0}, no_response{0};
  std::atomic<uint64_t> allowlisted_cidr{0}, allowlisted_public_bucket{0}, crawler_downgraded{0};
  std::atomic<uint64_t> tracked_activities{0}, tracked_clients{0}, tracked_dedup{0},
      tracked_flows{0};
  std::atomic<uint64_t> evicted_activities{0}, evicted_clients{0}, evicted_dedup{0},
      evicted_flows{0}, evicted_probe_names{0}, evicted_memory{0};
  std::atomic<uint64_t> memory_bytes{0};
  std::atomic<uint64_t> tracked_exposures{0}, evicted_exposures{0}, learned_exposures{0};

  // Only the engine thread writes: a relaxed load and store, no locked read-modify-write.
  static void Inc(std::atomic<uint64_t>& c, uint64_t n = 1) { Bump(c, n); }
};

// The engine thread's alone: maps, config, allowlist and packet time.
struct DetectionEngine::State {
  config::DetectionConfig config;
  Allowlist allowlist;
  TimestampNs bulk_slot_ns = 1;
  TimestampNs now = INT64_MIN;
  TimestampNs next_sweep = INT64_MIN;
  LruMap<Activity> activities;
  LruMap<ClientProbes> clients;
  LruMap<DedupEntry> dedup;
  LruMap<FlowTotals> flows;
  KnownExposures exposures;  // bounded by its own cap, not by memory_bytes
  // Evictions are counted here and published to the atomics after each call.
  uint64_t evicted_activities = 0, evicted_clients = 0, evicted_dedup = 0, evicted_flows = 0;
  uint64_t evicted_probe_names = 0;
  uint64_t evicted_memory = 0;  // entries of any kind evicted by config.memory_bytes
  // Distinct keys and probed names remembered across all activities and clients.
  uint64_t distinct_entries = 0;

  State() {
    activities.OnErase([this](Activity& a) { distinct_entries -= a.distinct.Remembered(); });
    clients.OnErase([this](ClientProbes& c) { distinct_entries -= c.names.size(); });
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void Apply(const config::DetectionConfig& c) {
    TimestampNs slot = SlidingWindow::SlotLength(c.bulk_exfiltration.window);
    bool window_changed = slot != bulk_slot_ns;
    config = c;
    allowlist = Allowlist(c.allowlist);
    bulk_slot_ns = slot;
    if (window_changed) {
      activities.ForEach([](Activity& a) { a.reads.Reset(); });
    }
    activities.Shrink(c.max_tracked_keys, evicted_activities);
    clients.Shrink(c.max_clients, evicted_clients);
    dedup.Shrink(c.max_dedup_keys, evicted_dedup);
    flows.Shrink(c.max_encrypted_flows, evicted_flows);
    exposures.Shrink(c.new_public_exposure.max_buckets);
    EnforceBudget();
  }

  size_t Bytes() const {
    return activities.bytes() + clients.bytes() + dedup.bytes() + flows.bytes();
  }

  // Over the byte budget, the least recently used entry of whichever kind holds the most bytes
  // goes first: a name spray sheds probed-name lists, a key spray activities. Called after
  // every event, once nothing refers into the maps any more.
  void EnforceBudget() {
    while (Bytes() > config.memory_bytes) {
      size_t most = std::max({activities.bytes(), clients.bytes(), dedup.bytes(), flows.bytes()});
      bool evicted = false;
      if (most == activities.bytes()) {
        evicted = activities.EvictFront();
        evicted_activities += evicted;
      } else if (most == clients.bytes()) {
        evicted = clients.EvictFront();
        evicted_clients += evicted;
      } else if (most == dedup.bytes()) {
        evicted = dedup.EvictFront();
        evicted_dedup += evicted;
      } else {
        evicted = flows.EvictFront();
        evicted_flows += evicted;
      }
      if (!evicted) break;
      ++evicted_memory;
    }
  }

  TimestampNs IdleTimeout() const {
    return std::max(config.bulk_exfiltration.window, config.bucket_enumeration.window);
  }

  void AdvanceTo(TimestampNs t) {
    if (t <= now) return;
    now = t;
    TimestampNs idle = IdleTimeout();
    activities.ExpireFront([&](const Activity& a) { return a.last_seen + idle < now; });
    TimestampNs enum_window = config.bucket_enumeration.window;
    clients.ExpireFront([&](const ClientProbes& c) { return c.last_seen + enum_window < now; });
    TimestampNs flow_idle =
        std::max({config.anonymous_list.dedup_window, config.bulk_exfiltration.window, idle});
    flows.ExpireFront([&](const FlowTotals& f) { return f.last_ts + flow_idle < now; });
    if (now >= next_sweep) {
      next_sweep = now + kSweepInterval;
      // A dedup entry outlives its window by one more window when repeats were suppressed,
      // so the next alert of that key can carry their count.
      dedup.EraseIf([&](const DedupEntry& e) {
        return now >= e.fired + (e.suppressed ? 2 * e.window : e.window);
      });
    }
  }

  // True when the key may fire now (`carried` gets the repeats suppressed since it last
  // did); false for a repeat inside the window, which is counted on the entry.
  bool Dedup(const PieceKey& key, TimestampNs ts, TimestampNs window, uint64_t& carried) {
    DedupEntry* e = dedup.Find(key);
    if (e && ts < e->fired + window) {
      ++e->suppressed;
      return false;
    }
    if (e) {
      carried = e->suppressed;
      e->fired = ts;
      e->window = window;
      e->suppressed = 0;
    } else {
      carried = 0;
      dedup.Insert(key.Text(), DedupEntry{ts, window, 0}, config.max_dedup_keys, evicted_dedup);
    }
    return true;
  }

  Activity& Touch(const decode::IpAddress& client, Provider p, std::string_view account,
                  std::string_view bucket, TimestampNs ts, std::string_view endpoint = {}) {
    PieceKey key = ActivityKey(client, p, account, bucket, endpoint);
    Activity* a = activities.Find(key);
    if (!a) {
      Activity fresh;
      fresh.client = client;
      fresh.provider = p;
      // assign, as a copy of a std::string would: the same capacity, so the same estimate.
      fresh.account.assign(account);
      fresh.bucket.assign(bucket);
      fresh.endpoint.assign(endpoint);
      fresh.first_seen = ts;
      fresh.last_seen = ts;
      a = &activities.Insert(key.Text(), std::move(fresh), config.max_tracked_keys,
                             evicted_activities);
    }
    a->first_seen = std::min(a->first_seen, ts);
    a->last_seen = std::max(a->last_seen, ts);
    return *a;
  }

  // `name` is the probed name as pieces (BucketUrlKey).
  ClientProbes& Probe(const decode::IpAddress& client, Provider p, const PieceKey& name,
                      TimestampNs ts, bool resolved) {
    PieceKey key = ClientKey(client);
    ClientProbes* c = clients.Find(key);
    if (!c) {
      ClientProbes fresh;
      fresh.client = client;
      fresh.first_seen = ts;
      c = &clients.Insert(key.Text(), std::move(fresh), config.max_clients, evicted_clients);
    }
    c->Expire(std::max(ts, now), config.bucket_enumeration.window, distinct_entries);
    if (c->names.empty()) {
      c->first_seen = ts;
      c->counts = AlertCounts{};
      c->operations.clear();
      c->encrypted = false;
    }
    c->first_seen = std::min(c->first_seen, ts);
    c->last_seen = std::max(c->last_seen, ts);
    c->provider = p;
    auto it = c->index.find(name);
    if (it != c->index.end()) {
      c->names.splice(c->names.end(), c->names, it->second);
      ProbedName& n = c->names.back();
      n.last = std::max(n.last, ts);
      if (resolved && !n.resolved) {
        n.resolved = true;
        ++c->resolved_names;
      }
    } else {
      AddProbedName(*c, ProbedName{name.Text(), ts, resolved});
    }
    return *c;
  }

  // A name the client has not probed yet. Full (per client, or the engine-wide budget): the
  // client's oldest name makes room.
  void AddProbedName(ClientProbes& c, ProbedName name) {
    while (!c.names.empty() && (c.names.size() >= std::max<uint64_t>(1, config.max_distinct) ||
                                distinct_entries >= config.max_distinct_total)) {
      c.EraseFront(distinct_entries);
      ++evicted_probe_names;
    }
    if (distinct_entries < config.max_distinct_total) {
      c.Add(std::move(name), distinct_entries);
    } else {
      ++evicted_probe_names;
    }
  }

  // The one dedup step of every rule: a candidate that passes becomes an alert filled from
  // `source` (the activity or probes the rule judged), its summary from `summary()` (the
  // rule's, called only here), crawlers lowered one level.
  template <typename Source, typename Summary>
  void Publish(const std::optional<Candidate>& candidate, const Source& source, TimestampNs ts,
               bool crawler, Counters& c, std::vector<Alert>& out, Summary summary) {
    if (!candidate) return;
    auto rule = static_cast<size_t>(candidate->rule);
    Counters::Inc(c.evaluated[rule]);
    uint64_t carried = 0;
    if (!Dedup(candidate->dedup_key, ts, candidate->dedup_window, carried)) {
      Counters::Inc(c.suppressed[rule]);
      return;
    }
    Alert alert;
    alert.rule = candidate->rule;
    alert.severity = candidate->severity;
    if (crawler) {
      alert.severity = Lower(alert.severity);
      alert.downgraded = true;
      Counters::Inc(c.crawler_downgraded);
    }
    alert.timestamp = ts;
    alert.dedup_key = candidate->dedup_key.Text();
    FillFrom(alert, source, config.sample_keys);
    alert.counts.suppressed = carried;
    if (!candidate->auth_class.empty()) alert.auth_class = candidate->auth_class;
    alert.summary = summary();
    Counters::Inc(c.alerts[rule][static_cast<size_t>(alert.severity)]);
    out.push_back(std::move(alert));
  }
};

DetectionEngine::DetectionEngine(const config::DetectionConfig& config, AlertSink& sink)
    : sink_(sink), state_(std::make_unique<State>()), counters_(std::make_unique<Counters>()) {
  state_->Apply(config);
}

DetectionEngine::~DetectionEngine() = default;

void DetectionEngine::OnStorageEvent(const event::RequestContext& ctx,
                                     const storage::StorageEvent& ev) {
  Counters& c = *counters_;
  Counters::Inc(c.storage_events);
  switch (ev.outcome) {
    case Outcome::kDenied:
      Counters::Inc(c.denied);
      if (ev.auth_class == AuthClass::kAnonymous) Counters::Inc(c.denied_anonymous);
      break;
    case Outcome::kNotFound:
      Counters::Inc(c.not_found);
      break;
    case Outcome::kNoResponse:
      Counters::Inc(c.no_response);
      break;
    case Outcome::kSuccess:
    case Outcome::kError:
      break;
  }
  std::vector<Alert> alerts;
  State& s = *state_;
  const auto& cfg = s.config;
  if (!cfg.enabled) return;
  if (s.allowlist.TrustedClient(ctx.client_ip)) {
    Counters::Inc(c.allowlisted_cidr);
    return;
  }
  TimestampNs ts = ctx.end_ts > 0 ? ctx.end_ts : ctx.start_ts;
  s.AdvanceTo(ts);
  bool crawler = s.allowlist.Crawler(ctx.user_agent);
  size_t sample_cap = cfg.sample_keys;
  bool success = ev.outcome == Outcome::kSuccess;
  bool anonymous = ev.auth_class == AuthClass::kAnonymous;
  bool is_list = ev.kind == OperationKind::kList || ev.kind == OperationKind::kListBuckets;
  bool is_read = ev.kind == OperationKind::kRead && success;
  char client_text[decode::IpAddress::kMaxTextBytes];
  const std::string_view client(client_text, ctx.client_ip.Write(client_text));

  // Stored and keyed by bounded names; the allowlist still matches the names as sent.
  BoundedNameBuffer account_scratch, bucket_scratch;
  const std::string_view account = BoundedName(ev.account, account_scratch);
  const std::string_view bucket = BoundedName(ev.bucket, bucket_scratch);
  Activity& a = s.Touch(ctx.client_ip, ev.provider, account, bucket, ts);
  AssignAddress(a.server_ip, ctx.server_ip);
  a.server_port = ctx.server_port;
  if (!ctx.community_id.empty()) a.community_id = ctx.community_id;
  if (!ctx.user_agent.empty()) {
    AssignAsNew(a.user_agent, Utf8Prefix(ctx.user_agent, kMaxUserAgentBytes));
  }
  if (!ctx.sni.empty()) AssignAsNew(a.server_name, Utf8Prefix(ctx.sni, kMaxServerNameBytes));
  a.auth_classes |= static_cast<uint8_t>(1u << static_cast<uint8_t>(ev.auth_class));
  a.counts.requests += 1;
  if (ev.outcome == Outcome::kDenied) a.counts.denied += 1;
  if (ev.outcome == Outcome::kNotFound) a.counts.not_found += 1;
  CountOperation(a.operations, storage::OperationName(ev.operation), 1);
  if (is_list && success) {
    a.counts.pages += 1;
    if (ev.list_keys > 0) a.counts.listed_keys += static_cast<uint64_t>(ev.list_keys);
    for (const auto& k : ev.sample_keys) AddSample(a.listed_samples, k, sample_cap);
  }
  if (is_read) {
    a.counts.objects += 1;
    a.counts.bytes += ev.response_body_bytes;
    a.counts.message_bytes += ev.response_bytes;
    if (!ev.key.empty()) {
      a.distinct.Add(ev.key, cfg.max_distinct, s.distinct_entries, cfg.max_distinct_total);
      AddSample(a.read_samples, ev.key, sample_cap);
    }
    a.reads.Add(ts, s.bulk_slot_ns, 1, ev.response_body_bytes);
  }
  s.activities.Recharge(a, OwnBytes(a));

  // Every bucket name the client addressed counts as a probe, whatever the answer.
  if (cfg.bucket_enumeration.enabled && (!ev.bucket.empty() || !ev.account.empty())) {
    ClientProbes& p =
        s.Probe(ctx.client_ip, ev.provider, BucketUrlKey(ev.provider, account, bucket), ts,
                !IsFailure(ev.outcome));
    p.counts.requests += 1;
    if (ev.outcome == Outcome::kDenied) p.counts.denied += 1;
    if (ev.outcome == Outcome::kNotFound) p.counts.not_found += 1;
    CountOperation(p.operations, storage::OperationName(ev.operation), 1);
    AssignAddress(p.server_ip, ctx.server_ip);
    p.server_port = ctx.server_port;
    if (!ctx.user_agent.empty()) {
      AssignAsNew(p.user_agent, Utf8Prefix(ctx.user_agent, kMaxUserAgentBytes));
    }
    if (!ctx.community_id.empty()) p.community_id = ctx.community_id;
    s.clients.Recharge(p, OwnBytes(p));
    rules::Probe probe{client, ev.auth_class, false};
    s.Publish(rules::BucketEnumeration(p, probe, cfg.bucket_enumeration), p, ts, crawler, c, alerts,
              [&] { return rules::BucketEnumerationSummary(p, probe, cfg.bucket_enumeration); });
  }

  RequestFacts request{ev, client, false};
  if (anonymous && success && (is_list || is_read)) {
    request.public_bucket =
        s.allowlist.PublicBucket(storage::ProviderName(ev.provider), ev.account, ev.bucket);
    if (request.public_bucket) Counters::Inc(c.allowlisted_public_bucket);
  }
  s.Publish(rules::AnonymousList(a, request, cfg.anonymous_list), a, ts, crawler, c, alerts,
            [&] { return rules::AnonymousListSummary(a, request, cfg.anonymous_list); });
  s.Publish(rules::AnonymousRead(a, request, cfg.anonymous_read), a, ts, crawler, c, alerts,
            [&] { return rules::AnonymousReadSummary(a, request, cfg.anonymous_read); });
  rules::Reads reads{client, ts, is_read ? 1u : 0u, is_read ? ev.response_body_bytes : 0, false};
  s.Publish(rules::BulkExfiltration(a, reads, cfg.bulk_exfiltration), a, ts, crawler, c, alerts,
            [&] { return rules::BulkExfiltrationSummary(a, reads, cfg.bulk_exfiltration); });

  // Any anonymous success names its bucket as exposed (a HEAD or an ACL read too), once it names
  // one; buckets meant to be public are never recorded, so one taken off the allowlist is new.
  const auto& np = cfg.new_public_exposure;
  if (np.enabled && anonymous && success && (!account.empty() || !bucket.empty())) {
    RequestFacts exposed{ev, client, request.public_bucket};
    if (!(is_list || is_read)) {
      exposed.public_bucket =
          s.allowlist.PublicBucket(storage::ProviderName(ev.provider), ev.account, ev.bucket);
    }
    rules::Exposure exposure;
    if (!exposed.public_bucket) {
      exposure.first = s.exposures.Record(ev.provider, account, bucket, ts, np.max_buckets);
      exposure.learning = np.learning_period > 0 && ts < s.exposures.started() + np.learning_period;
      if (exposure.first && exposure.learning) Counters::Inc(c.learned_exposures);
    }
    s.Publish(rules::NewPublicExposure(a, exposed, exposure, np), a, ts, crawler, c, alerts,
              [&] { return rules::NewPublicExposureSummary(a, exposed, exposure, np); });
  }
  s.EnforceBudget();
  PublishGauges(s);
  if (!alerts.empty()) Deliver(alerts);
}

void DetectionEngine::OnEncryptedFlow(const event::EncryptedFlowSummary& f) {
  Counters& c = *counters_;
  Counters::Inc(c.encrypted_summaries);
  std::vector<Alert> alerts;
  State& s = *state_;
  const auto& cfg = s.config;
  if (!cfg.enabled) return;
  if (s.allowlist.TrustedClient(f.client_ip)) {
    Counters::Inc(c.allowlisted_cidr);
    return;
  }
  ServerNameTarget target;
  if (!TargetFromServerName(f.server_name, f.server_port, endpoints_, target)) {
    Counters::Inc(c.encrypted_not_storage);
    return;
  }
  BoundedNameBuffer account_scratch, bucket_scratch;
  const std::string_view account = BoundedName(target.account, account_scratch);
  const std::string_view bucket = BoundedName(target.bucket, bucket_scratch);
  const std::string_view endpoint = Utf8Prefix(target.endpoint, kMaxServerNameBytes);
  const std::string_view server_name = Utf8Prefix(f.server_name, kMaxServerNameBytes);
  TimestampNs ts = f.last_ts > 0 ? f.last_ts : f.first_ts;
  s.AdvanceTo(ts);
  char client_text[decode::IpAddress::kMaxTextBytes];
  const std::string_view client(client_text, f.client_ip.Write(client_text));

  // Differences from the previous summary of this flow (totals only grow).
  std::array<char, 16> ports;
  PieceKey fkey = FlowKey(f, ports);
  FlowTotals* prev = s.flows.Find(fkey);
  bool first = prev == nullptr;
  if (first) {
    prev = &s.flows.Insert(fkey.Text(), FlowTotals{}, cfg.max_encrypted_flows, s.evicted_flows);
  }
  uint64_t turns = f.turns > prev->turns ? f.turns - prev->turns : 0;
  uint64_t bytes =
      f.bytes_to_client > prev->bytes_to_client ? f.bytes_to_client - prev->bytes_to_client : 0;
  prev->turns = std::max(prev->turns, f.turns);
  prev->bytes_to_client = std::max(prev->bytes_to_client, f.bytes_to_client);
  prev->last_ts = std::max(prev->last_ts, ts);
  if (f.final) s.flows.Erase(fkey);

  Activity& a = s.Touch(f.client_ip, target.provider, account, bucket,
                        f.first_ts > 0 ? std::min(f.first_ts, ts) : ts, endpoint);
  a.last_seen = std::max(a.last_seen, ts);
  AssignAddress(a.server_ip, f.server_ip);
  a.server_port = f.server_port;
  a.server_name.assign(server_name);  // as a copy of a std::string would: the same capacity
  if (!f.community_id.empty()) a.community_id = f.community_id;
  a.encrypted = true;
  a.auth_classes |= static_cast<uint8_t>(1u << static_cast<uint8_t>(AuthClass::kUnknown));
  a.counts.requests += turns;
  a.counts.objects += turns;
  a.counts.bytes += bytes;
  a.counts.message_bytes += bytes;
  a.counts.tls_wire_bytes += bytes;
  if (turns || bytes) a.reads.Add(ts, s.bulk_slot_ns, turns, bytes);
  s.activities.Recharge(a, OwnBytes(a));

  // A TLS connection to a bucket's name is a probe of that name: its answer is not visible,
  // so it counts as unresolved towards the failure ratio. A service name names no bucket.
  if (first && cfg.bucket_enumeration.enabled && target.bucket_visible()) {
    ClientProbes& p = s.Probe(f.client_ip, target.provider,
                              BucketUrlKey(target.provider, account, bucket), ts, false);
    p.counts.requests += 1;
    p.encrypted = true;
    AssignAddress(p.server_ip, f.server_ip);
    p.server_port = f.server_port;
    p.server_name.assign(server_name);
    if (!f.community_id.empty()) p.community_id = f.community_id;
    s.clients.Recharge(p, OwnBytes(p));
    rules::Probe probe{client, AuthClass::kUnknown, true};
    s.Publish(rules::BucketEnumeration(p, probe, cfg.bucket_enumeration), p, ts, false, c, alerts,
              [&] { return rules::BucketEnumerationSummary(p, probe, cfg.bucket_enumeration); });
  }

  rules::Reads reads{client, ts, turns, bytes, true};
  s.Publish(rules::BulkExfiltration(a, reads, cfg.bulk_exfiltration), a, ts, false, c, alerts,
            [&] { return rules::BulkExfiltrationSummary(a, reads, cfg.bulk_exfiltration); });
  s.EnforceBudget();
  PublishGauges(s);
  if (!alerts.empty()) Deliver(alerts);
}

std::vector<DedupRecord> DetectionEngine::ExportDedup() const {
  std::vector<DedupRecord> out;
  out.reserve(state_->dedup.size());
  state_->dedup.ForEachKeyed([&](const std::string& key, const DedupEntry& e) {
    out.push_back(DedupRecord{key, e.fired, e.window, e.suppressed});
  });
  return out;
}

void DetectionEngine::RestoreDedup(const std::vector<DedupRecord>& records) {
  State& s = *state_;
  for (const DedupRecord& r : records) {
    if (r.window <= 0) continue;
    if (s.dedup.Find(r.key) != nullptr) s.dedup.Erase(r.key);
    s.dedup.Insert(r.key, DedupEntry{r.fired, r.window, r.suppressed, 0}, s.config.max_dedup_keys,
                   s.evicted_dedup);
  }
  s.EnforceBudget();
  PublishGauges(s);
}

namespace {

// What a window costs in the state file, roughly: JSON text of its fields, strings hex-encoded.
size_t SerialisedBytes(const std::string& s) { return 2 * s.size() + 16; }

template <typename Facts>
size_t FactsBytes(const Facts& f) {
  size_t n = 512 + SerialisedBytes(f.server_ip) + SerialisedBytes(f.user_agent) +
             SerialisedBytes(f.server_name) + SerialisedBytes(f.community_id);
  for (const auto& op : f.operations) n += SerialisedBytes(op.first) + 24;
  return n;
}

// Keeps the most recently used records (the back) within `budget` bytes; counts the others.
template <typename Record, typename Cost>
void KeepNewest(std::vector<Record>& records, size_t budget, Cost cost, uint64_t& left_out) {
  size_t used = 0;
  size_t keep = 0;
  for (auto it = records.rbegin(); it != records.rend(); ++it, ++keep) {
    size_t c = cost(*it);
    if (used + c > budget) break;
    used += c;
  }
  left_out += records.size() - keep;
  records.erase(records.begin(), records.end() - static_cast<std::ptrdiff_t>(keep));
}

}  // namespace

OpenWindows DetectionEngine::ExportWindows(size_t max_bytes) const {
  const State& s = *state_;
  OpenWindows out;
  if (s.now == INT64_MIN) return out;
  s.activities.ForEachKeyed([&](const std::string&, const Activity& a) {
    std::vector<WindowSlot> slots = a.reads.Slots(s.now, s.bulk_slot_ns);
    if (slots.empty()) return;
    ReadWindowRecord r{a, {}, a.distinct.overflow(), std::move(slots)};
    r.distinct.assign(a.distinct.hashes().begin(), a.distinct.hashes().end());
    out.reads.push_back(std::move(r));
  });
  const TimestampNs enum_window = s.config.bucket_enumeration.window;
  s.clients.ForEachKeyed([&](const std::string&, const ClientProbes& c) {
    ProbeWindowRecord r{c, {}};
    for (const ProbedName& n : c.names) {
      if (n.last > s.now - enum_window) r.names.push_back(n);
    }
    if (!r.names.empty()) out.probes.push_back(std::move(r));
  });
  KeepNewest(
      out.reads, max_bytes / 2,
      [](const ReadWindowRecord& r) {
        size_t n = FactsBytes(r.facts) + SerialisedBytes(r.facts.account) +
                   SerialisedBytes(r.facts.bucket) + SerialisedBytes(r.facts.endpoint) +
                   24 * r.distinct.size() + 64 * r.slots.size();
        for (const auto& k : r.facts.read_samples) n += SerialisedBytes(k);
        for (const auto& k : r.facts.listed_samples) n += SerialisedBytes(k);
        return n;
      },
      out.left_out);
  KeepNewest(
      out.probes, max_bytes / 2,
      [](const ProbeWindowRecord& r) {
        size_t n = FactsBytes(r.facts);
        for (const auto& p : r.names) n += SerialisedBytes(p.name) + 48;
        return n;
      },
      out.left_out);
  return out;
}

void DetectionEngine::RestoreWindows(const OpenWindows& windows) {
  State& s = *state_;
  const auto& cfg = s.config;
  for (const ReadWindowRecord& r : windows.reads) {
    const ActivityFacts& f = r.facts;
    PieceKey key = ActivityKey(f.client, f.provider, f.account, f.bucket, f.endpoint);
    s.activities.Erase(key);
    Activity fresh;
    static_cast<ActivityFacts&>(fresh) = f;
    Activity& a = s.activities.Insert(key.Text(), std::move(fresh), cfg.max_tracked_keys,
                                      s.evicted_activities);
    for (uint64_t h : r.distinct) {
      a.distinct.AddHash(h, cfg.max_distinct, s.distinct_entries, cfg.max_distinct_total);
    }
    a.distinct.AddOverflow(r.distinct_overflow);
    for (const WindowSlot& slot : r.slots) {
      a.reads.Add(slot.start, s.bulk_slot_ns, slot.count, slot.bytes);
    }
    s.activities.Recharge(a, OwnBytes(a));
  }
  for (const ProbeWindowRecord& r : windows.probes) {
    PieceKey key = ClientKey(r.facts.client);
    s.clients.Erase(key);
    ClientProbes fresh;
    static_cast<ProbeFacts&>(fresh) = r.facts;
    ClientProbes& c =
        s.clients.Insert(key.Text(), std::move(fresh), cfg.max_clients, s.evicted_clients);
    for (const ProbedName& n : r.names) {
      if (!c.index.count(std::string_view(n.name))) s.AddProbedName(c, n);
    }
    s.clients.Recharge(c, OwnBytes(c));
  }
  s.EnforceBudget();
  PublishGauges(s);
}

ExposureInventory DetectionEngine::ExportExposures() const { return state_->exposures.Export(); }

void DetectionEngine::RestoreExposures(const ExposureInventory& saved) {
  State& s = *state_;
  s.exposures.Restore(saved, s.config.new_public_exposure.max_buckets);
  PublishGauges(s);
}

void DetectionEngine::Advance(TimestampNs now) {
  state_->AdvanceTo(now);
  PublishGauges(*state_);
}

void DetectionEngine::Reconfigure(const config::DetectionConfig& config) {
  state_->Apply(config);
  PublishGauges(*state_);
}

void DetectionEngine::PublishGauges(State& s) {
  Counters& c = *counters_;
  auto relaxed = std::memory_order_relaxed;
  c.tracked_activities.store(s.activities.size(), relaxed);
  c.tracked_clients.store(s.clients.size(), relaxed);
  c.tracked_dedup.store(s.dedup.size(), relaxed);
  c.tracked_flows.store(s.flows.size(), relaxed);
  c.evicted_activities.store(s.evicted_activities, relaxed);
  c.evicted_clients.store(s.evicted_clients, relaxed);
  c.evicted_dedup.store(s.evicted_dedup, relaxed);
  c.evicted_flows.store(s.evicted_flows, relaxed);
  c.evicted_probe_names.store(s.evicted_probe_names, relaxed);
  c.evicted_memory.store(s.evicted_memory, relaxed);
  c.memory_bytes.store(s.Bytes(), relaxed);
  c.tracked_exposures.store(s.exposures.size(), relaxed);
  c.evicted_exposures.store(s.exposures.evicted(), relaxed);
}

void DetectionEngine::Deliver(std::vector<Alert>& alerts) {
  for (const auto& alert : alerts) sink_.OnAlert(alert);
}

DetectionStats DetectionEngine::Stats() const {
  const Counters& c = *counters_;
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  DetectionStats s;
  s.storage_events = get(c.storage_events);
  s.encrypted_summaries = get(c.encrypted_summaries);
  s.encrypted_not_storage = get(c.encrypted_not_storage);
  for (size_t r = 0; r < kRuleCount; ++r) {
    s.evaluated[r] = get(c.evaluated[r]);
    s.suppressed[r] = get(c.suppressed[r]);
    for (size_t v = 0; v < kSeverityCount; ++v) s.alerts[r][v] = get(c.alerts[r][v]);
  }
  s.denied = get(c.denied);
  s.denied_anonymous = get(c.denied_anonymous);
  s.not_found = get(c.not_found);
  s.no_response = get(c.no_response);
  s.allowlisted_cidr = get(c.allowlisted_cidr);
  s.allowlisted_public_bucket = get(c.allowlisted_public_bucket);
  s.crawler_downgraded = get(c.crawler_downgraded);
  s.tracked_activities = get(c.tracked_activities);
  s.tracked_clients = get(c.tracked_clients);
  s.tracked_dedup = get(c.tracked_dedup);
  s.tracked_flows = get(c.tracked_flows);
  s.evicted_activities = get(c.evicted_activities);
  s.evicted_clients = get(c.evicted_clients);
  s.evicted_dedup = get(c.evicted_dedup);
  s.evicted_flows = get(c.evicted_flows);
  s.evicted_probe_names = get(c.evicted_probe_names);
  s.evicted_memory = get(c.evicted_memory);
  s.memory_bytes = get(c.memory_bytes);
  s.tracked_exposures = get(c.tracked_exposures);
  s.evicted_exposures = get(c.evicted_exposures);
  s.learned_exposures = get(c.learned_exposures);
  return s;
}

}  // namespace bw::detect
