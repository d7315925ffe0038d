// new_queue_id(): queue ids that sort by arrival time and are unique, safe to print in
// logs and to use as LMDB keys. Trusts nothing; reads the clock and /dev/urandom-backed
// std::random_device once per process.
//
// Format: 13 upper-case hex digits of microseconds since the epoch (fixed width, so the
// string order is the time order until the year 2112), then 6 random hex digits chosen
// once per process. Within a process the time part is made strictly increasing, so ids
// never repeat even when many threads ask in the same microsecond; the random suffix
// separates processes (smtpd and queued both enqueue) that hit the same microsecond.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "queue/spool.h"

namespace mail::queue {
namespace {

void append_hex(std::string& out, uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHex[(v >> (4 * i)) & 0xf]);
}

uint32_t process_suffix() {
  static const uint32_t suffix = [] {
    std::random_device rd;
    return static_cast<uint32_t>(rd()) & 0xffffff;
  }();
  return suffix;
}

}  // namespace

std::string new_queue_id() {
  static std::mutex mu;
  static uint64_t last = 0;
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  uint64_t stamp = now > 0 ? static_cast<uint64_t>(now) : 0;
  {
    // Strictly increasing within the process, also when the clock steps back.
    std::lock_guard lock(mu);
    if (stamp <= last) stamp = last + 1;
    last = stamp;
  }
  std::string id;
  id.reserve(19);
  append_hex(id, stamp, 13);
  append_hex(id, process_suffix(), 6);
  return id;
}

}  // namespace mail::queue
