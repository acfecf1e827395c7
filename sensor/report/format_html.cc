// The shareable format: one self-contained HTML file (inline CSS, inline SVG
// charts, a few lines of inline JavaScript for sorting; nothing is fetched).
// Every value from the ledger is HTML-escaped: key names and user agents are
// attacker-chosen.
#include <algorithm>
#include <cstdio>
#include <ostream>

#include "sensor/common/human_bytes.h"
#include "sensor/report/report_format.h"

namespace bw::report {

namespace {

std::string Esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Num(uint64_t v) { return std::to_string(v); }

// A cell sorted by a number: the text shown and the value sorted on.
std::string NumCell(uint64_t v, const std::string& shown) {
  return "<td class=n data-v=\"" + Num(v) + "\">" + Esc(shown) + "</td>";
}
std::string NumCell(uint64_t v) { return NumCell(v, Num(v)); }
std::string TextCell(const std::string& s) { return "<td>" + Esc(s) + "</td>"; }
std::string TimeCell(TimestampNs ts) {
  return "<td data-v=\"" + std::to_string(ts) + "\">" + Esc(TimeText(ts)) + "</td>";
}

constexpr char kStyle[] = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
main{display:flex;flex-direction:column;max-width:1200px;margin:0 auto;padding:16px}
header{order:-2}#summary{order:-1}
section{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:12px 16px;margin:8px 0}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:4px 0}h3{font-size:15px;margin:14px 0 4px}
.exposed,.safe{color:#fff;font-size:12px;font-weight:600;padding:1px 6px;border-radius:4px;
 vertical-align:middle;white-space:nowrap}
.exposed{background:#b42318}.safe{background:#067647}
table{border-collapse:collapse;width:100%;margin:4px 0;font-size:13px}
th,td{border-bottom:1px solid #e4e7ec;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef1f5;cursor:pointer;user-select:none;position:sticky;top:0}
th.asc::after{content:" \25B2"}th.desc::after{content:" \25BC"}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td{overflow-wrap:anywhere}.note{color:#667085;font-size:12px}
svg text{font:11px system-ui,sans-serif;fill:#475467}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:4px 0}dt{color:#667085}
)";

constexpr char kScript[] = R"(
document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
  var asc=!th.classList.contains('asc');
  t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc')});
  th.classList.add(asc?'asc':'desc');
  var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
  rows.sort(function(a,b){
   var x=a.cells[i],y=b.cells[i];
   var xv=x.hasAttribute('data-v')?Number(x.getAttribute('data-v')):x.textContent;
   var yv=y.hasAttribute('data-v')?Number(y.getAttribute('data-v')):y.textContent;
   var c=(typeof xv==='number')?xv-yv:String(xv).localeCompare(String(yv));
   return asc?c:-c;});
  rows.forEach(function(r){body.appendChild(r)});});});});
)";

class HtmlFormatter : public ReportFormatter {
 public:
  explicit HtmlFormatter(std::ostream& out) : out_(out) {}

  void Begin(const ReportMeta& m) override {
    max_rows_ = m.html_object_rows;
    out_ << "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            "<meta http-equiv=\"Content-Security-Policy\" "
            "content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
            "<title>bucketwatch exposure report</title><style>"
         << kStyle << "</style></head><body><main>\n<header><h1>Anonymous object storage "
         << "exposure report</h1><p class=note>Generated " << Esc(TimeText(m.generated_at))
         << " by bucketwatch from ";
    for (size_t i = 0; i < m.ledgers.size(); ++i) {
      out_ << (i ? ", " : "") << "<code>" << Esc(m.ledgers[i]) << "</code>";
    }
    out_ << ".";
    if (m.since || m.until) {
      out_ << " Period: " << Esc(m.since ? TimeText(*m.since) : "start") << " .. "
           << Esc(m.until ? TimeText(*m.until) : "end") << ".";
    }
    if (!m.bucket_pattern.empty())
      out_ << " Buckets matching <code>" << Esc(m.bucket_pattern) << "</code>.";
    out_ << "</p></header>\n";
  }

