#include "sensor/detect/detection_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "sensor/detect/allowlist.h"
#include "sensor/detect/server_name.h"

namespace bw::detect {

namespace {

using storage::AuthClass;
using storage::OperationKind;
using storage::Outcome;
using storage::Provider;

// Bulk windows are rings of this many slots: a window of 10 min counts in 10 s slots, so an
// event leaves the window at most one slot late. Fixed memory per activity, whatever the rate.
constexpr int64_t kSlots = 60;
// Distinct operation names kept per activity or client (providers define a few dozen).
constexpr size_t kMaxOperations = 32;
// Dedup entries are swept this often (packet time); other state expires from the LRU front.
constexpr TimestampNs kSweepInterval = 10 * kNsPerSecond;

// Heap bytes of a std::string beyond the object itself (libstdc++ keeps 15 chars inline), with
// the allocator's header and 16-byte rounding.
size_t HeapBytes(const std::string& s) {
  return s.capacity() > 15 ? ((s.capacity() + 1 + 8 + 15) & ~size_t{15}) : 0;
}
// One allocation of `n` bytes as glibc malloc spends it (header, 16-byte rounding, 32 minimum).
constexpr size_t Chunk(size_t n) { return std::max<size_t>(32, (n + 8 + 15) & ~size_t{15}); }

// Least-recently-used map with string keys: O(1) find/touch/insert, eviction from the front.
// Every value carries `charged`, the heap bytes it holds itself (Recharge keeps it current);
// bytes() adds what the map spends per entry and key, so a byte budget can be enforced.
template <typename V>
class LruMap {
 public:
  using Entry = std::pair<std::string, V>;
  // List node, index node and index bucket of one entry; the key's heap bytes come on top.
  static constexpr size_t kEntryBytes =
      Chunk(2 * sizeof(void*) + sizeof(Entry)) +
      Chunk(sizeof(void*) + sizeof(std::string_view) + sizeof(void*) + sizeof(size_t)) +
      2 * sizeof(void*);

  // Called on every entry leaving the map (eviction, expiry, erase), to release its budget.
  void OnErase(std::function<void(V&)> hook) { on_erase_ = std::move(hook); }

  V* Find(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.end(), order_, it->second);
    return &it->second->second;
  }
  // Inserts a new key (the caller checked it is absent), evicting the LRU entries first.
  V& Insert(const std::string& key, V value, size_t cap, uint64_t& evicted) {
    Shrink(cap > 0 ? cap - 1 : 0, evicted);
    order_.emplace_back(key, std::move(value));
    auto last = std::prev(order_.end());
    index_.emplace(std::string_view(last->first), last);
    bytes_ += Footprint(*last);
    return last->second;
  }
  // `v` (held by this map) now holds `bytes` of its own.
  void Recharge(V& v, size_t bytes) {
    bytes_ = bytes_ - v.charged + bytes;
    v.charged = bytes;
  }
  size_t bytes() const { return bytes_; }
  // Evicts the least recently used entry; false when empty.
  bool EvictFront() {
    if (order_.empty()) return false;
    EraseFront();
    return true;
  }
  void Shrink(size_t cap, uint64_t& evicted) {
    while (order_.size() > cap) {
      EraseFront();
      ++evicted;
    }
  }
  // Pops from the LRU front while `expired` holds (entries are touched in time order, so the
  // front is the oldest up to the small disorder between workers).
  template <typename F>
  void ExpireFront(F expired) {
    while (!order_.empty() && expired(order_.front().second)) EraseFront();
  }
  template <typename F>
  void EraseIf(F pred) {
    for (auto it = order_.begin(); it != order_.end();) {
      if (pred(it->second)) {
        if (on_erase_) on_erase_(it->second);
        bytes_ -= Footprint(*it);
        index_.erase(std::string_view(it->first));
        it = order_.erase(it);
      } else {
        ++it;
      }
    }
  }
  template <typename F>
  void ForEach(F f) {
    for (auto& e : order_) f(e.second);
  }
  void Erase(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    auto node = it->second;
    if (on_erase_) on_erase_(node->second);
    bytes_ -= Footprint(*node);
    index_.erase(it);
    order_.erase(node);
  }
  size_t size() const { return order_.size(); }

