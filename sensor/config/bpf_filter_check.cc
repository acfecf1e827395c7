#include "sensor/config/bpf_filter_check.h"

#include <pcap/pcap.h>

#include <array>

#include "sensor/config/yaml_reader.h"

namespace bw::config {
namespace {

std::string OneShortLine(std::string s) {
  constexpr size_t kMax = 200;
  for (auto& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.size() > kMax) s = s.substr(0, kMax) + "...";
  return s;
}

// Empty when it compiles, else libpcap's reason.
std::string Compile(int dlt, const std::string& expression, uint32_t snaplen) {
  pcap_t* dead = pcap_open_dead(dlt, static_cast<int>(snaplen));
  if (!dead) return "cannot create a libpcap handle";
  bpf_program prog{};
  std::string reason;
  if (pcap_compile(dead, &prog, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    reason = OneShortLine(pcap_geterr(dead));
    if (reason.empty()) reason = "rejected by libpcap";
  } else {
    pcap_freecode(&prog);
  }
  pcap_close(dead);
  return reason;
}

}  // namespace

bool CheckBpfFilter(const std::string& expression, uint32_t snaplen, std::string& reason) {
  if (expression.empty()) return true;
  if (expression.size() > kMaxBpfFilterBytes) {
    reason = "at most " + std::to_string(kMaxBpfFilterBytes) + " bytes, got " +
             std::to_string(expression.size());
    return false;
  }
  if (expression.find('\0') != std::string::npos) {
    reason = "contains a NUL byte";
    return false;
  }
  std::string ethernet = Compile(DLT_EN10MB, expression, snaplen);
  if (ethernet.empty()) return true;
  static constexpr std::array kOthers = {DLT_LINUX_SLL, DLT_RAW, DLT_IEEE802_11_RADIO};
  for (int dlt : kOthers) {
    if (Compile(dlt, expression, snaplen).empty()) return true;
  }
  reason = "invalid BPF filter (" + ethernet + "): " + yaml::Quote(expression);
  return false;
}

}  // namespace bw::config
