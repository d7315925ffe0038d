// The Author Domain of DMARC (RFC 7489 3.2, 6.6.1): the domain of the RFC5322.From
// address. Pure; the header is untrusted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailauth/header_block.h"

namespace mail::mailauth {

// At most this many distinct From domains are evaluated; more is a malformed message.
inline constexpr size_t kMaxAuthorDomains = 8;

struct Author {
  // Distinct domains of every address of every From field, lower case, in order. RFC 5322
  // wants exactly one From field; with several fields or addresses, DMARC is evaluated
  // for each domain and the strictest outcome applies (RFC 7489 6.6.1).
  std::vector<std::string> domains;
  size_t from_fields = 0;
  std::string problem;  // "" or why the From field is not what RFC 5322 wants
};

Author author_of(const HeaderBlock& header);

}  // namespace mail::mailauth
