// The ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2 esmtp-param) as typed values:
// SIZE (RFC 1870), BODY (RFC 6152, RFC 3030 3), SMTPUTF8 (RFC 6531 3.4), RET and ENVID on
// MAIL, NOTIFY and ORCPT on RCPT (RFC 3461 4), AUTH= on MAIL (RFC 4954 5).
//
// Pure: the session says which extensions this connection offered (a parameter of an
// extension not offered is "not recognized", 555 5.5.4, RFC 5321 4.1.1.11), and acts on
// the result. A value that breaks its RFC's grammar is 501 5.5.4. Trusts nothing: the
// parameters come from parse_command(), straight off the network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "smtpd/protocol/command.h"
#include "smtpd/protocol/reply.h"

namespace mail::smtp {

// What the EHLO reply of this session advertised, for parameter recognition.
struct Extensions {
  bool esmtp = false;  // EHLO, not HELO: a HELO session has no parameters at all
  bool smtputf8 = false;
  bool dsn = false;
  bool chunking = false;  // BODY=BINARYMIME needs it (RFC 3030 3)
  bool auth = false;      // MAIL ... AUTH=
};

enum class Body { SevenBit, EightBitMime, BinaryMime };
enum class Ret { Unspecified, Full, Headers };

// RFC 3461 NOTIFY values as bits; the same values as queue::DsnNotify.
enum NotifyBits : uint8_t {
  kNotifyNever = 1u << 0,
  kNotifySuccess = 1u << 1,
  kNotifyFailure = 1u << 2,
  kNotifyDelay = 1u << 3,
};

// RFC 3461 4.4 and 4.2: limits on the encoded values.
inline constexpr size_t kMaxEnvidLength = 100;
inline constexpr size_t kMaxOrcptLength = 500;

struct MailParams {
  std::optional<uint64_t> size;  // declared message size; the session compares it
  Body body = Body::SevenBit;    // no BODY: 7BIT (RFC 6152 3)
  bool smtputf8 = false;
  Ret ret = Ret::Unspecified;
  std::string envid;                // xtext-decoded; empty when not given
  std::optional<std::string> auth;  // xtext-decoded mailbox, or "<>"
};

struct RcptParams {
  uint8_t notify = 0;  // NotifyBits; 0 when not given
  std::string orcpt;   // "addr-type;address", decoded; empty when not given
};

std::variant<MailParams, Reply> parse_mail_params(const std::vector<Param>& params,
                                                  const Extensions& offered);

// `smtputf8`: MAIL carried SMTPUTF8, which allows raw UTF-8 in ORCPT=utf-8;... (RFC 6533 3).
std::variant<RcptParams, Reply> parse_rcpt_params(const std::vector<Param>& params,
                                                  const Extensions& offered, bool smtputf8);

}  // namespace mail::smtp
