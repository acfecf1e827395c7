#include "sensor/correlate/correlator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

#include "sensor/correlate/ledger_query.h"

namespace bw::correlate {

namespace {

// Malformed rows are logged one by one up to this many per run, then only counted.
constexpr uint64_t kRowErrorsLogged = 10;

}  // namespace

config::DetectionConfig FleetRules(const config::DetectionConfig& detection) {
  config::DetectionConfig fleet = detection;
  fleet.anonymous_list.enabled = false;
  fleet.anonymous_read.enabled = false;
  // Each sensor keeps its own set of buckets seen exposed and fires on the first anonymous
  // success it sees; the fleet would only repeat that alert under another observer.
  fleet.new_public_exposure.enabled = false;
  return fleet;
}

Correlator::Correlator(const CorrelatorOptions& options, const config::DetectionConfig& detection,
                       CorrelatorTargets targets)
    : options_(options),
      detection_(FleetRules(detection)),
      targets_(targets),
      engine_(detection_, *this) {
  options_.page_rows = std::max<uint64_t>(1, options_.page_rows);
  options_.slice = std::max<TimestampNs>(kNsPerSecond, options_.slice);
}

Correlator::~Correlator() = default;

void Correlator::Restore(const state::ParseResult& saved) {
  engine_.RestoreDedup(saved.state.dedup);
  engine_.RestoreWindows(saved.state.windows);
  if (saved.ledger_cursor.set) {
    cursor_ = saved.ledger_cursor;
    clock_ = cursor_.ts_ns;
  }
}

void Correlator::StartAt(TimestampNs ts) {
  if (cursor_.set) return;
  cursor_ = state::LedgerCursor{true, std::max<TimestampNs>(ts, 0), ""};
}

bool Correlator::Run(TimestampNs before, const std::atomic<bool>& stop, std::string& error) {
  if (!cursor_.set) StartAt(0);
  while (cursor_.ts_ns < before) {
    if (stop.load(std::memory_order_relaxed)) return true;
    const TimestampNs slice_end =
        before - cursor_.ts_ns > options_.slice ? cursor_.ts_ns + options_.slice : before;
    page_.clear();
    // The reading order's position of the last row returned, readable or not: a malformed row
    // is passed over, never read again.
    TimestampNs last_ts = 0;
    std::string last_sha;
    uint64_t returned = 0;
    std::string row_error;
    clickhouse::Result r =
        targets_.client->Query(PageQuery(options_.table, cursor_, slice_end, options_.page_rows),
                               [&](std::string_view text) {
                                 ++returned;
                                 LedgerRow row;
                                 bool ok = ReadLedgerRow(text, row, row_error);
                                 last_ts = row.ts_ns;
                                 last_sha = row.line_sha256;
                                 if (ok) {
                                   page_.push_back(std::move(row));
                                 } else {
                                   if (counters_.rows_skipped < kRowErrorsLogged) {
                                     spdlog::warn("ledger row skipped: {}", row_error);
                                   }
                                   ++counters_.rows_skipped;
                                 }
                                 return !stop.load(std::memory_order_relaxed);
                               });
    if (stop.load(std::memory_order_relaxed)) return true;  // the page is dropped unfed
    if (!r.ok) {
      error = clickhouse::DisplayName(targets_.client->endpoint()) + ": " + r.error;
      return false;
    }
    const bool slice_done = returned < options_.page_rows;
    if (!slice_done && (last_sha.size() != 64 || last_ts < cursor_.ts_ns)) {
      error = "a ledger row without ts_ns or line_sha256 ends a full page; cannot read past it";
      return false;
    }
    for (const LedgerRow& row : page_) {
      engine_.OnStorageEvent(row.request.ctx, row.request.event);
      clock_ = std::max(clock_, row.request.ctx.end_ts);
    }
    counters_.rows += page_.size();
    ++counters_.pages;
    if (slice_done) {
      TimestampNs next = slice_end;
      if (returned == 0 && slice_end < before && !NextRow(slice_end, before, next, error)) {
        return false;
      }
      cursor_ = state::LedgerCursor{true, next, ""};
      if (next > clock_) {
        clock_ = next;
        engine_.Advance(next);
      }
    } else {
      cursor_ = state::LedgerCursor{true, last_ts, last_sha};
    }
    Publish();
    SaveState();
  }
  return true;
}

bool Correlator::NextRow(TimestampNs from, TimestampNs before, TimestampNs& next,
                         std::string& error) {
  next = before;
  std::string bad;
  clickhouse::Result r = targets_.client->Query(
      NextRowQuery(options_.table, from, before), [&](std::string_view text) {
        auto row = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        auto it = row.is_object() ? row.find("ts_ns") : row.end();
        uint64_t ts = 0;
        if (it != row.end() && it->is_number_unsigned()) {
          ts = it->get<uint64_t>();
        } else if (it != row.end() && it->is_string()) {
          const std::string& s = it->get_ref<const std::string&>();
          auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), ts);
          if (ec != std::errc() || p != s.data() + s.size()) ts = 0;
        }
        // Only a time inside [from, before) moves the cursor forward without skipping a row.
        if (ts >= static_cast<uint64_t>(from) && ts < static_cast<uint64_t>(before)) {
          next = static_cast<TimestampNs>(ts);
        } else {
          bad = std::string(text.substr(0, 200));
        }
        return true;
      });
  if (!r.ok) {
    error = clickhouse::DisplayName(targets_.client->endpoint()) + ": " + r.error;
    return false;
  }
  if (!bad.empty()) {
    error = "unexpected answer to the next row's time: " + bad;
    return false;
  }
  return true;
}

