// Recipient resolution with the postmaster rule of RFC 5321 4.5.1: every domain we receive
// mail for accepts "postmaster" (in any case), and the bare "<Postmaster>" is accepted too,
// without an administrator creating anything. smtpd checks RCPT with it and queued
// re-resolves with it at delivery, so both always agree.
#pragma once

#include <string_view>

#include "auth/directory.h"
#include "common/result.h"

namespace mail::auth {

// True for "postmaster" with or without a domain, local part in any case.
bool is_postmaster(std::string_view address);

// Directory::resolve() first: a real postmaster account or alias wins. When that says
// Unknown for postmaster@<one of our domains>, or `address` is the bare "postmaster", the
// mail goes to `postmaster_account` ([server] postmaster) when it resolves to local
// accounts, else to the first account (in address order) of that domain; the bare form
// uses the first domain (in name order). Unknown only when there is no account to take it.
Result<RecipientLookup> resolve_recipient(Directory& directory, std::string_view address,
                                          std::string_view postmaster_account);

}  // namespace mail::auth