  void BeginBucket(const BucketReport& b) override {
    ++index_;
    const OutcomeCounts& a = b.anonymous;
    out_ << "<section class=bucket id=bucket-" << index_ << "><h2>" << Esc(BucketDisplayName(b))
         << " <span class=" << (b.exposed() ? "exposed>EXPOSED" : "safe>not exposed")
         << "</span></h2><dl>";
    out_ << "<dt>Provider</dt><dd>" << Esc(b.provider) << "</dd>";
    if (!b.account.empty()) out_ << "<dt>Account</dt><dd>" << Esc(b.account) << "</dd>";
    out_ << "<dt>Bucket</dt><dd>" << Esc(b.bucket.empty() ? "(account level)" : b.bucket)
         << "</dd>";
    if (b.exposed()) {
      out_ << "<dt>Exposure window</dt><dd>" << Esc(TimeText(b.exposure_first)) << " .. "
           << Esc(TimeText(b.exposure_last)) << "</dd>";
    }
    out_ << "<dt>Anonymous requests</dt><dd>" << a.requests << " (success " << a.success
         << ", denied " << a.denied << ", not found " << a.not_found << ", error " << a.error
         << ", no response " << a.no_response << ")</dd>";
    out_ << "<dt>Listings</dt><dd>" << b.listing_pages << " pages disclosed " << b.listed_keys
         << " key names</dd>";
    out_ << "<dt>Object reads</dt><dd>" << b.object_reads << " ("
         << Esc(common::HumanBytes(b.object_read_bytes)) << ", " << b.range_reads
         << " ranged)</dd>";
    out_ << "</dl>\n";
    Chart(b);

    out_ << "<h3>Anonymous operations</h3><table "
            "class=sortable><thead><tr><th>Operation</th>"
            "<th>Requests</th><th>Success</th><th>Denied</th><th>Not "
            "found</th><th>Error</th>"
            "<th>No response</th></tr></thead><tbody>";
    for (const auto& [op, c] : b.anon_operations) {
      out_ << "<tr>" << TextCell(op) << NumCell(c.requests) << NumCell(c.success)
           << NumCell(c.denied) << NumCell(c.not_found) << NumCell(c.error)
           << NumCell(c.no_response) << "</tr>";
    }
    out_ << "</tbody></table>";
    if (b.operations_overflow) {
      out_ << "<p class=note>" << b.operations_overflow << " requests of further operations.</p>";
    }

    out_ << "<h3>Clients that listed or read it</h3><table "
            "class=sortable><thead><tr>"
            "<th>Client</th><th>User "
            "agent</th><th>Requests</th><th>Listings</th><th>Reads</th>"
            "<th>Denied</th><th>Bytes</th><th>First</th><th>Last</th></tr></"
            "thead><tbody>";
    for (const ClientStats* c : b.SortedClients()) ClientRow(*c);
    if (b.clients_overflow) ClientRow(b.other_clients);
    out_ << "</tbody></table>";

    if (b.listing_pages) {
      out_ << "<h3>Listings that disclosed key names</h3><table "
              "class=sortable><thead><tr>"
              "<th>Time</th><th>Client</th><th>Operation</th><th>Query</"
              "th><th>Keys</th>"
              "<th>More pages</th></tr></thead><tbody>";
      for (const auto& l : b.listings) {
        out_ << "<tr>" << TimeCell(l.ts) << TextCell(l.ip) << TextCell(l.operation)
             << TextCell(l.query) << NumCell(static_cast<uint64_t>(l.keys))
             << TextCell(l.truncated ? "yes" : "no") << "</tr>";
      }
      out_ << "</tbody></table>";
      if (b.listings_overflow) {
        out_ << "<p class=note>" << b.listings_overflow << " more pages not listed.</p>";
      }
      if (!b.sample_keys.empty()) {
        out_ << "<p>Key names seen in listings: ";
        bool first = true;
        for (const auto& k : b.sample_keys) {
          out_ << (first ? "" : ", ") << "<code>" << Esc(k) << "</code>";
          first = false;
        }
        out_ << (b.sample_keys_truncated ? ", ..." : "") << "</p>";
      }
    }

    if (!b.denied_rows.empty()) {
      out_ << "<h3>Denied anonymous attempts</h3><table "
              "class=sortable><thead><tr><th>Time</th>"
              "<th>Client</th><th>Operation</th><th>Key</th><th>Status</"
              "th><th>Error</th></tr>"
              "</thead><tbody>";
      for (const auto& d : b.denied_rows) {
        out_ << "<tr>" << TimeCell(d.ts) << TextCell(d.ip) << TextCell(d.operation)
             << TextCell(d.key) << NumCell(d.status) << TextCell(d.error_code) << "</tr>";
      }
      out_ << "</tbody></table>";
      if (b.denied_overflow) out_ << "<p class=note>" << b.denied_overflow << " more.</p>";
    }

    const AuthenticatedStats& au = b.authenticated;
    out_ << "<h3>Authenticated traffic (for contrast)</h3><p>";
    if (au.outcomes.requests == 0) {
      out_ << "None in the period.";
    } else {
      out_ << au.outcomes.requests << " requests (success " << au.outcomes.success << ", denied "
           << au.outcomes.denied << "), " << Esc(common::HumanBytes(au.bytes)) << ", "
           << Esc(TimeText(au.first)) << " .. " << Esc(TimeText(au.last)) << ". By class:";
      for (const auto& [cls, n] : au.by_class) out_ << " " << Esc(cls) << " " << n;
      if (!au.access_key_ids.empty()) {
        out_ << ". Access keys:";
        for (const auto& k : au.access_key_ids) out_ << " <code>" << Esc(k) << "</code>";
        if (au.access_keys_truncated) out_ << " ...";
      }
      out_ << ".";
    }
    out_ << "</p>\n";
    rows_ = 0;
    table_open_ = false;
  }

