// The decision over the results of one message's checks (see verdict.h).
#include "mailauth/verdict.h"

#include <algorithm>

#include "mailauth/header_block.h"

namespace mail::mailauth {

DmarcAction dmarc_action(std::string_view name) {
  if (name == "mark") return DmarcAction::Mark;
  if (name == "quarantine") return DmarcAction::Quarantine;
  return DmarcAction::Reject;
}

std::string_view action_name(Action action) {
  switch (action) {
    case Action::Accept:
      return "accept";
    case Action::Quarantine:
      return "quarantine";
    case Action::Reject:
      return "reject";
    case Action::Defer:
      return "defer";
  }
  return "accept";
}

VerdictPolicy VerdictPolicy::from(const MailauthConfig& config) {
  VerdictPolicy p;
  p.defer_on_temperror = config.on_temperror == "defer";
  p.on_reject = dmarc_action(config.dmarc_reject);
  p.on_quarantine = dmarc_action(config.dmarc_quarantine);
  for (const auto& [domain, action] : config.dmarc_reject_by_domain)
    p.reject_by_domain[lower_ascii(domain)] = dmarc_action(action);
  return p;
}

Verdict decide(const VerdictPolicy& policy, const CheckResults& results,
               std::span<const std::string> recipient_domains, const PublicSuffixList& psl) {
  // Rule 1: the most lenient action among the recipients' domains for p=reject.
  DmarcAction reject_action = policy.on_reject;
  if (!recipient_domains.empty()) {
    reject_action = DmarcAction::Reject;
    for (const std::string& d : recipient_domains) {
      auto it = policy.reject_by_domain.find(lower_ascii(d));
      reject_action = std::min(reject_action,
                               it == policy.reject_by_domain.end() ? policy.on_reject : it->second);
    }
  }
  DmarcAction dmarc_action = DmarcAction::Mark;
  const DmarcOutcome* failed = nullptr;
  for (const DmarcOutcome& d : results.dmarc) {
    if (d.result != DmarcResult::Fail) continue;
    DmarcAction a = d.disposition == DmarcPolicy::Reject       ? reject_action
                    : d.disposition == DmarcPolicy::Quarantine ? policy.on_quarantine
                                                               : DmarcAction::Mark;
    // A quarantine disposition never becomes a refusal, whatever dmarc_quarantine says.
    if (d.disposition == DmarcPolicy::Quarantine) a = std::min(a, DmarcAction::Quarantine);
    if (!failed || a > dmarc_action) failed = &d;
    dmarc_action = std::max(dmarc_action, a);
  }
  Verdict v;
  if (dmarc_action == DmarcAction::Reject) {
    v.action = Action::Reject;
    v.code = 550;
    v.enhanced = "5.7.1";
    v.text = "Email from " + failed->from_domain +
             " failed DMARC authentication and its domain's policy is to reject it";
    return v;
  }

  // Rule 2: temporary errors that could change the outcome.
  const bool dmarc_passed =
      !results.dmarc.empty() &&
      std::all_of(results.dmarc.begin(), results.dmarc.end(),
                  [](const DmarcOutcome& d) { return d.result == DmarcResult::Pass; });
  if (policy.defer_on_temperror && !dmarc_passed) {
    if (results.spf.result == SpfResult::TempError) {
      v.action = Action::Defer;
      v.code = 451;
      v.enhanced = "4.7.24";
      v.text = "Temporary DNS failure checking SPF for " + results.spf.domain + ", try again later";
      return v;
    }
    for (const DmarcOutcome& d : results.dmarc) {
      if (d.result != DmarcResult::TempError) continue;
      v.action = Action::Defer;
      v.code = 451;
      v.enhanced = "4.7.0";
      v.text = "Temporary DNS failure looking up the DMARC policy of " + d.from_domain +
               ", try again later";
      return v;
    }
    for (const DkimOutcome& k : results.dkim) {
      if (k.result != DkimResult::TempError) continue;
      for (const std::string& a : results.author_domains) {
        if (!psl.same_organization(k.domain, a)) continue;
        v.action = Action::Defer;
        v.code = 451;
        v.enhanced = "4.7.0";
        v.text = "Temporary DNS failure looking up the DKIM key " + k.selector + "._domainkey." +
                 k.domain + ", try again later";
        return v;
      }
    }
  }

  // Rule 3, then 4.
  if (dmarc_action == DmarcAction::Quarantine) v.action = Action::Quarantine;
  return v;
}

}  // namespace mail::mailauth
