// Mail authentication at the end of DATA/BDAT (mailauth/inbound.h does the work):
//  - MX port, unauthenticated client: SPF (started at MAIL FROM), DKIM (RFC 6376) and
//    DMARC (RFC 7489); our Authentication-Results field (RFC 8601) goes on top after any
//    forged one with our authserv-id was removed (RFC 8601 5). DMARC p=reject refuses with
//    550 5.7.1 (RFC 7489 6.6.4 / RFC 7372 3.2), a temporary DNS error defers with 451 4.7.x
//    (mailauth.on_temperror), p=quarantine is left to the local agent (policy.dmarc).
//  - Authenticated sender (any port): not checked against itself; DKIM-signed instead.
#include <algorithm>

#include "common/log.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;

net::awaitable<bool> Session::authenticate_message(std::string& body) {
  mailauth::Service* service = ctx_.mailauth;
  if (!service) co_return true;
  if (!user_.empty()) {
    auto signer = co_await service->prepare_submission(body);
    if (!signer) {
      // Unsigned mail would fail DMARC at the receiver: the client retries later.
      log::error("dkim_sign_failed").kv("session", conn_->id()).kv("error", signer.error().message);
      error(replies::temporary_policy("DKIM signing failed, try again later"));
      co_return false;
    }
    if (!signer->empty()) log::info("dkim_signed").kv("session", conn_->id()).kv("domain", *signer);
    co_return true;
  }
  if (policy_.port != Port::Mx) co_return true;

  std::vector<std::string> domains;
  for (const auto& r : tx_.recipients) {
    auto at = r.address.rfind('@');
    std::string d = at == std::string::npos ? std::string() : r.address.substr(at + 1);
    std::transform(d.begin(), d.end(), d.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    domains.push_back(std::move(d));
  }
  mailauth::InboundOutcome outcome = co_await service->check_message(
      tx_.sender_check, body, std::move(domains), conn_->remote_address());
  log::info("mailauth")
      .kv("session", conn_->id())
      .kv("action", mailauth::action_name(outcome.verdict.action))
      .kv("spf", mailauth::result_name(outcome.results.spf.result))
      .kv("forged_removed", static_cast<uint64_t>(outcome.forged_removed));
  switch (outcome.verdict.action) {
    case mailauth::Action::Reject:
    case mailauth::Action::Defer:
      error(Reply(outcome.verdict.code, outcome.verdict.enhanced, outcome.verdict.text));
      co_return false;
    case mailauth::Action::Accept:
    case mailauth::Action::Quarantine:
      break;
  }
  // With every check off (signing only), forged fields are still removed but nothing was
  // checked, so there is no result to record.
  const MailauthConfig& checks = ctx_.config.mailauth;
  if (checks.spf || checks.dkim_verify || checks.dmarc) body.insert(0, outcome.auth_results);
  co_return true;
}

}  // namespace mail::smtpd