 private:
  static size_t Footprint(const Entry& e) {
    return kEntryBytes + HeapBytes(e.first) + e.second.charged;
  }
  void EraseFront() {
    if (on_erase_) on_erase_(order_.front().second);
    bytes_ -= Footprint(order_.front());
    index_.erase(std::string_view(order_.front().first));
    order_.pop_front();
  }
  std::function<void(V&)> on_erase_;
  size_t bytes_ = 0;
  std::list<Entry> order_;
  std::unordered_map<std::string_view, typename std::list<Entry>::iterator> index_;
};

struct Slot {
  int64_t index = INT64_MIN;
  uint64_t objects = 0;
  uint64_t bytes = 0;
};
// Allocated on an activity's first object read: probes and listings never pay for it.
using Ring = std::array<Slot, kSlots>;

int64_t SlotIndex(TimestampNs ts, TimestampNs slot_ns) {
  return ts >= 0 ? ts / slot_ns : -((-ts + slot_ns - 1) / slot_ns);
}

size_t RingPos(int64_t index) { return static_cast<size_t>(((index % kSlots) + kSlots) % kSlots); }

void AddToRing(std::unique_ptr<Ring>& ring, int64_t index, uint64_t objects, uint64_t bytes) {
  if (!ring) ring = std::make_unique<Ring>();
  Slot& s = (*ring)[RingPos(index)];
  if (s.index == index) {
    s.objects += objects;
    s.bytes += bytes;
  } else if (s.index < index) {
    s = Slot{index, objects, bytes};
  }
  // else: older than the whole window (a newer slot took this position): out of the window.
}

void SumRing(const std::unique_ptr<Ring>& ring, int64_t now_index, uint64_t& objects,
             uint64_t& bytes) {
  objects = 0;
  bytes = 0;
  if (!ring) return;
  for (const auto& s : *ring) {
    if (s.index > now_index - kSlots && s.index <= now_index) {
      objects += s.objects;
      bytes += s.bytes;
    }
  }
}

void CountOperation(std::vector<std::pair<std::string, uint64_t>>& ops, const std::string& name,
                    uint64_t n) {
  if (name.empty() || n == 0) return;
  for (auto& [op, count] : ops) {
    if (op == name) {
      count += n;
      return;
    }
  }
  if (ops.size() < kMaxOperations) ops.emplace_back(name, n);
}

// Distinct keys: exact (64-bit hashes) up to `cap` per activity and while the engine-wide
// budget lasts; beyond that every key not among those remembered is counted as new, so the
// value is exact up to the cap and an upper bound after it (no HyperLogLog: 8 bytes a key).
struct DistinctCounter {
  std::unordered_set<uint64_t> seen;
  uint64_t overflow = 0;

  void Add(std::string_view key, size_t cap, uint64_t& used, uint64_t budget) {
    uint64_t h = std::hash<std::string_view>{}(key);
    if (seen.count(h)) return;
    if (seen.size() < cap && used < budget) {
      seen.insert(h);
      ++used;
    } else {
      ++overflow;
    }
  }
  uint64_t Count() const { return seen.size() + overflow; }
};

// The longest prefix of `s` of at most `max` bytes that does not split a UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// Sample keys are cut to this many bytes (at a UTF-8 boundary): an alert names the objects,
// it need not spell out 1 KiB keys, and 20 of them per activity stay small.
constexpr size_t kMaxSampleBytes = 256;

void AddSample(std::vector<std::string>& samples, const std::string& key, size_t cap) {
  if (key.empty() || samples.size() >= cap) return;
  std::string cut(Utf8Prefix(key, kMaxSampleBytes));
  if (std::find(samples.begin(), samples.end(), cut) != samples.end()) return;
  samples.push_back(std::move(cut));
}

// The caps count entries; what an entry holds comes from the packet (a Host header or a path
// segment of up to 8 KiB), so every stored string is bounded too. A name spray of 4 KB names
// otherwise costs ~13 KB of state per name. No provider allows a bucket, container or account
// name past 222 bytes (GCS; S3 and Azure: 63), so a longer name is kept as its first bytes plus
// a hash of the whole: distinct names stay distinct, and the alert still shows what was sent.
constexpr size_t kMaxNameBytes = 256;
constexpr size_t kLongNamePrefixBytes = 200;
// User agents and TLS server names only describe an activity in its alert.
constexpr size_t kMaxUserAgentBytes = 512;
constexpr size_t kMaxServerNameBytes = 256;

std::string BoundedName(std::string_view name) {
  if (name.size() <= kMaxNameBytes) return std::string(name);
  char hash[24];
  std::snprintf(hash, sizeof(hash), "...#%016llx",
                static_cast<unsigned long long>(std::hash<std::string_view>{}(name)));
  std::string out(Utf8Prefix(name, kLongNamePrefixBytes));
  out += hash;
  return out;
}

std::string Bounded(std::string_view text, size_t max) {
  return std::string(Utf8Prefix(text, max));
}

// All requests of one client to one bucket (provider, account, bucket).
struct Activity {
  decode::IpAddress client;
  Provider provider = Provider::kS3;
  std::string account;
  std::string bucket;
  TimestampNs first_seen = 0;
  TimestampNs last_seen = 0;
  std::string server_ip;
  uint16_t server_port = 0;
  std::string community_id;
  std::string user_agent;
  std::string server_name;
  uint8_t auth_classes = 0;  // bit per AuthClass seen
  bool encrypted = false;
  AlertCounts counts;  // since first_seen (suppressed is filled per alert)
  std::vector<std::pair<std::string, uint64_t>> operations;
  DistinctCounter distinct;                 // distinct object keys read
  std::vector<std::string> read_samples;    // keys of objects served
  std::vector<std::string> listed_samples;  // keys disclosed by listings
  std::unique_ptr<Ring> reads;  // bulk_exfiltration window
  size_t charged = 0;           // heap bytes held (OwnBytes when last recharged)
};

struct ProbedName {
  std::string name;  // "s3://bucket", "az://account/container", ...
  TimestampNs last = 0;
  bool resolved = false;  // some probe was answered other than not found / denied / unanswered
};

// The bucket names one client addressed, for bucket_enumeration, in probe order.
struct ClientProbes {
  // A probed name's list node, index node and bucket, plus its text.
  static size_t NameBytes(const std::string& name) {
    return Chunk(2 * sizeof(void*) + sizeof(ProbedName)) + HeapBytes(name) +
           Chunk(sizeof(void*) + sizeof(std::string_view) + 2 * sizeof(void*)) + sizeof(void*);
  }

