// What we add to an inbound message: our Authentication-Results field (RFC 8601) with
// the results of SPF, DKIM and DMARC and, when the verdict is to quarantine, the
// disposition (policy.dmarc=quarantine) that queued's local agent reads back
// (quarantine.h). And what we remove first: every Authentication-Results field that
// claims our authserv-id (RFC 8601 5), wherever it is in the header. Pure.
#pragma once

#include <string>
#include <string_view>

#include "mailauth/auth_results.h"
#include "mailauth/header_block.h"
#include "mailauth/verdict.h"

namespace mail::mailauth {

AuthResults auth_results_for(std::string_view authserv_id, const CheckResults& results,
                             const Verdict& verdict);

// True when the field is an Authentication-Results field whose authserv-id is ours
// (compared without case; a value we cannot parse past its authserv-id still counts).
bool claims_our_id(const RawField& field, std::string_view authserv_id);

// The message without those fields; `removed` counts them.
std::string without_our_auth_results(std::string_view message, const HeaderBlock& header,
                                     std::string_view authserv_id, size_t* removed = nullptr);

}  // namespace mail::mailauth
