// What the relay must know about a message's bytes before it sends them: whether they
// need 8BITMIME or SMTPUTF8 at the next hop, how many Received fields they carry (mail
// loops, RFC 5321 6.3), where the header section ends (RET=HDRS bounces), and the DATA
// encoding itself (dot-stuffing, RFC 5321 4.5.2). Pure functions over untrusted bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mail::relay {

struct MessageTraits {
  bool eight_bit = false;          // an octet >= 0x80 anywhere in the message
  bool non_ascii_headers = false;  // an octet >= 0x80 in the header section (RFC 6532)
  size_t received_fields = 0;      // "Received:" header fields (trace, RFC 5321 4.4)
  size_t header_size = 0;          // octets of the header section, without the empty line
};

MessageTraits inspect_message(std::string_view content);

bool is_ascii(std::string_view s);

// The header section of a message (up to, not including, the empty line), ending in CRLF.
std::string_view header_section(std::string_view content);

// The DATA payload for `content`: every line ends in CRLF (a bare CR or LF becomes CRLF,
// so nothing we send can be read as an end of data by a lax server: SMTP smuggling), a
// line starting with "." gets another "." (RFC 5321 4.5.2), and ".\r\n" ends it.
std::string dot_stuff(std::string_view content);

}  // namespace mail::relay