  decode::IpAddress client;
  TimestampNs first_seen = 0;
  TimestampNs last_seen = 0;
  std::list<ProbedName> names;
  std::unordered_map<std::string_view, std::list<ProbedName>::iterator> index;
  uint64_t resolved_names = 0;
  AlertCounts counts;  // requests, denied, not_found since first_seen
  std::vector<std::pair<std::string, uint64_t>> operations;
  Provider provider = Provider::kS3;
  std::string server_ip;
  uint16_t server_port = 0;
  std::string user_agent;
  std::string server_name;
  std::string community_id;
  bool encrypted = false;
  size_t name_bytes = 0;  // NameBytes of every name held
  size_t charged = 0;     // heap bytes held (OwnBytes when last recharged)

  void Add(ProbedName name, uint64_t& used) {
    name_bytes += NameBytes(name.name);
    if (name.resolved) ++resolved_names;
    names.push_back(std::move(name));
    index.emplace(std::string_view(names.back().name), std::prev(names.end()));
    ++used;
  }
  void EraseFront(uint64_t& used) {
    if (names.front().resolved) --resolved_names;
    name_bytes -= NameBytes(names.front().name);
    index.erase(std::string_view(names.front().name));
    names.pop_front();
    --used;
  }
  void Expire(TimestampNs now, TimestampNs window, uint64_t& used) {
    while (!names.empty() && names.front().last <= now - window) EraseFront(used);
  }
};

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

size_t OperationsBytes(const std::vector<std::pair<std::string, uint64_t>>& ops) {
  size_t n = ops.capacity() ? Chunk(ops.capacity() * sizeof(ops[0])) : 0;
  for (const auto& op : ops) n += HeapBytes(op.first);
  return n;
}

size_t SamplesBytes(const std::vector<std::string>& samples) {
  size_t n = samples.capacity() ? Chunk(samples.capacity() * sizeof(samples[0])) : 0;
  for (const auto& k : samples) n += HeapBytes(k);
  return n;
}

// The heap bytes an activity holds beyond its map entry (its strings, operation names, distinct
// key hashes, samples and bulk window). Walks the samples and operations: at most a few dozen.
size_t OwnBytes(const Activity& a) {
  return HeapBytes(a.account) + HeapBytes(a.bucket) + HeapBytes(a.server_ip) +
         HeapBytes(a.community_id) + HeapBytes(a.user_agent) + HeapBytes(a.server_name) +
         OperationsBytes(a.operations) +
         a.distinct.seen.size() * Chunk(2 * sizeof(void*)) +
         a.distinct.seen.bucket_count() * sizeof(void*) + SamplesBytes(a.read_samples) +
         SamplesBytes(a.listed_samples) + (a.reads ? Chunk(sizeof(Ring)) : 0);
}

size_t OwnBytes(const ClientProbes& c) {
  return HeapBytes(c.server_ip) + HeapBytes(c.user_agent) + HeapBytes(c.server_name) +
         HeapBytes(c.community_id) + OperationsBytes(c.operations) + c.name_bytes +
         c.index.bucket_count() * sizeof(void*);
}

std::string BucketUrl(Provider p, const std::string& account, const std::string& bucket) {
  switch (p) {
    case Provider::kAzureBlob:
      return "az://" + account + (bucket.empty() ? "" : "/" + bucket);
    case Provider::kGcs:
      return "gs://" + bucket;
    case Provider::kS3:
    case Provider::kS3Compatible:
      break;
  }
  return "s3://" + bucket;
}

std::string HumanBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f %s", v, kUnits[u]);
  }
  return buf;
}

