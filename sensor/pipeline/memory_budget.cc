#include "sensor/pipeline/memory_budget.h"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "sensor/output/metrics/snapshot_builder.h"

namespace bw::pipeline {
namespace {

constexpr int64_t kPollIntervalMs = 20;
constexpr int64_t kTrimIntervalMs = 1000;

uint64_t Mib(uint64_t bytes) { return bytes >> 20; }

}  // namespace

uint64_t MemoryBudget::ResidentBytes() {
  // statm is one short line; opening it each time costs less than a poll interval's packets
  // and survives a privilege drop (the file stays readable by the process itself).
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

bool MemoryBudget::Plan(uint64_t cap, uint64_t detection, uint64_t untouched_bytes,
                        uint32_t workers, std::string& error) {
  workers_ = std::max<uint32_t>(1, workers);
  Parts p;
  p.cap = cap;
  p.fixed = ResidentBytes() + untouched_bytes;
  p.detection = detection;
  p.margin = std::max<uint64_t>(16ull << 20, cap / 16);
  uint64_t reserved = p.fixed + p.detection + p.margin;
  if (reserved + kMinFlowBytes > cap) {
    error = "memory_cap_mib " + std::to_string(Mib(cap)) + " is too small: the sensor needs " +
            std::to_string(Mib(p.fixed)) +
            " MiB to run (code, nDPI, a live capture's capture.buffer_mib, hand-off rings), "
            "detection.memory_mib is " +
            std::to_string(Mib(p.detection)) + ", the margin " + std::to_string(Mib(p.margin)) +
            " MiB, and connections need at least " + std::to_string(Mib(kMinFlowBytes)) +
            " MiB: set memory_cap_mib to " +
            std::to_string(Mib(reserved + kMinFlowBytes + (1 << 20) - 1)) + " or more";
    return false;
  }
  p.flows = cap - reserved;
  parts_ = p;
  SetShare(p.flows);
  return true;
}

void MemoryBudget::SetShare(uint64_t share) {
  share_.store(share, std::memory_order_relaxed);
  worker_share_.store(std::max<uint64_t>(1, share / workers_), std::memory_order_relaxed);
}

void MemoryBudget::Poll() {
  if (parts_.cap == 0) return;
  int64_t now = metrics::CoarseSteadyNowNs() / 1000000;
  if (now - last_poll_ms_ < kPollIntervalMs) return;
  last_poll_ms_ = now;
  uint64_t resident = ResidentBytes();
  uint64_t limit = parts_.cap - parts_.margin / 2;
  if (resident == 0 || resident <= limit) {
    SetShare(parts_.flows);
    return;
  }
  uint64_t excess = resident - limit;
  uint64_t floor = parts_.flows / 4;
  uint64_t share = parts_.flows > floor + excess ? parts_.flows - excess : floor;
  SetShare(share);
  pressure_polls_.fetch_add(1, std::memory_order_relaxed);
  if (now - last_trim_ms_ >= kTrimIntervalMs) {
    last_trim_ms_ = now;
    // Evicted state went back to malloc, not to the kernel: hand whole free pages back so the
    // resident size reflects what is held.
    malloc_trim(0);
  }
}

}  // namespace bw::pipeline
