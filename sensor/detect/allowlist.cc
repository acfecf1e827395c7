#include "sensor/detect/allowlist.h"

#include <cctype>

namespace bw::detect {

namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && Lower(haystack[i + j]) == Lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view subject) {
  size_t p = 0, s = 0;
  size_t star = std::string_view::npos, star_s = 0;
  while (s < subject.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || Lower(pattern[p]) == Lower(subject[s]))) {
      ++p;
      ++s;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_s = s;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Allowlist::Allowlist(const config::DetectionConfig::Allowlist& config) {
  for (const auto& text : config.trusted_cidrs) {
    Cidr c;
    if (config::ParseCidr(text, c.network, c.prefix)) cidrs_.push_back(c);
  }
  for (const auto& text : config.public_buckets) {
    size_t a = text.find('/');
    size_t b = a == std::string::npos ? a : text.find('/', a + 1);
    if (b == std::string::npos) continue;
    buckets_.push_back({text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)});
  }
  crawlers_ = config.crawler_user_agents;
}

bool Allowlist::TrustedClient(const decode::IpAddress& ip) const {
  for (const auto& c : cidrs_) {
    if (c.network.family != ip.family) continue;
    unsigned full = c.prefix / 8, rest = c.prefix % 8;
    bool match = true;
    for (unsigned i = 0; i < full && match; ++i) match = c.network.bytes[i] == ip.bytes[i];
    if (match && rest) {
      uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
      match = (c.network.bytes[full] & mask) == (ip.bytes[full] & mask);
    }
    if (match) return true;
  }
  return false;
}

bool Allowlist::PublicBucket(std::string_view provider, std::string_view account,
                             std::string_view bucket) const {
  for (const auto& b : buckets_) {
    if (GlobMatch(b.provider, provider) && GlobMatch(b.account, account) &&
        GlobMatch(b.bucket, bucket)) {
      return true;
    }
  }
  return false;
}

bool Allowlist::Crawler(std::string_view user_agent) const {
  if (user_agent.empty()) return false;
  for (const auto& c : crawlers_) {
    bool glob = c.find_first_of("*?") != std::string::npos;
    if (glob ? GlobMatch(c, user_agent) : ContainsIgnoreCase(user_agent, c)) return true;
  }
  return false;
}

}  // namespace bw::detect