std::string HumanWindow(TimestampNs window) {
  int64_t s = window / kNsPerSecond;
  if (s % 3600 == 0) return std::to_string(s / 3600) + " h";
  if (s % 60 == 0) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string AuthClassesName(uint8_t mask) {
  if (mask == 0) return std::string(storage::AuthClassName(AuthClass::kUnknown));
  if (mask & (mask - 1)) return "mixed";
  for (uint8_t i = 0; i < 8; ++i) {
    if (mask == (1u << i)) return std::string(storage::AuthClassName(static_cast<AuthClass>(i)));
  }
  return "mixed";
}

std::string ActivityKey(const decode::IpAddress& client, Provider p, const std::string& account,
                        const std::string& bucket) {
  std::string k;
  k.reserve(20 + account.size() + bucket.size());
  k.push_back(static_cast<char>(client.family));
  k.append(reinterpret_cast<const char*>(client.bytes.data()), client.bytes.size());
  k.push_back(static_cast<char>(p));
  k.append(account);
  k.push_back('\0');
  k.append(bucket);
  return k;
}

std::string ClientKey(const decode::IpAddress& client) {
  std::string k;
  k.push_back(static_cast<char>(client.family));
  k.append(reinterpret_cast<const char*>(client.bytes.data()), client.bytes.size());
  return k;
}

std::string FlowKey(const event::EncryptedFlowSummary& s) {
  if (!s.community_id.empty()) return s.community_id;
  return ClientKey(s.client_ip) + ClientKey(s.server_ip) + std::to_string(s.client_port) + ":" +
         std::to_string(s.server_port);
}

Severity Lower(Severity s) {
  return s == Severity::kInfo ? s : static_cast<Severity>(static_cast<uint8_t>(s) - 1);
}

bool IsFailure(Outcome o) {
  return o == Outcome::kDenied || o == Outcome::kNotFound || o == Outcome::kNoResponse;
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

  static void Inc(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.fetch_add(n, std::memory_order_relaxed);
  }
};

// Everything behind the mutex.
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
  // Evictions are counted here under the lock and published to the atomics after each call.
  uint64_t evicted_activities = 0, evicted_clients = 0, evicted_dedup = 0, evicted_flows = 0;
  uint64_t evicted_probe_names = 0;
  uint64_t evicted_memory = 0;  // entries of any kind evicted by config.memory_bytes
  // Distinct keys and probed names remembered across all activities and clients.
  uint64_t distinct_entries = 0;

  State() {
    activities.OnErase([this](Activity& a) { distinct_entries -= a.distinct.seen.size(); });
    clients.OnErase([this](ClientProbes& c) { distinct_entries -= c.names.size(); });
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void Apply(const config::DetectionConfig& c) {
    TimestampNs slot = std::max<TimestampNs>(1, c.bulk_exfiltration.window / kSlots);
    bool window_changed = slot != bulk_slot_ns;
    config = c;
    allowlist = Allowlist(c.allowlist);
    bulk_slot_ns = slot;
    if (window_changed) {
      activities.ForEach([](Activity& a) { a.reads.reset(); });
    }
    activities.Shrink(c.max_tracked_keys, evicted_activities);
    clients.Shrink(c.max_clients, evicted_clients);
    dedup.Shrink(c.max_dedup_keys, evicted_dedup);
    flows.Shrink(c.max_encrypted_flows, evicted_flows);
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

  // True when the rule should fire for `key` now; `carried` gets the suppressed repeats.
  bool Dedup(const std::string& key, TimestampNs ts, TimestampNs window, uint64_t& carried,
             std::atomic<uint64_t>& suppressed_counter) {
    DedupEntry* e = dedup.Find(key);
    if (e && ts < e->fired + window) {
      ++e->suppressed;
      Counters::Inc(suppressed_counter);
      return false;
    }
    if (e) {
      carried = e->suppressed;
      e->fired = ts;
      e->window = window;
      e->suppressed = 0;
    } else {
      carried = 0;
      dedup.Insert(key, DedupEntry{ts, window, 0}, config.max_dedup_keys, evicted_dedup);
    }
    return true;
  }

  Activity& Touch(const decode::IpAddress& client, Provider p, const std::string& account,
                  const std::string& bucket, TimestampNs ts) {
    std::string key = ActivityKey(client, p, account, bucket);
    Activity* a = activities.Find(key);
    if (!a) {
      Activity fresh;
      fresh.client = client;
      fresh.provider = p;
      fresh.account = account;
      fresh.bucket = bucket;
      fresh.first_seen = ts;
      fresh.last_seen = ts;
      a = &activities.Insert(key, std::move(fresh), config.max_tracked_keys, evicted_activities);
    }
    a->first_seen = std::min(a->first_seen, ts);
    a->last_seen = std::max(a->last_seen, ts);
    return *a;
  }

  ClientProbes& Probe(const decode::IpAddress& client, Provider p, const std::string& name,
                      TimestampNs ts, bool resolved) {
    std::string key = ClientKey(client);
    ClientProbes* c = clients.Find(key);
    if (!c) {
      ClientProbes fresh;
      fresh.client = client;
      fresh.first_seen = ts;
      c = &clients.Insert(key, std::move(fresh), config.max_clients, evicted_clients);
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
    auto it = c->index.find(std::string_view(name));
    if (it != c->index.end()) {
      c->names.splice(c->names.end(), c->names, it->second);
      ProbedName& n = c->names.back();
      n.last = std::max(n.last, ts);
      if (resolved && !n.resolved) {
        n.resolved = true;
        ++c->resolved_names;
      }
    } else {
      // Full (per client, or the engine-wide budget): the client's oldest name makes room.
      while (!c->names.empty() && (c->names.size() >= std::max<uint64_t>(1, config.max_distinct) ||
                                   distinct_entries >= config.max_distinct_total)) {
        c->EraseFront(distinct_entries);
        ++evicted_probe_names;
      }
      if (distinct_entries < config.max_distinct_total) {
        c->Add(ProbedName{name, ts, resolved}, distinct_entries);
      } else {
        ++evicted_probe_names;
      }
    }
    return *c;
  }
};

DetectionEngine::DetectionEngine(const config::DetectionConfig& config, AlertSink& sink)
    : sink_(sink), state_(std::make_unique<State>()), counters_(std::make_unique<Counters>()) {
  state_->Apply(config);
}

DetectionEngine::~DetectionEngine() = default;

namespace {

Alert BaseAlert(Rule rule, Severity severity, TimestampNs ts, const std::string& dedup_key,
                uint64_t carried) {
  Alert a;
  a.rule = rule;
  a.severity = severity;
  a.timestamp = ts;
  a.dedup_key = dedup_key;
  a.counts.suppressed = carried;
  return a;
}

// bucket_enumeration after one more probe by `client`: the alert when the rule holds and the
// dedup window lets it through (shared by plaintext requests and TLS server names). A template
// so it can take the engine's private state types.
template <typename StateT, typename CountersT>
std::optional<Alert> EnumerationAlert(StateT& s, CountersT& c, const ClientProbes& p,
                                      const std::string& client, TimestampNs ts,
                                      size_t sample_cap, bool crawler,
                                      std::string_view auth_class, const std::string& evidence) {
  const auto& rc = s.config.bucket_enumeration;
  uint64_t distinct = p.names.size();
  uint64_t failed = distinct - p.resolved_names;
  if (distinct < rc.min_buckets ||
      static_cast<double>(failed) < rc.min_failure_ratio * static_cast<double>(distinct)) {
    return std::nullopt;
  }
  CountersT::Inc(c.evaluated[static_cast<size_t>(Rule::kBucketEnumeration)]);
  std::string key = std::string(RuleName(Rule::kBucketEnumeration)) + "/" + client;
  uint64_t carried = 0;
  if (!s.Dedup(key, ts, rc.dedup_window, carried,
               c.suppressed[static_cast<size_t>(Rule::kBucketEnumeration)])) {
    return std::nullopt;
  }
  Severity sev = rc.severity;
  if (crawler) {
    sev = Lower(sev);
    CountersT::Inc(c.crawler_downgraded);
  }
  Alert alert = BaseAlert(Rule::kBucketEnumeration, sev, ts, key, carried);
  alert.downgraded = crawler;
  alert.first_seen = p.first_seen;
  alert.last_seen = p.last_seen;
  alert.source_ip = client;
  alert.destination_ip = p.server_ip;
  alert.destination_port = p.server_port;
  alert.provider = std::string(storage::ProviderName(p.provider));
  alert.auth_class = std::string(auth_class);
  alert.operations = p.operations;
  alert.encrypted = p.encrypted;
  alert.counts = p.counts;
  alert.counts.suppressed = carried;
  alert.counts.distinct_keys = distinct;
  for (auto it = p.names.rbegin(); it != p.names.rend(); ++it) {
    if (alert.sample_keys.size() >= sample_cap) break;
    alert.sample_keys.push_back(it->name);
  }
  alert.user_agent = p.user_agent;
  alert.server_name = p.server_name;
  alert.community_id = p.community_id;
  alert.summary = client + " probed " + Plural(distinct, "bucket name", "bucket names") + " in " +
                  HumanWindow(rc.window) + " (" + std::to_string(failed) +
                  " not found, denied or unanswered; " + evidence + ")";
  return alert;
}

void FillFromActivity(Alert& alert, const Activity& a, size_t sample_cap) {
  alert.first_seen = a.first_seen;
  alert.last_seen = a.last_seen;
  alert.source_ip = a.client.ToString();
  alert.destination_ip = a.server_ip;
  alert.destination_port = a.server_port;
  alert.provider = std::string(storage::ProviderName(a.provider));
  alert.account = a.account;
  alert.bucket = a.bucket;
  alert.auth_class = AuthClassesName(a.auth_classes);
  alert.operations = a.operations;
  alert.encrypted = a.encrypted;
  uint64_t suppressed = alert.counts.suppressed;
  alert.counts = a.counts;
  alert.counts.suppressed = suppressed;
  alert.counts.distinct_keys = a.distinct.Count();
  // Objects that left are the evidence when there are any; otherwise the names a listing gave
  // away.
  const auto& samples = a.read_samples.empty() ? a.listed_samples : a.read_samples;
  alert.sample_keys.assign(samples.begin(), samples.begin() + std::min(samples.size(), sample_cap));
  alert.user_agent = a.user_agent;
  alert.server_name = a.server_name;
  alert.community_id = a.community_id;
}

std::string RuleKey(Rule rule, const std::string& client, Provider p, const std::string& account,
                    const std::string& bucket) {
  std::string k = RuleName(rule);
  if (!client.empty()) k += "/" + client;
  k += "/" + std::string(storage::ProviderName(p)) + "/" + account + "/" + bucket;
  return k;
}

}  // namespace

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
  {
    std::lock_guard<std::mutex> lock(mutex_);
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
    size_t distinct_cap = cfg.max_distinct;
    bool success = ev.outcome == Outcome::kSuccess;
    bool anonymous = ev.auth_class == AuthClass::kAnonymous;
    std::string client = ctx.client_ip.ToString();

    // Stored and keyed by bounded names; the allowlist still matches the names as sent.
    const std::string account = BoundedName(ev.account);
    const std::string bucket = BoundedName(ev.bucket);
    Activity& a = s.Touch(ctx.client_ip, ev.provider, account, bucket, ts);
    a.server_ip = ctx.server_ip.ToString();
    a.server_port = ctx.server_port;
    if (!ctx.community_id.empty()) a.community_id = ctx.community_id;
    if (!ctx.user_agent.empty()) a.user_agent = Bounded(ctx.user_agent, kMaxUserAgentBytes);
    if (!ctx.sni.empty()) a.server_name = Bounded(ctx.sni, kMaxServerNameBytes);
    a.auth_classes |= static_cast<uint8_t>(1u << static_cast<uint8_t>(ev.auth_class));
    a.counts.requests += 1;
    if (ev.outcome == Outcome::kDenied) a.counts.denied += 1;
    if (ev.outcome == Outcome::kNotFound) a.counts.not_found += 1;
    CountOperation(a.operations, ev.operation, 1);
    bool is_list = ev.kind == OperationKind::kList || ev.kind == OperationKind::kListBuckets;
    if (is_list && success) {
      a.counts.pages += 1;
      if (ev.list_keys > 0) a.counts.listed_keys += static_cast<uint64_t>(ev.list_keys);
      for (const auto& k : ev.sample_keys) AddSample(a.listed_samples, k, sample_cap);
    }
    bool is_read = ev.kind == OperationKind::kRead && success;
    if (is_read) {
      a.counts.objects += 1;
      a.counts.bytes += ev.response_bytes;
      if (!ev.key.empty()) {
        a.distinct.Add(ev.key, distinct_cap, s.distinct_entries, cfg.max_distinct_total);
        AddSample(a.read_samples, ev.key, sample_cap);
      }
      AddToRing(a.reads, SlotIndex(ts, s.bulk_slot_ns), 1, ev.response_bytes);
    }
    s.activities.Recharge(a, OwnBytes(a));

    auto make_alert = [&](Rule rule, Severity severity, const std::string& key, uint64_t carried) {
      if (crawler) {
        severity = Lower(severity);
        Counters::Inc(c.crawler_downgraded);
      }
      Alert alert = BaseAlert(rule, severity, ts, key, carried);
      alert.downgraded = crawler;
      FillFromActivity(alert, a, sample_cap);
      return alert;
    };
    auto publish = [&](Rule rule, Alert alert) {
      Counters::Inc(c.alerts[static_cast<size_t>(rule)][static_cast<size_t>(alert.severity)]);
      alerts.push_back(std::move(alert));
    };

    // bucket_enumeration: every bucket name the client addressed, whatever the answer.
    if (cfg.bucket_enumeration.enabled && (!ev.bucket.empty() || !ev.account.empty())) {
      std::string name = BucketUrl(ev.provider, account, bucket);
      ClientProbes& p = s.Probe(ctx.client_ip, ev.provider, name, ts, !IsFailure(ev.outcome));
      p.counts.requests += 1;
      if (ev.outcome == Outcome::kDenied) p.counts.denied += 1;
      if (ev.outcome == Outcome::kNotFound) p.counts.not_found += 1;
      CountOperation(p.operations, ev.operation, 1);
      p.server_ip = ctx.server_ip.ToString();
      p.server_port = ctx.server_port;
      if (!ctx.user_agent.empty()) p.user_agent = Bounded(ctx.user_agent, kMaxUserAgentBytes);
      if (!ctx.community_id.empty()) p.community_id = ctx.community_id;
      s.clients.Recharge(p, OwnBytes(p));
      std::string requests = std::to_string(p.counts.requests) + " requests";
      if (auto alert = EnumerationAlert(s, c, p, client, ts, sample_cap, crawler,
                                        storage::AuthClassName(ev.auth_class), requests)) {
        publish(Rule::kBucketEnumeration, std::move(*alert));
      }
    }

    bool public_bucket = false;
    if (anonymous && success && (is_list || is_read)) {
      public_bucket =
          s.allowlist.PublicBucket(storage::ProviderName(ev.provider), ev.account, ev.bucket);
      if (public_bucket) Counters::Inc(c.allowlisted_public_bucket);
    }

    // anonymous_list: the first successful anonymous listing raises the alarm at once.
    if (cfg.anonymous_list.enabled && anonymous && success && is_list && !public_bucket) {
      Counters::Inc(c.evaluated[static_cast<size_t>(Rule::kAnonymousList)]);
      std::string key = RuleKey(Rule::kAnonymousList, client, ev.provider, account, bucket);
      uint64_t carried = 0;
      if (s.Dedup(key, ts, cfg.anonymous_list.dedup_window, carried,
                  c.suppressed[static_cast<size_t>(Rule::kAnonymousList)])) {
        Alert alert =
            make_alert(Rule::kAnonymousList, cfg.anonymous_list.severity, key, carried);
        alert.auth_class = std::string(storage::AuthClassName(AuthClass::kAnonymous));
        alert.summary = "anonymous " + ev.operation + " of " +
                        BucketUrl(ev.provider, account, bucket) + " from " + client +
                        " succeeded (" + Plural(a.counts.pages, "page", "pages") + ", " +
                        Plural(a.counts.listed_keys, "key", "keys") + ")";
        publish(Rule::kAnonymousList, std::move(alert));
      }
    }

    // anonymous_read: object data of a non-public bucket served without credentials.
    if (cfg.anonymous_read.enabled && anonymous && is_read && !public_bucket) {
      Counters::Inc(c.evaluated[static_cast<size_t>(Rule::kAnonymousRead)]);
      std::string key = RuleKey(Rule::kAnonymousRead, "", ev.provider, account, bucket);
      uint64_t carried = 0;
      if (s.Dedup(key, ts, cfg.anonymous_read.dedup_window, carried,
                  c.suppressed[static_cast<size_t>(Rule::kAnonymousRead)])) {
        Alert alert =
            make_alert(Rule::kAnonymousRead, cfg.anonymous_read.severity, key, carried);
        alert.auth_class = std::string(storage::AuthClassName(AuthClass::kAnonymous));
        alert.summary = "anonymous " + ev.operation + " of " +
                        BucketUrl(ev.provider, account, bucket) +
                        (ev.key.empty() ? "" : "/" + ev.key) + " served to " + client +
                        " without credentials (" + Plural(a.counts.objects, "object", "objects") +
                        ", " + HumanBytes(a.counts.bytes) + ")";
        publish(Rule::kAnonymousRead, std::move(alert));
      }
    }

    // bulk_exfiltration: any auth; the window sums object reads and bytes served.
    if (cfg.bulk_exfiltration.enabled && is_read) {
      const auto& rc = cfg.bulk_exfiltration;
      uint64_t objects = 0, bytes = 0;
      SumRing(a.reads, SlotIndex(ts, s.bulk_slot_ns), objects, bytes);
      if (objects >= rc.min_objects || bytes >= rc.min_bytes) {
        Counters::Inc(c.evaluated[static_cast<size_t>(Rule::kBulkExfiltration)]);
        std::string key = RuleKey(Rule::kBulkExfiltration, client, ev.provider, account, bucket);
        uint64_t carried = 0;
        if (s.Dedup(key, ts, rc.dedup_window, carried,
                    c.suppressed[static_cast<size_t>(Rule::kBulkExfiltration)])) {
          Alert alert = make_alert(Rule::kBulkExfiltration, rc.severity, key, carried);
          alert.summary = client + " read " + Plural(objects, "object", "objects") + " (" +
                          HumanBytes(bytes) + ") from " + BucketUrl(ev.provider, account, bucket) +
                          " within " + HumanWindow(rc.window) + " (" + alert.auth_class + ")";
          publish(Rule::kBulkExfiltration, std::move(alert));
        }
      }
    }
    s.EnforceBudget();
    PublishGauges(s);
  }
  if (!alerts.empty()) Deliver(alerts);
}

void DetectionEngine::OnEncryptedFlow(const event::EncryptedFlowSummary& f) {
  Counters& c = *counters_;
  Counters::Inc(c.encrypted_summaries);
  std::vector<Alert> alerts;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    State& s = *state_;
    const auto& cfg = s.config;
    if (!cfg.enabled) return;
    if (s.allowlist.TrustedClient(f.client_ip)) {
      Counters::Inc(c.allowlisted_cidr);
      return;
    }
    ServerNameTarget target;
    if (!TargetFromServerName(f.server_name, target)) {
      Counters::Inc(c.encrypted_not_storage);
      return;
    }
    target.account = BoundedName(target.account);
    target.bucket = BoundedName(target.bucket);
    const std::string server_name = Bounded(f.server_name, kMaxServerNameBytes);
    TimestampNs ts = f.last_ts > 0 ? f.last_ts : f.first_ts;
    s.AdvanceTo(ts);
    std::string client = f.client_ip.ToString();
    size_t sample_cap = cfg.sample_keys;

    // Differences from the previous summary of this flow (totals only grow).
    std::string fkey = FlowKey(f);
    FlowTotals* prev = s.flows.Find(fkey);
    bool first = prev == nullptr;
    if (first) {
      prev = &s.flows.Insert(fkey, FlowTotals{}, cfg.max_encrypted_flows, s.evicted_flows);
    }
    uint64_t turns = f.turns > prev->turns ? f.turns - prev->turns : 0;
    uint64_t bytes =
        f.bytes_to_client > prev->bytes_to_client ? f.bytes_to_client - prev->bytes_to_client : 0;
    prev->turns = std::max(prev->turns, f.turns);
    prev->bytes_to_client = std::max(prev->bytes_to_client, f.bytes_to_client);
    prev->last_ts = std::max(prev->last_ts, ts);
    if (f.final) s.flows.Erase(fkey);

    Activity& a = s.Touch(f.client_ip, target.provider, target.account, target.bucket,
                          f.first_ts > 0 ? std::min(f.first_ts, ts) : ts);
    a.last_seen = std::max(a.last_seen, ts);
    a.server_ip = f.server_ip.ToString();
    a.server_port = f.server_port;
    a.server_name = server_name;
    if (!f.community_id.empty()) a.community_id = f.community_id;
    a.encrypted = true;
    a.auth_classes |= static_cast<uint8_t>(1u << static_cast<uint8_t>(AuthClass::kUnknown));
    a.counts.requests += turns;
    a.counts.objects += turns;
    a.counts.bytes += bytes;
    if (turns || bytes) AddToRing(a.reads, SlotIndex(ts, s.bulk_slot_ns), turns, bytes);
    s.activities.Recharge(a, OwnBytes(a));

    auto publish = [&](Rule rule, Alert alert) {
      Counters::Inc(c.alerts[static_cast<size_t>(rule)][static_cast<size_t>(alert.severity)]);
      alerts.push_back(std::move(alert));
    };

    // A TLS connection to a bucket's name is a probe of that name: its answer is not visible,
    // so it counts as unresolved towards the failure ratio.
    if (first && cfg.bucket_enumeration.enabled) {
      std::string name = BucketUrl(target.provider, target.account, target.bucket);
      ClientProbes& p = s.Probe(f.client_ip, target.provider, name, ts, false);
      p.counts.requests += 1;
      p.encrypted = true;
      p.server_ip = f.server_ip.ToString();
      p.server_port = f.server_port;
      p.server_name = server_name;
      if (!f.community_id.empty()) p.community_id = f.community_id;
      s.clients.Recharge(p, OwnBytes(p));
      if (auto alert = EnumerationAlert(s, c, p, client, ts, sample_cap, false,
                                        storage::AuthClassName(AuthClass::kUnknown),
                                        "TLS server names")) {
        publish(Rule::kBucketEnumeration, std::move(*alert));
      }
    }

    if (cfg.bulk_exfiltration.enabled && (turns || bytes)) {
      const auto& rc = cfg.bulk_exfiltration;
      uint64_t objects = 0, window_bytes = 0;
      SumRing(a.reads, SlotIndex(ts, s.bulk_slot_ns), objects, window_bytes);
      if (objects >= rc.min_objects || window_bytes >= rc.min_bytes) {
        Counters::Inc(c.evaluated[static_cast<size_t>(Rule::kBulkExfiltration)]);
        std::string key = RuleKey(Rule::kBulkExfiltration, client, target.provider, target.account,
                                  target.bucket);
        uint64_t carried = 0;
        if (s.Dedup(key, ts, rc.dedup_window, carried,
                    c.suppressed[static_cast<size_t>(Rule::kBulkExfiltration)])) {
          Alert alert =
              BaseAlert(Rule::kBulkExfiltration, rc.severity, ts, key, carried);
          FillFromActivity(alert, a, sample_cap);
          alert.encrypted = true;
          alert.summary = client + " read " + Plural(objects, "object", "objects") + " (" +
                          HumanBytes(window_bytes) + ") from " +
                          BucketUrl(target.provider, target.account, target.bucket) + " within " +
                          HumanWindow(rc.window) + " over TLS (" + server_name +
                          "; objects counted as request/response turns)";
          publish(Rule::kBulkExfiltration, std::move(alert));
        }
      }
    }
    s.EnforceBudget();
    PublishGauges(s);
  }
  if (!alerts.empty()) Deliver(alerts);
}

void DetectionEngine::Advance(TimestampNs now) {
  std::lock_guard<std::mutex> lock(mutex_);
  state_->AdvanceTo(now);
  PublishGauges(*state_);
}

void DetectionEngine::Reconfigure(const config::DetectionConfig& config) {
  std::lock_guard<std::mutex> lock(mutex_);
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
  return s;
}

}  // namespace bw::detect
