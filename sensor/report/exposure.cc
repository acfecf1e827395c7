#include "sensor/report/exposure.h"

#include <algorithm>

namespace bw::report {

namespace {
// Fine enough for a burst of a few seconds; re-binning coarsens it for longer spans.
constexpr TimestampNs kFirstBinWidth = kNsPerSecond / 1000;

void Touch(TimestampNs ts, TimestampNs& first, TimestampNs& last, bool seen) {
  if (!seen || ts < first) first = ts;
  if (!seen || ts > last) last = ts;
}
}  // namespace

void OutcomeCounts::Add(const std::string& outcome) {
  ++requests;
  if (outcome == "success") {
    ++success;
  } else if (outcome == "denied") {
    ++denied;
  } else if (outcome == "not_found") {
    ++not_found;
  } else if (outcome == "error") {
    ++error;
  } else {
    ++no_response;
  }
}

std::string BucketKey(const std::string& provider, const std::string& account,
                      const std::string& bucket) {
  return provider + "/" + account + "/" + bucket;
}

std::vector<const ClientStats*> BucketReport::SortedClients() const {
  std::vector<const ClientStats*> out;
  out.reserve(clients.size());
  for (const auto& [k, c] : clients) out.push_back(&c);
  std::sort(out.begin(), out.end(), [](const ClientStats* a, const ClientStats* b) {
    if (a->requests != b->requests) return a->requests > b->requests;
    if (a->ip != b->ip) return a->ip < b->ip;
    return a->user_agent < b->user_agent;
  });
  return out;
}

ExposureAggregator::ExposureAggregator(ExposureLimits limits)
    : limits_(std::move(limits)), objects_(limits_.objects_in_memory, limits_.temp_dir) {}

bool ExposureAggregator::Add(const LedgerEntry& e) {
  ++counters_.entries;
  std::string id = BucketKey(e.provider, e.account, e.bucket);
  auto it = buckets_.find(id);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_buckets) {
      ++counters_.buckets_overflow;
      return true;
    }
    BucketReport b;
    b.id = id;
    b.provider = e.provider;
    b.account = e.account;
    b.bucket = e.bucket;
    b.bin_width = kFirstBinWidth;
    it = buckets_.emplace(id, std::move(b)).first;
  }
  BucketReport& b = it->second;
  AddTimeline(b, e);

  if (!e.anonymous()) {
    AuthenticatedStats& a = b.authenticated;
    Touch(e.ts, a.first, a.last, a.outcomes.requests > 0);
    a.outcomes.Add(e.outcome);
    if (e.success()) a.bytes += e.ObjectBytes();
    ++a.by_class[e.auth_class.empty() ? "unknown" : e.auth_class];
    if (!e.access_key_id.empty()) {
      if (a.access_key_ids.size() < limits_.max_access_keys ||
          a.access_key_ids.count(e.access_key_id)) {
        a.access_key_ids.insert(e.access_key_id);
      } else {
        a.access_keys_truncated = true;
      }
    }
    return true;
  }

  b.anonymous.Add(e.outcome);
  if (e.success()) Touch(e.ts, b.exposure_first, b.exposure_last, b.anonymous.success > 1);
  auto op = b.anon_operations.find(e.operation);
  if (op == b.anon_operations.end() &&
      b.anon_operations.size() < limits_.max_operations_per_bucket) {
    op = b.anon_operations.emplace(e.operation, OutcomeCounts{}).first;
  }
  if (op != b.anon_operations.end()) {
    op->second.Add(e.outcome);
  } else {
    ++b.operations_overflow;
  }
  AddClient(b, e);

  if (e.denied()) {
    if (b.denied_rows.size() < limits_.max_denied_rows &&
        denied_rows_total_ < limits_.max_denied_rows_total) {
      ++denied_rows_total_;
      b.denied_rows.push_back(
          {e.ts, e.client_ip, e.user_agent, e.operation, e.key, e.status, e.error_code});
    } else {
      ++b.denied_overflow;
    }
  }
  if (!e.success()) return true;

  if (e.listing()) {
    ++b.listing_pages;
    b.listed_keys += static_cast<uint64_t>(e.list_keys);
    if (e.list_truncated) ++b.truncated_pages;
    if (b.listings.size() < limits_.max_listing_rows &&
        listing_rows_total_ < limits_.max_listing_rows_total) {
      ++listing_rows_total_;
      b.listings.push_back({e.ts, e.client_ip, e.user_agent, e.operation, e.url_query, e.list_keys,
                            e.list_truncated});
    } else {
      ++b.listings_overflow;
    }
    for (const auto& k : e.sample_keys) {
      if (b.sample_keys.count(k)) continue;
      if (b.sample_keys.size() < limits_.max_sample_keys &&
          sample_keys_total_ < limits_.max_sample_keys_total) {
        ++sample_keys_total_;
        b.sample_keys.insert(k);
      } else {
        b.sample_keys_truncated = true;
      }
    }
  }
  if (e.ObjectRead()) {
    ++b.object_reads;
    b.object_read_bytes += e.ObjectBytes();
    if (e.PartialRead()) ++b.range_reads;
    if (!objects_.Add(b.id, e.key, e.ts, e.client_ip, e.ObjectBytes(), e.PartialRead())) {
      error_ = objects_.error();
      return false;
    }
  }
  return true;
}

