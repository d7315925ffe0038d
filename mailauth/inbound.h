// The mail authentication service of smtpd: SPF, DKIM and DMARC of inbound mail, DKIM
// signing of authenticated senders' mail. One per process, shared by every session.
//
// Concurrency: the checks of one message overlap rather than run one after another.
//  - SPF starts at MAIL FROM (start_sender_check) on the service's worker pool
//    (mailauth.threads; libspf2 blocks while its lookups run, see spf_check.h) and goes on
//    while the client sends RCPT and DATA.
//  - After the message arrived, check_message() starts at once, on the session's event
//    loop, the lookups of every DKIM key (key_names) and of the DMARC records of each
//    author domain and its Organizational Domain, and waits for them and for SPF together.
//  - Then one job on the worker pool verifies every signature with libopendkim (the keys
//    already fetched) and evaluates DMARC with libopendmarc.
//  Everything is bounded by mailauth.timeout from the end of DATA: what has not answered
//  by then counts as a temporary error.
//
// The resolver (libunbound) runs on the service's own thread, so its blocking forms work
// from the worker pool and its coroutines from any session's loop.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/dns/resolver.h"
#include "common/net/asio.h"
#include "mailauth/dkim_signer.h"
#include "mailauth/dkim_verify.h"
#include "mailauth/public_suffix.h"
#include "mailauth/spf_check.h"
#include "mailauth/verdict.h"

namespace mail::mailauth {

// The SPF check of one mail transaction, started at MAIL FROM.
class SenderCheck;

// What check_message() found and decided.
struct InboundOutcome {
  CheckResults results;
  Verdict verdict;
  std::string auth_results;   // our Authentication-Results field, CRLF-terminated
  size_t forged_removed = 0;  // Authentication-Results fields with our authserv-id removed
};

class Service {
 public:
  static Result<std::unique_ptr<Service>> create(const Config& config);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  const MailauthConfig& config() const { return config_.mailauth; }
  const std::string& authserv_id() const { return authserv_id_; }

  // At MAIL FROM on the MX port: starts SPF (when mailauth.spf) and returns at once. The
  // result is delivered to `ex` (the session's executor). `mail_from` is "" for <>.
  std::shared_ptr<SenderCheck> start_sender_check(net::asio::any_io_executor ex,
                                                  std::string client_ip, std::string helo,
                                                  std::string mail_from);
  // The SPF outcome (for mailauth.spf_fail = "reject"); temperror after the deadline.
  // REQUIRES: on the executor given to start_sender_check.
  net::awaitable<SpfOutcome> sender_outcome(std::shared_ptr<SenderCheck> check);

  // After DATA/BDAT on the MX port: removes forged Authentication-Results from `message`,
  // runs DKIM and DMARC (with the SPF outcome of `check`, null when none was started), and
  // decides. REQUIRES: on the executor given to start_sender_check.
  net::awaitable<InboundOutcome> check_message(std::shared_ptr<SenderCheck> check,
                                               std::string& message,
                                               std::vector<std::string> recipient_domains,
                                               std::string client_ip);

  // A message from an authenticated sender: forged Authentication-Results removed (they
  // would reach local recipients), then DKIM signatures put on top (mailauth.dkim_sign).
  // Returns the signing domain ("" when none signed).
  net::awaitable<Result<std::string>> prepare_submission(std::string& message);

  DkimSigner& signer() { return signer_; }
  dns::Resolver& resolver() { return *resolver_; }

 private:
  explicit Service(const Config& config, PublicSuffixList psl);

  const Config& config_;
  const std::string authserv_id_;
  const VerdictPolicy policy_;
  PublicSuffixList psl_;
  net::asio::io_context resolver_loop_;
  std::optional<net::asio::executor_work_guard<net::asio::io_context::executor_type>> guard_;
  std::thread resolver_thread_;
  std::unique_ptr<dns::Resolver> resolver_;
  std::unique_ptr<SpfChecker> spf_;
  std::unique_ptr<DkimVerifier> verifier_;
  DkimSigner signer_;
  net::asio::thread_pool pool_;
};

}  // namespace mail::mailauth
