#pragma once
// The alert sinks' URL syntax: http[s]://host[:port][/path][?query], no user info. Parsed at
// config load (a malformed url is a config error, exit 2, for --check-config too) and again by
// the sinks, which use the parts.

#include <string>
#include <string_view>

namespace bw::config {

struct HttpUrl {
  bool tls = false;
  std::string host;    // without brackets for IPv6 literals
  std::string port;    // "80"/"443" when absent
  std::string target;  // path + query, at least "/"
  std::string host_header;
};

// False if malformed.
[[nodiscard]] bool ParseHttpUrl(std::string_view url, HttpUrl& out);

}  // namespace bw::config
