// Parses one SMTP command line (RFC 5321 4.1) into a Command value, or the error Reply to
// send. Pure: no I/O, no session state (whether a command is allowed now, whether an
// address needs SMTPUTF8, which parameters are advertised: the session decides).
// Trusts nothing: the line comes straight from the network. REQUIRES: CRLF removed and
// length already bounded by the session (smtpd.max_line_length).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "smtpd/protocol/reply.h"

namespace mail::smtp {

enum class Verb {
  Helo,
  Ehlo,
  Mail,
  Rcpt,
  Data,
  Bdat,
  Rset,
  Noop,
  Quit,
  Vrfy,
  Expn,
  Help,
  Starttls,
  Auth
};

// Upper-case name of the verb ("MAIL"), for logs.
std::string_view verb_name(Verb verb);

// A mailbox from a MAIL or RCPT path (RFC 5321 4.1.2). Source routes are dropped.
struct Address {
  std::string local;   // as sent, quotes and backslashes included; "" for the null path <>
  std::string domain;  // ASCII lower-cased; an address literal ("[IPv6:::1]") is kept as sent;
                       // "" for <> and for RCPT TO:<Postmaster>
  bool utf8 = false;   // holds octets >= 0x80 (valid UTF-8): needs SMTPUTF8 (RFC 6531 3.3)

  bool is_null() const { return local.empty() && domain.empty(); }
  bool is_literal() const { return !domain.empty() && domain.front() == '['; }
  // "local@domain"; just "local" for <Postmaster>; "" for <>.
  std::string to_string() const;

  bool operator==(const Address&) const = default;
};

// ESMTP parameter (RFC 5321 4.1.2 esmtp-param): keyword upper-cased, value as sent ("" if
// none). Values are checked by parse_mail_params()/parse_rcpt_params() (params.h).
using Param = std::pair<std::string, std::string>;

struct Command {
  Verb verb = Verb::Noop;
  // HELO/EHLO: the domain or address literal, as sent. NOOP/HELP/VRFY/EXPN: the rest of the
  // line (may be empty for NOOP and HELP). AUTH: the mechanism, upper-cased.
  std::string argument;
  Address path;                                 // MAIL, RCPT
  std::vector<Param> params;                    // MAIL, RCPT; no keyword twice
  std::optional<std::string> initial_response;  // AUTH; "=" is an empty one (RFC 4954 4)
  uint64_t chunk_size = 0;                      // BDAT (RFC 3030 2)
  bool last_chunk = false;                      // BDAT ... LAST

  // The value of `key` (upper-case), or nullptr if the parameter was not given.
  const std::string* param(std::string_view key) const;
};

std::variant<Command, Reply> parse_command(std::string_view line);

}  // namespace mail::smtp
