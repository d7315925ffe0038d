// Envelope helpers shared by every spool backend.
#include <algorithm>
#include <limits>

#include "queue/spool.h"

namespace mail::queue {

bool Envelope::pending() const {
  return std::any_of(recipients.begin(), recipients.end(),
                     [](const Recipient& r) { return r.state == Recipient::State::Pending; });
}

int64_t Envelope::earliest_attempt() const {
  int64_t earliest = std::numeric_limits<int64_t>::max();
  for (const Recipient& r : recipients)
    if (r.state == Recipient::State::Pending) earliest = std::min(earliest, r.next_attempt);
  return earliest == std::numeric_limits<int64_t>::max() ? 0 : earliest;
}

}  // namespace mail::queue
