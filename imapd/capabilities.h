// The CAPABILITY list (RFC 9051 section 7.2.2): assembled from one table of words, each
// shown before login, after login or always, plus the words that depend on the session
// (STARTTLS, AUTH=, APPENDLIMIT=, COMPRESS=DEFLATE). A word goes into the table when its extension
// is complete; the table in capabilities.cpp has one section per part of imapd.
//
// IMAP4rev2 is not in the table: it is advertised as soon as every extension RFC 9051
// folds into the base protocol (imap4rev2_includes()) is, so it can never be offered
// before a client relying on it would find all of it. The same list tells ENABLE which
// extensions may be enabled (only advertised ones, RFC 5161 section 3.1).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mail::imapd {

// When a word is shown.
enum class Shown : uint8_t { Always, BeforeLogin, AfterLogin };

struct CapabilityWord {
  std::string_view word;
  Shown shown;
};

// What the list depends on besides the table.
struct CapabilityContext {
  bool authenticated = false;
  bool starttls_offered = false;        // TLS is configured and the connection is plain
  bool plaintext_auth_allowed = false;  // LOGIN/AUTHENTICATE allowed now
  // The SASL mechanisms for this connection (auth::Authenticator::mechanisms), as AUTH=.
  std::vector<std::string> auth_mechanisms = {};
  uint64_t append_limit = 0;  // APPENDLIMIT (RFC 7889)
  bool compress = false;      // COMPRESS=DEFLATE offered (imapd.compress)
  // Words taken as advertised besides the table (see ImapContext::assumed_capabilities).
  std::span<const std::string_view> assumed = {};
};

// The capability words for this context, in the order they are written.
std::vector<std::string> capability_list(const CapabilityContext& context);

// Whether `word` is in capability_list(context) (ASCII case-insensitively).
bool advertises(const CapabilityContext& context, std::string_view word);

// The extensions RFC 9051 (appendix E) makes part of IMAP4rev2, by capability word.
// LITERAL- is met by LITERAL+ (RFC 7888 section 4).
std::span<const std::string_view> imap4rev2_includes();

// The table (every part's words), for tests.
std::span<const CapabilityWord> capability_table();

}  // namespace mail::imapd
