// The postmaster rule (RFC 5321 4.5.1); see postmaster.h. `address` comes from a client's
// RCPT (via smtpd) or from the queue record smtpd wrote.
#include "auth/postmaster.h"

#include "auth/address.h"

namespace mail::auth {
namespace {

// The postmaster of `domain` (ours) when no account or alias of that name exists.
Result<RecipientLookup> default_postmaster(Directory& directory, std::string_view domain,
                                           std::string_view postmaster_account) {
  if (!postmaster_account.empty()) {
    auto configured = directory.resolve(postmaster_account);
    if (!configured) return configured.error();
    if (configured->kind == RecipientKind::Local && !configured->accounts.empty())
      return configured;
  }
  auto accounts = directory.list_accounts();
  if (!accounts) return accounts.error();
  for (const auto& account : *accounts) {  // sorted by address
    if (domain_of(account) == domain) return RecipientLookup{RecipientKind::Local, {account}};
  }
  return RecipientLookup{RecipientKind::Unknown, {}};
}

}  // namespace

bool is_postmaster(std::string_view address) {
  const size_t at = address.rfind('@');
  const std::string_view local = address.substr(0, at);
  return to_lower_ascii(local) == "postmaster";
}

Result<RecipientLookup> resolve_recipient(Directory& directory, std::string_view address,
                                          std::string_view postmaster_account) {
  if (address.find('@') == std::string_view::npos) {
    // RFC 5321 4.1.1.3: "<Postmaster>" without a domain. Nothing else is a recipient.
    if (!is_postmaster(address)) return RecipientLookup{RecipientKind::Unknown, {}};
    auto domains = directory.list_domains();
    if (!domains) return domains.error();
    if (domains->empty()) return RecipientLookup{RecipientKind::Unknown, {}};
    return resolve_recipient(directory, "postmaster@" + domains->front(), postmaster_account);
  }
  auto lookup = directory.resolve(address);
  if (!lookup || lookup->kind != RecipientKind::Unknown || !is_postmaster(address)) return lookup;
  auto domain = normalize_domain(domain_of(address));
  if (!domain) return lookup;
  return default_postmaster(directory, *domain, postmaster_account);
}

}  // namespace mail::auth
