// libFuzzer entry for the MAIL/RCPT parameter parser (params.h) and xtext: the first byte
// picks the offered extensions and SMTPUTF8, the rest is one MAIL or RCPT command line.
// Checks that nothing crashes, that refusals are 5xx syntax/parameter replies, and that
// accepted values keep their RFC bounds.
#include <cstdint>
#include <string_view>

#include "smtpd/protocol/params.h"
#include "smtpd/protocol/xtext.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::smtp;
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  const Extensions offered{.esmtp = (flags & 1) != 0,
                           .smtputf8 = (flags & 2) != 0,
                           .dsn = (flags & 4) != 0,
                           .chunking = (flags & 8) != 0,
                           .auth = (flags & 16) != 0};
  const bool smtputf8 = (flags & 32) != 0;
  const std::string_view line(reinterpret_cast<const char*>(data + 1), size - 1);

  // xtext round trip on the raw bytes.
  if (xtext_decode(xtext_encode(line)) != std::string(line)) __builtin_trap();

  const auto parsed = parse_command(line);
  const auto* cmd = std::get_if<Command>(&parsed);
  if (cmd == nullptr || (cmd->verb != Verb::Mail && cmd->verb != Verb::Rcpt)) return 0;
  auto check_refusal = [](const Reply& r) {
    if (r.code != 501 && r.code != 555) __builtin_trap();
    (void)r.to_wire();
  };
  if (cmd->verb == Verb::Mail) {
    const auto result = parse_mail_params(cmd->params, offered);
    if (const auto* r = std::get_if<Reply>(&result)) {
      check_refusal(*r);
      return 0;
    }
    const MailParams& p = std::get<MailParams>(result);
    if (!offered.esmtp && !cmd->params.empty()) __builtin_trap();
    if (p.envid.size() > kMaxEnvidLength) __builtin_trap();
    for (char c : p.envid) {
      if (c < 0x20 || c > 0x7E) __builtin_trap();
    }
    if (p.smtputf8 && !offered.smtputf8) __builtin_trap();
    if (p.body == Body::BinaryMime && !offered.chunking) __builtin_trap();
    if ((p.ret != Ret::Unspecified || !p.envid.empty()) && !offered.dsn) __builtin_trap();
  } else {
    const auto result = parse_rcpt_params(cmd->params, offered, smtputf8);
    if (const auto* r = std::get_if<Reply>(&result)) {
      check_refusal(*r);
      return 0;
    }
    const RcptParams& p = std::get<RcptParams>(result);
    if ((p.notify != 0 || !p.orcpt.empty()) && !offered.dsn) __builtin_trap();
    if ((p.notify & kNotifyNever) && p.notify != kNotifyNever) __builtin_trap();
    if (p.notify > 0xF) __builtin_trap();
    for (char c : p.orcpt) {
      if (c == '\r' || c == '\n' || c == '\0') __builtin_trap();
    }
    if (!p.orcpt.empty() && p.orcpt.find(';') == std::string::npos) __builtin_trap();
  }
  return 0;
}