void ExposureAggregator::AddClient(BucketReport& b, const LedgerEntry& e) {
  std::string id = e.client_ip + "\t" + e.user_agent;
  auto it = b.clients.find(id);
  ClientStats* c;
  if (it != b.clients.end()) {
    c = &it->second;
  } else if (b.clients.size() < limits_.max_clients_per_bucket &&
             clients_total_ < limits_.max_clients_total) {
    ++clients_total_;
    ClientStats fresh;
    fresh.ip = e.client_ip;
    fresh.user_agent = e.user_agent;
    c = &b.clients.emplace(std::move(id), std::move(fresh)).first->second;
  } else {
    ++b.clients_overflow;
    c = &b.other_clients;
  }
  Touch(e.ts, c->first, c->last, c->requests > 0);
  ++c->requests;
  if (e.success()) {
    ++c->successes;
    c->bytes += e.ObjectBytes();
    if (e.listing()) ++c->listings;
    if (e.ObjectRead()) ++c->reads;
  }
  if (e.denied()) ++c->denied;
}

void ExposureAggregator::AddTimeline(BucketReport& b, const LedgerEntry& e) {
  int64_t index = e.ts / b.bin_width;
  TimelineBin& bin = b.timeline[index];
  if (e.anonymous()) {
    ++bin.anon_requests;
    if (e.success()) {
      ++bin.anon_success;
      bin.anon_bytes += e.ObjectBytes();
    }
  } else {
    ++bin.auth_requests;
  }
  // The span, not just the bins in use, must fit: it is what the chart draws. Double the
  // width (merging neighbours) until it does.
  auto span = [&b] {
    return static_cast<uint64_t>(b.timeline.rbegin()->first - b.timeline.begin()->first) + 1;
  };
  while (span() > limits_.max_timeline_bins) {
    std::map<int64_t, TimelineBin> coarser;
    for (const auto& [i, v] : b.timeline) {
      TimelineBin& t = coarser[i >= 0 ? i / 2 : (i - 1) / 2];
      t.anon_requests += v.anon_requests;
      t.anon_success += v.anon_success;
      t.anon_bytes += v.anon_bytes;
      t.auth_requests += v.auth_requests;
    }
    b.timeline = std::move(coarser);
    b.bin_width *= 2;
  }
}

bool ExposureAggregator::Finish() {
  if (!objects_.Finish()) {
    error_ = objects_.error();
    return false;
  }
  return true;
}

}  // namespace bw::report
