// What the checks of one inbound message decide (pure): accept, deliver to the Junk
// mailbox (DMARC p=quarantine), refuse at the end of DATA (DMARC p=reject: 550 5.7.1), or
// ask the client to try again (a temporary DNS error that could change the outcome:
// 451 4.7.x, when mailauth.on_temperror = "defer"). The rules, in order:
//
// 1. A DMARC failure whose disposition is reject (after pct=) refuses the message, unless
//    the configured action says otherwise: mailauth.dmarc_reject, or per recipient domain
//    mailauth.dmarc_reject_by_domain. With recipients in several of our domains whose
//    actions differ, the most lenient one applies to the message (mail one domain wants is
//    never refused because of another's setting).
// 2. A temporary error defers the message when DMARC did not pass for every author domain
//    and the error concerns SPF, the DMARC record, or a DKIM signature of the author's
//    Organizational Domain (a temporary error of an unrelated signature changes nothing).
// 3. A DMARC failure with disposition quarantine (mailauth.dmarc_quarantine) delivers to
//    the Junk mailbox: our Authentication-Results field says policy.dmarc=quarantine.
// 4. Otherwise the message is accepted; the results are in our Authentication-Results.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/config.h"
#include "mailauth/public_suffix.h"
#include "mailauth/results.h"

namespace mail::mailauth {

enum class Action { Accept, Quarantine, Reject, Defer };
// What a DMARC policy of the sender's domain makes us do.
enum class DmarcAction { Mark, Quarantine, Reject };

struct VerdictPolicy {
  bool defer_on_temperror = true;
  DmarcAction on_reject = DmarcAction::Reject;
  DmarcAction on_quarantine = DmarcAction::Quarantine;
  std::map<std::string, DmarcAction> reject_by_domain;  // recipient domain (lower case)

  static VerdictPolicy from(const MailauthConfig& config);
};

// The results of every check of one message.
struct CheckResults {
  SpfOutcome spf;
  bool dkim_checked = false;
  std::vector<DkimOutcome> dkim;    // one per signature
  std::vector<DmarcOutcome> dmarc;  // one per author domain
  std::vector<std::string> author_domains;
  std::string author_problem;
};

struct Verdict {
  Action action = Action::Accept;
  int code = 250;        // the SMTP reply for Reject (550) and Defer (451)
  std::string enhanced;  // RFC 3463 / RFC 7372 code
  std::string text;
};

Verdict decide(const VerdictPolicy& policy, const CheckResults& results,
               std::span<const std::string> recipient_domains, const PublicSuffixList& psl);

// Parses the config strings ("mark", "quarantine", "reject").
DmarcAction dmarc_action(std::string_view name);
std::string_view action_name(Action action);

}  // namespace mail::mailauth
