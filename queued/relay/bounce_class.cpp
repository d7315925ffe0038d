// Classification rules, in order (first match wins):
//   2xx                                          -> None
//   X.7.4, X.7.5, X.7.10, X.7.11 or TLS words    -> Tls
//   spam / reputation / blocklist words          -> Spam
//   any other 4xx                                -> Soft
//   5.7.x or policy words                        -> Policy
//   5.2.2 / 5.2.0 / quota words (mailbox full)   -> Soft
//   any other 5xx (5.1.x, 5.2.1, 5.4.x, ...)     -> Hard
// The word lists are what large receivers actually write (Gmail "likely unsolicited",
// Microsoft "blocked using Spamhaus", Yahoo "not accepted for policy reasons").
#include "queued/relay/bounce_class.h"

#include <array>
#include <cctype>
#include <string>

namespace mail::relay {
namespace {

std::string lower_text(const smtp::Reply& reply) {
  std::string out;
  for (const auto& line : reply.lines) {
    out += ' ';
    for (char c : line) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool contains_any(const std::string& text, std::initializer_list<std::string_view> words) {
  for (auto w : words) {
    if (text.find(w) != std::string::npos) return true;
  }
  return false;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "X.7.4" matches "4.7.4" and "5.7.4".
bool enhanced_is(std::string_view enhanced, std::string_view subject_detail) {
  return enhanced.size() >= 2 && enhanced.substr(1) == subject_detail;
}

}  // namespace

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

BounceClass classify_reply(const smtp::Reply& reply) {
  if (reply.code < 400) return BounceClass::None;
  const std::string& e = reply.enhanced;
  const std::string text = lower_text(reply);
  if (enhanced_is(e, ".7.4") || enhanced_is(e, ".7.5") || enhanced_is(e, ".7.10") ||
      enhanced_is(e, ".7.11") ||
      contains_any(text, {"starttls", "tls", "certificate", "encryption"}))
    return BounceClass::Tls;
  if (contains_any(text, {"spam",          "unsolicited", "blocklist", "blacklist", "block list",
                          "black list",    "spamhaus",    "barracuda", "rbl",       "dnsbl",
                          "reputation",    "junk",        "bulk mail", "listed at", "listed by",
                          "blocked using", "suspicious",  "phish",     "virus",     "malware"}))
    return BounceClass::Spam;
  // A temporary refusal is "try again", whatever rule caused it (greylisting is 4.7.1).
  if (reply.code < 500) return BounceClass::Soft;
  if (starts_with(e.size() > 1 ? std::string_view(e).substr(1) : std::string_view(), ".7.") ||
      contains_any(text, {"policy", "relay access denied", "relaying denied", "not permitted",
                          "spf", "dmarc", "dkim", "access denied"}))
    return BounceClass::Policy;
  if (e == "5.2.2" || e == "5.2.0" ||
      contains_any(text, {"mailbox full", "over quota", "quota exceeded", "insufficient storage"}))
    return BounceClass::Soft;
  return BounceClass::Hard;
}

bool suppressible(const smtp::Reply& reply) {
  if (reply.code < 500 || reply.code > 599) return false;
  static constexpr std::array kCodes{"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1"};
  for (const char* c : kCodes) {
    if (reply.enhanced == c) return true;
  }
  if (!reply.enhanced.empty()) return false;
  // Servers without enhanced codes: only an unmistakable "no such user" counts.
  return reply.code == 550 &&
         contains_any(lower_text(reply),
                      {"user unknown", "unknown user", "no such user", "does not exist",
                       "mailbox unavailable", "invalid recipient", "recipient unknown"});
}

}  // namespace mail::relay
