// bw_bench_bare_read: the ceiling for reading a capture file. A bare pcap_next_ex loop that touches
// every packet (sums caplen and folds the first and last byte, so the data is really read) and
// prints {packets, bytes, seconds, packets_per_second, gbit_per_second} as one JSON line.

#include <pcap/pcap.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bw_bench_bare_read FILE.pcap\n");
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  const auto started = std::chrono::steady_clock::now();
  pcap_t* handle = pcap_open_offline(argv[1], errbuf);
  if (!handle) {
    std::fprintf(stderr, "bw_bench_bare_read: %s\n", errbuf);
    return 1;
  }
  uint64_t packets = 0, bytes = 0, wire_bytes = 0;
  uint32_t fold = 0;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(handle, &header, &data)) == 1) {
    ++packets;
    bytes += header->caplen;
    wire_bytes += header->len;
    if (header->caplen) fold = fold * 31 + data[0] + data[header->caplen - 1];
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (rc == PCAP_ERROR) {
    std::fprintf(stderr, "bw_bench_bare_read: %s\n", pcap_geterr(handle));
    pcap_close(handle);
    return 1;
  }
  pcap_close(handle);
  std::printf(
      "{\"packets\": %llu, \"bytes\": %llu, \"wire_bytes\": %llu, \"seconds\": %.6f, "
      "\"packets_per_second\": %.0f, \"gbit_per_second\": %.3f, \"fold\": %u}\n",
      static_cast<unsigned long long>(packets), static_cast<unsigned long long>(bytes),
      static_cast<unsigned long long>(wire_bytes), seconds,
      seconds > 0 ? static_cast<double>(packets) / seconds : 0.0,
      seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e9 : 0.0, fold);
  return 0;
}