  void Object(const BucketReport&, const ObjectRow& r) override {
    if (!table_open_) {
      out_ << "<h3>Objects read anonymously</h3><table class=\"sortable "
              "objects\"><thead><tr>"
              "<th>Key</th><th>First read</th><th>Last "
              "read</th><th>Reads</th><th>Read as</th>"
              "<th>Bytes</th><th>Readers</th></tr></thead><tbody>\n";
      table_open_ = true;
    }
    if (rows_++ >= max_rows_) return;
    std::string readers;
    for (size_t i = 0; i < r.readers.size(); ++i) readers += (i ? ", " : "") + r.readers[i];
    if (r.readers_truncated) readers += ", ...";
    out_ << "<tr>" << TextCell(r.key) << TimeCell(r.first_read) << TimeCell(r.last_read)
         << NumCell(r.reads)
         << TextCell(r.range_reads == 0  ? "full"
                     : r.full_reads == 0 ? "range"
                                         : "full+range")
         << NumCell(r.bytes) << TextCell(readers) << "</tr>\n";
  }

  void EndBucket(const BucketReport& b, const ObjectTotals& t) override {
    if (table_open_) {
      out_ << "</tbody></table>";
      if (rows_ > max_rows_) {
        out_ << "<p class=note>" << (rows_ - max_rows_) << " more objects not shown here; the "
             << "full table is in <code>--format csv</code> and <code>--format "
                "json</code>.</p>";
      }
    }
    if (b.exposed()) {
      out_ << "<p>" << t.objects << " objects read anonymously, " << t.reads << " reads, "
           << Esc(common::HumanBytes(t.bytes)) << " (" << t.range_only_objects
           << " only in part).</p>";
    }
    out_ << "</section>\n";
    summary_ += "<tr><td><a href=\"#bucket-" + std::to_string(index_) + "\">" +
                Esc(BucketDisplayName(b)) + "</a></td>" +
                (b.exposed() ? "<td><span class=exposed>exposed</span></td>"
                             : "<td><span class=safe>not exposed</span></td>") +
                (b.exposed() ? TimeCell(b.exposure_first) + TimeCell(b.exposure_last)
                             : std::string("<td></td><td></td>")) +
                NumCell(b.anonymous.requests) + NumCell(b.anonymous.denied) +
                NumCell(b.listed_keys) + NumCell(t.objects) +
                NumCell(t.bytes, common::HumanBytes(t.bytes)) +
                NumCell(b.clients.size() + (b.clients_overflow ? 1 : 0)) +
                NumCell(b.authenticated.outcomes.requests) + "</tr>";
    if (b.exposed()) ++exposed_;
  }

  void End(const ReportMeta& m) override {
    out_ << "<section id=summary><h2>Summary</h2><p>" << exposed_ << " exposed bucket(s) of "
         << index_ << " with anonymous requests; " << m.authenticated_only_buckets
         << " with authenticated traffic only.</p>"
         << "<table "
            "class=sortable><thead><tr><th>Bucket</th><th>State</"
            "th><th>Exposed from</th>"
            "<th>Exposed until</th><th>Anonymous requests</th><th>Denied</th>"
            "<th>Keys disclosed</th><th>Objects read</th><th>Bytes "
            "read</th><th>Clients</th>"
            "<th>Authenticated requests</th></tr></thead><tbody>"
         << summary_ << "</tbody></table><p class=note>Ledger lines read: " << m.lines
         << "; not ledger records: " << m.bad_lines << "; too long: " << m.oversized_lines;
    if (m.counters) {
      out_ << "; outside the period: " << m.counters->filtered_time
           << "; other buckets: " << m.counters->filtered_bucket
           << "; past the bucket limit: " << m.counters->buckets_overflow;
    }
    out_ << ". Bytes are response bytes on the wire (headers "
            "included).</p></section>\n"
         << "</main><script>" << kScript << "</script></body></html>\n";
    out_.flush();
  }

 private:
  void ClientRow(const ClientStats& c) {
    out_ << "<tr>" << TextCell(c.ip.empty() ? "(other clients)" : c.ip) << TextCell(c.user_agent)
         << NumCell(c.requests) << NumCell(c.listings) << NumCell(c.reads) << NumCell(c.denied)
         << NumCell(c.bytes, common::HumanBytes(c.bytes)) << TimeCell(c.first) << TimeCell(c.last)
         << "</tr>";
  }

