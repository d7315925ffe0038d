// URLAUTH's INTERNAL mechanism (RFC 4467 section 7): a token is HMAC-SHA1, keyed with the
// mailbox access key, over the URL's rump ("imap://...;URLAUTH=<access>"), written as
// lower-case hex (40 digits; the grammar asks for at least 32). Access keys are 32 random
// octets (256 bits) made here and kept by the store (MailStore::urlauth_key).
// Input: rumps from the client (untrusted, already parsed), keys from the store.
#pragma once

#include <string>
#include <string_view>

namespace mail::imapd::urlauth {

inline constexpr std::string_view kInternalMechanism = "INTERNAL";
inline constexpr size_t kAccessKeyOctets = 32;

// A new mailbox access key from OpenSSL's CSPRNG.
std::string make_access_key();

// The INTERNAL token of `rump` under `key`: 40 lower-case hex digits.
std::string internal_token(std::string_view key, std::string_view rump);

// Whether `token` (hex, any case) is the INTERNAL token of `rump`; compares in constant
// time.
bool token_matches(std::string_view key, std::string_view rump, std::string_view token);

}  // namespace mail::imapd::urlauth
