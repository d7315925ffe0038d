// RFC 5322 section 3.4 address lists (From, To, Cc, ...) as IMAP ENVELOPE needs them
// (RFC 9051 section 7.5.2): each mailbox as name, route (obs-route, RFC 5322 section 4.4),
// mailbox and host; a group as a start marker (mailbox = the group's name, the rest
// absent) and an end marker (all absent). Input: an unfolded header value, any bytes.
//
// Broken input is read the way Dovecot reads it, with its placeholders for what is
// missing (MISSING_MAILBOX, MISSING_DOMAIN, SYNTAX_ERROR, INVALID_ROUTE), so ENVELOPE
// shows the same addresses; obsolete forms (routes, "user (Name)", phrases with ".")
// are accepted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::mime {

struct Address {
  std::optional<std::string> name;  // the display name as written (encoded words kept)
  std::optional<std::string> route;
  std::optional<std::string> mailbox;
  std::optional<std::string> domain;

  bool is_group_start() const { return mailbox && !domain && !name && !route; }
  bool is_group_end() const { return !mailbox && !domain && !name && !route; }
  bool operator==(const Address&) const = default;
};

// At most max_addresses addresses (group markers count as one each).
inline constexpr unsigned kMaxAddressesPerField = 10000;
std::vector<Address> parse_address_list(std::string_view value,
                                        unsigned max_addresses = kMaxAddressesPerField);

}  // namespace mail::mime
