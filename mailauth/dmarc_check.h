// DMARC (RFC 7489) with libopendmarc: the policy record of the author domain, alignment
// of SPF and DKIM with it, and the policy to apply.
//
// Records are found by our resolver (asynchronously, at the same time as the DKIM keys):
// _dmarc.<From domain>, and _dmarc.<Organizational Domain> (public suffix list,
// public_suffix.h) when the first has none (RFC 7489 6.6.3); libopendmarc is given the
// record text (opendmarc_policy_store_dmarc), so its own resolver is never used. It checks
// alignment (relaxed or strict, adkim= and aspf=, with the same public suffix list) and
// chooses p= or sp=. pct= (RFC 7489 6.6.4) samples: a message outside the percentage gets
// the next milder policy.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/dns/resolver.h"
#include "common/result.h"
#include "mailauth/results.h"

namespace mail::mailauth {

// What the DNS said for one _dmarc name.
struct RecordAnswer {
  dns::Status status = dns::Status::Error;
  bool temporary = true;
  std::vector<std::string> records;
};

// RFC 7489 6.6.3 step 3-4: of the TXT records, those starting with "v=DMARC1"; exactly
// one is a record, none or several mean none. Pure.
std::optional<std::string> dmarc_record(const std::vector<std::string>& txt);

// libopendmarc's one-time set-up (its public suffix list is process-wide); thread-safe,
// the first call wins.
Result<void> init_dmarc_library(const std::filesystem::path& public_suffix_list);

// Evaluates DMARC for one author domain. `at_from`: the answer for _dmarc.<from_domain>;
// `at_org`: for _dmarc.<org_domain>, null when the From domain is its own Organizational
// Domain. `roll` in [0, 100) decides pct= sampling. Pure apart from libopendmarc.
DmarcOutcome evaluate_dmarc(const std::string& from_domain, const std::string& org_domain,
                            const RecordAnswer& at_from, const RecordAnswer* at_org,
                            const std::string& client_ip, const SpfOutcome& spf,
                            const std::vector<DkimOutcome>& dkim, int roll);

}  // namespace mail::mailauth
