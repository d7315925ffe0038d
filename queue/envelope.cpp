// Envelope helpers shared by every spool backend, and the names of its enums.
#include <algorithm>
#include <limits>

#include "queue/spool.h"

namespace mail::queue {

bool Envelope::pending() const {
  return std::any_of(recipients.begin(), recipients.end(),
                     [](const Recipient& r) { return r.state == Recipient::State::Pending; });
}

const char* bounce_class_name(BounceClass c) {
  switch (c) {
    case BounceClass::None:
      return "none";
    case BounceClass::Hard:
      return "hard";
    case BounceClass::Soft:
      return "soft";
    case BounceClass::Policy:
      return "policy";
    case BounceClass::Spam:
      return "spam";
    case BounceClass::Tls:
      return "tls";
    case BounceClass::Expired:
      return "expired";
  }
  return "?";
}

std::string destination_domain(std::string_view address) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string domain(address.substr(at + 1, kMaxHistoryDomain));
  // ASCII only: a UTF-8 (SMTPUTF8) domain keeps its bytes.
  for (char& c : domain)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return domain;
}

int64_t Envelope::earliest_attempt() const {
  int64_t earliest = std::numeric_limits<int64_t>::max();
  for (const Recipient& r : recipients)
    if (r.state == Recipient::State::Pending) earliest = std::min(earliest, r.next_attempt);
  return earliest == std::numeric_limits<int64_t>::max() ? 0 : earliest;
}

}  // namespace mail::queue