  // Bars: anonymous requests per bin (red: successful, grey: authenticated);
  // line: anonymous bytes served, on its own scale.
  void Chart(const BucketReport& b) {
    if (b.timeline.empty()) return;
    constexpr int kW = 760, kH = 170, kLeft = 50, kRight = 60, kTop = 10, kBottom = 30;
    int64_t lo = b.timeline.begin()->first, hi = b.timeline.rbegin()->first;
    // At least 12 slots, so a burst in one bin reads as a burst and not as a
    // full bar.
    double span = static_cast<double>(std::max<int64_t>(hi - lo + 1, 12));
    uint64_t max_req = 1, max_bytes = 1;
    for (const auto& [i, v] : b.timeline) {
      max_req = std::max({max_req, v.anon_requests, v.auth_requests});
      max_bytes = std::max(max_bytes, v.anon_bytes);
    }
    double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
    double bar = std::clamp(pw / span * 0.8, 1.0, 48.0);
    char buf[256];
    out_ << "<h3>Timeline</h3><svg class=timeline width=" << kW << " height=" << kH
         << " viewBox=\"0 0 " << kW << " " << kH << "\" role=img aria-label=\"anonymous requests "
         << "and bytes over time\"><rect x=" << kLeft << " y=" << kTop << " width=" << pw
         << " height=" << ph << " fill=\"#fbfcfd\" stroke=\"#d0d5dd\"/>";
    std::string line;
    for (const auto& [i, v] : b.timeline) {
      double x = kLeft + (static_cast<double>(i - lo) / span) * pw;
      auto h = [&](uint64_t n) {
        return ph * static_cast<double>(n) / static_cast<double>(max_req);
      };
      if (v.auth_requests) {
        std::snprintf(buf, sizeof(buf),
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\" fill=\"#98a2b3\"/>",
                      x + bar / 2, kTop + ph - h(v.auth_requests), bar / 2, h(v.auth_requests));
        out_ << buf;
      }
      if (v.anon_requests) {
        std::snprintf(buf, sizeof(buf),
                      "<rect class=anon x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\" "
                      "fill=\"#f79009\"/>",
                      x, kTop + ph - h(v.anon_requests), bar / 2, h(v.anon_requests));
        out_ << buf;
      }
      if (v.anon_success) {
        std::snprintf(buf, sizeof(buf),
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\" fill=\"#d92d20\"/>",
                      x, kTop + ph - h(v.anon_success), bar / 2, h(v.anon_success));
        out_ << buf;
      }
      std::snprintf(
          buf, sizeof(buf), "%.1f,%.1f ", x + bar / 2,
          kTop + ph - ph * static_cast<double>(v.anon_bytes) / static_cast<double>(max_bytes));
      line += buf;
    }
    out_ << "<polyline fill=none stroke=\"#1570ef\" stroke-width=2 points=\"" << line << "\"/>";
    out_ << "<text x=" << kLeft - 4 << " y=" << kTop + 10 << " text-anchor=end>" << max_req
         << "</text><text x=" << kLeft - 4 << " y=" << kTop + ph << " text-anchor=end>0</text>";
    out_ << "<text x=" << kW - kRight + 4 << " y=" << kTop + 10 << ">"
         << Esc(common::HumanBytes(max_bytes)) << "</text>";
    out_ << "<text x=" << kLeft << " y=" << kH - 14 << ">" << Esc(TimeText(lo * b.bin_width))
         << "</text><text x=" << kW - kRight << " y=" << kH - 14 << " text-anchor=end>"
         << Esc(TimeText((lo + static_cast<int64_t>(span)) * b.bin_width)) << "</text>";
    std::snprintf(buf, sizeof(buf), "%.3g s per bar", static_cast<double>(b.bin_width) / 1e9);
    out_ << "<text x=" << kLeft << " y=" << kH - 2
         << ">requests (orange: anonymous, red: anonymous success, grey: "
            "authenticated); "
            "blue line: anonymous bytes; "
         << buf << "</text></svg>\n";
  }

  std::ostream& out_;
  size_t max_rows_ = 2000;
  size_t rows_ = 0;
  bool table_open_ = false;
  size_t index_ = 0;
  uint64_t exposed_ = 0;
  std::string summary_;  // one row per listed bucket (bounded by max_buckets)
};

}  // namespace

std::unique_ptr<ReportFormatter> MakeHtmlFormatter(std::ostream& out) {
  return std::make_unique<HtmlFormatter>(out);
}

}  // namespace bw::report
