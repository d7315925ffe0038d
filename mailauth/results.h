// What each check found, as RFC 8601 names the results (section 2.7), and what the
// checks of one message decided. Shared by the checks (spf_check, dkim_verify,
// dmarc_check), the writer of our Authentication-Results field (report.h) and the
// decision (verdict.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mail::mailauth {

// RFC 7208 2.6 / RFC 8601 2.7.2.
enum class SpfResult { None, Neutral, Pass, Fail, SoftFail, TempError, PermError };
// RFC 6376 / RFC 8601 2.7.1. Neutral: a valid signature that covers only part of the body
// (l=, see dkim_verify.h); Policy: a valid signature we do not accept (key too small).
enum class DkimResult { None, Pass, Fail, Policy, Neutral, TempError, PermError };
// RFC 7489 11.2.
enum class DmarcResult { None, Pass, Fail, TempError, PermError };
// A DMARC policy (p=, sp=) and what we did about it (dis=).
enum class DmarcPolicy { None, Quarantine, Reject };

std::string_view result_name(SpfResult r);
std::string_view result_name(DkimResult r);
std::string_view result_name(DmarcResult r);
std::string_view policy_name(DmarcPolicy p);

struct SpfOutcome {
  SpfResult result = SpfResult::None;
  bool checked = false;     // false: not run (disabled, or an authenticated session)
  bool helo = false;        // the HELO identity was checked (null reverse-path, RFC 7208 2.4)
  std::string identity;     // the MAIL FROM address, or the HELO name when `helo`
  std::string domain;       // the domain whose record was evaluated
  std::string explanation;  // for the comment of our field and the 550 text
};

struct DkimOutcome {
  DkimResult result = DkimResult::None;
  std::string domain;     // d=
  std::string selector;   // s=
  std::string algorithm;  // a=
  std::string identity;   // i=
  std::string b;          // b= (whitespace removed); header.b carries its first 8 characters
  std::string reason;     // why it did not pass, for the comment
};

struct DmarcOutcome {
  DmarcResult result = DmarcResult::None;
  bool checked = false;
  std::string from_domain;    // the RFC5322.From domain evaluated
  std::string record_domain;  // where the record was found (From or Organizational Domain)
  DmarcPolicy policy = DmarcPolicy::None;       // p= (or sp= for a subdomain) that applies
  DmarcPolicy disposition = DmarcPolicy::None;  // after pct= sampling (RFC 7489 6.6.4)
  bool spf_aligned = false;
  bool dkim_aligned = false;
  std::string reason;
};

}  // namespace mail::mailauth
