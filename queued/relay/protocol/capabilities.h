// What a server offers in its EHLO reply (RFC 5321 4.1.1.1): the first line is its name,
// each further line an extension keyword with parameters. Pure; the reply text is
// untrusted (keywords are compared case-insensitively, unknown ones ignored).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "smtpd/protocol/reply.h"

namespace mail::relay {

struct Capabilities {
  bool esmtp = false;             // EHLO was answered (false after a HELO fallback)
  bool pipelining = false;        // RFC 2920
  bool size = false;              // RFC 1870
  uint64_t max_size = 0;          // SIZE parameter; 0: no fixed limit announced
  bool eight_bit_mime = false;    // RFC 6152
  bool binary_mime = false;       // RFC 3030
  bool chunking = false;          // RFC 3030
  bool smtputf8 = false;          // RFC 6531
  bool dsn = false;               // RFC 3461
  bool starttls = false;          // RFC 3207
  bool enhanced_status = false;   // RFC 2034
  std::vector<std::string> auth;  // RFC 4954 mechanisms, upper-case

  bool has_auth(std::string_view mechanism) const;
};

// Reads a 250 reply to EHLO. A SIZE value that is not a number is treated as "no limit
// announced" (RFC 1870 4 allows an empty value).
Capabilities parse_ehlo(const smtp::Reply& reply);

}  // namespace mail::relay
