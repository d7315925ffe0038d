// Our Authentication-Results field (RFC 8601 2.7: one resinfo per check and per DKIM
// signature) and the removal of forged ones (section 5).
#include "mailauth/report.h"

namespace mail::mailauth {

AuthResults auth_results_for(std::string_view authserv_id, const CheckResults& results,
                             const Verdict& verdict) {
  AuthResults ar;
  ar.authserv_id = std::string(authserv_id);
  if (results.spf.checked) {
    ResultInfo r;
    r.method = "spf";
    r.result = std::string(result_name(results.spf.result));
    r.comment = results.spf.explanation;
    // RFC 8601 2.7.2: smtp.mailfrom for MAIL FROM, smtp.helo when HELO was checked.
    r.properties.push_back(
        Property{"smtp", results.spf.helo ? "helo" : "mailfrom", results.spf.identity});
    ar.results.push_back(std::move(r));
  }
  if (results.dkim_checked) {
    if (results.dkim.empty()) ar.results.push_back(ResultInfo{"dkim", "none", "", "", {}});
    for (const DkimOutcome& k : results.dkim) {
      ResultInfo r;
      r.method = "dkim";
      r.result = std::string(result_name(k.result));
      r.comment = k.reason;
      r.properties.push_back(Property{"header", "d", k.domain});
      r.properties.push_back(Property{"header", "s", k.selector});
      if (!k.algorithm.empty()) r.properties.push_back(Property{"header", "a", k.algorithm});
      // RFC 6008: the first characters of b= tell several signatures of one domain apart.
      if (!k.b.empty()) r.properties.push_back(Property{"header", "b", k.b.substr(0, 8)});
      ar.results.push_back(std::move(r));
    }
  }
  for (const DmarcOutcome& d : results.dmarc) {
    ResultInfo r;
    r.method = "dmarc";
    r.result = std::string(result_name(d.result));
    std::string dis = "none";
    if (d.result == DmarcResult::Fail && verdict.action == Action::Quarantine &&
        d.disposition != DmarcPolicy::None)
      dis = "quarantine";
    if (d.result == DmarcResult::Fail || d.result == DmarcResult::Pass)
      r.comment = "p=" + std::string(policy_name(d.policy)) + " dis=" + dis;
    if (!d.reason.empty()) r.comment += (r.comment.empty() ? "" : "; ") + d.reason;
    r.properties.push_back(Property{"header", "from", d.from_domain});
    // What we did (RFC 7489 11.2 registers policy.dmarc); queued's local agent delivers
    // to the Junk mailbox when it reads "quarantine" here (quarantine.h).
    if (dis == "quarantine") r.properties.push_back(Property{"policy", "dmarc", dis});
    ar.results.push_back(std::move(r));
  }
  if (results.dmarc.empty() && !results.author_problem.empty() &&
      (results.spf.checked || results.dkim_checked))
    ar.results.push_back(ResultInfo{"dmarc", "permerror", "", results.author_problem, {}});
  return ar;
}

bool claims_our_id(const RawField& field, std::string_view authserv_id) {
  if (!iequals(field.name, "Authentication-Results")) return false;
  auto id = authserv_id_of(unfolded_value(field));
  return id && iequals(*id, authserv_id);
}

std::string without_our_auth_results(std::string_view message, const HeaderBlock& header,
                                     std::string_view authserv_id, size_t* removed) {
  size_t count = 0;
  std::string out = without_fields(message, header, [&](const RawField& f) {
    bool ours = claims_our_id(f, authserv_id);
    count += ours;
    return ours;
  });
  if (removed) *removed = count;
  return out;
}

}  // namespace mail::mailauth
