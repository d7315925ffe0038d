// The command lines the relay client sends: MAIL FROM and RCPT TO with their ESMTP
// parameters (SIZE RFC 1870, BODY RFC 6152/3030, SMTPUTF8 RFC 6531, RET/ENVID/NOTIFY/ORCPT
// RFC 3461), and the AUTH initial responses (RFC 4954, 4616). Pure. The values come from
// the queue record (written by our smtpd), but each is encoded here so that no stored byte
// can end a command line early or inject another.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mail::relay {

struct MailParameters {
  uint64_t size = 0;  // SIZE=; 0: not sent (the server does not do SIZE)
  std::string body;   // "8BITMIME", "BINARYMIME" or "" (7BIT needs no parameter)
  bool smtputf8 = false;
  std::string ret;    // "FULL", "HDRS" or "" (only when the server does DSN)
  std::string envid;  // decoded; sent xtext-encoded when the server does DSN
};

// "MAIL FROM:<sender> SIZE=... BODY=... SMTPUTF8 RET=... ENVID=...\r\n"
std::string mail_command(std::string_view sender, const MailParameters& params);

struct RcptParameters {
  uint8_t notify = 0;  // queue::DsnNotify bits; 0: no NOTIFY parameter
  std::string orcpt;   // decoded "addr-type;address"; "" for none
};

// "RCPT TO:<address> NOTIFY=... ORCPT=...\r\n"; the DSN parameters only with `dsn`.
std::string rcpt_command(std::string_view address, const RcptParameters& params, bool dsn);

// "NOTIFY=" value for DsnNotify bits: "NEVER" or a comma list of SUCCESS, FAILURE, DELAY.
std::string notify_value(uint8_t bits);

// The ORCPT value (RFC 3461 4.2, RFC 6533 3) for a decoded "type;address", or "" when it
// cannot be sent (no ';', empty parts, longer than 500 characters once encoded).
std::string orcpt_value(std::string_view orcpt);

// AUTH PLAIN initial response (RFC 4616): base64 of "\0user\0password".
std::string auth_plain_response(std::string_view user, std::string_view password);

}  // namespace mail::relay
