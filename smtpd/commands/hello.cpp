// HELO and EHLO (RFC 5321 4.1.1.1) and the service extensions EHLO offers: PIPELINING
// (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152), ENHANCEDSTATUSCODES (RFC 2034),
// SMTPUTF8 (RFC 6531), DSN (RFC 3461), CHUNKING and BINARYMIME (RFC 3030), STARTTLS
// (RFC 3207), AUTH (RFC 4954, with the mechanisms of auth::Authenticator, only where the
// port offers it and only over TLS or the loopback exception). Each optional one only
// when its smtpd key enables it. A new HELO/EHLO ends any transaction (RFC 5321 4.1.4).
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;

Extensions Session::offered() const {
  Extensions e;
  e.esmtp = esmtp_;  // after HELO no extension exists (RFC 5321 4.1.1.1)
  if (!esmtp_) return e;
  e.smtputf8 = limits_.smtputf8;
  e.dsn = limits_.dsn;
  e.chunking = limits_.chunking;
  e.auth = auth_offered();  // also lets MAIL carry AUTH= (RFC 4954 5)
  return e;
}

bool Session::tls_offered() const {
  return ctx_.tls != nullptr && !conn_->is_tls();
}

bool Session::channel_private() const {
  return conn_->is_tls() ||
         (limits_.allow_plaintext_auth_on_loopback && conn_->remote_is_loopback());
}

bool Session::auth_offered() const {
  return policy_.auth_offered && channel_private();
}

net::awaitable<void> Session::hello(const Command& cmd) {
  helo_ = cmd.argument;
  esmtp_ = cmd.verb == Verb::Ehlo;
  reset_transaction();
  enter_state(State::Ready);
  const std::string& host = ctx_.config.server.hostname;
  if (!esmtp_) co_return reply(replies::helo(host));
  const Extensions e = offered();
  std::vector<std::string> keywords = {"PIPELINING",
                                       "SIZE " + std::to_string(limits_.max_message_size),
                                       "8BITMIME", "ENHANCEDSTATUSCODES"};
  if (e.smtputf8) keywords.push_back("SMTPUTF8");
  if (e.dsn) keywords.push_back("DSN");
  if (e.chunking) {
    keywords.push_back("CHUNKING");
    keywords.push_back("BINARYMIME");  // RFC 3030 3: only together with CHUNKING
  }
  if (tls_offered()) keywords.push_back("STARTTLS");
  if (e.auth) {
    std::string line = "AUTH";
    for (const auto& m : ctx_.authenticator.mechanisms(client_info())) line += " " + m;
    keywords.push_back(std::move(line));
  }
  reply(replies::ehlo(host, keywords));
}

}  // namespace mail::smtpd