void Correlator::OnAlert(const detect::Alert& alert) { pending_.push_back(alert); }

void Correlator::Attribute(detect::Alert& alert) {
  const TimestampNs window = alert.rule == detect::Rule::kBucketEnumeration
                                 ? detection_.bucket_enumeration.window
                                 : detection_.bulk_exfiltration.window;
  std::vector<std::string> names;
  clickhouse::Result r = targets_.client->Query(
      SensorsQuery(options_.table, alert, window, options_.max_sensors),
      [&](std::string_view text) {
        auto row = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        auto it = row.is_object() ? row.find("observer_name") : row.end();
        if (it != row.end() && it->is_string() &&
            event::ValidObserverName(it->get_ref<const std::string&>())) {
          names.push_back(it->get<std::string>());
        }
        return true;
      });
  if (!r.ok) {
    ++counters_.alerts_unattributed;
    spdlog::warn("{} alert for {} sent without its sensors: {}", detect::RuleName(alert.rule),
                 alert.source_ip, r.error);
    return;
  }
  std::sort(names.begin(), names.end());
  alert.sensors = std::move(names);
}

void Correlator::Publish() {
  if (pending_.empty()) return;
  std::vector<std::string> jsons;
  jsons.reserve(pending_.size());
  const event::Observer* observer = options_.observer.empty() ? nullptr : &options_.observer;
  for (detect::Alert& alert : pending_) {
    if (targets_.client) Attribute(alert);
    jsons.push_back(alert.ToJson(observer));
  }
  counters_.alerts += pending_.size();
  pending_.clear();
  // The spool first, as the sensor's output stage: an alert in the file is always in the spool.
  if (targets_.dispatcher) targets_.dispatcher->SubmitBatch(jsons);
  if (targets_.alerts && targets_.alerts->is_open()) {
    for (const std::string& json : jsons) targets_.alerts->Write(json);
  }
}

void Correlator::SaveState() {
  if (!targets_.state) return;
  state::LearnedState learned;
  learned.dedup = engine_.ExportDedup();
  learned.windows = engine_.ExportWindows(targets_.state->max_bytes() / 2);
  std::string error;
  if (targets_.state->Save(state::Serialise(learned, clock_, &cursor_), error)) {
    ++counters_.state_saves;
    state_error_logged_ = false;
    return;
  }
  ++counters_.state_save_errors;
  if (!state_error_logged_) {
    spdlog::error("state: {} (a restart now would read the ledger again from an older cursor)",
                  error);
    state_error_logged_ = true;
  }
}

}  // namespace bw::correlate
