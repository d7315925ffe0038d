// The LMDB directory's login side: the synchronous password check kept for callers that
// run it on a worker pool themselves, the credential read the Authenticator uses, and
// storing SCRAM keys derived at a login (accounts made before version 2 records).
#include <optional>

#include "auth/address.h"
#include "auth/lmdb_directory.h"
#include "auth/password.h"

namespace mail::auth {

Result<std::optional<Credentials>> LmdbDirectory::credentials(std::string_view login) {
  auto a = normalize_address(login);
  if (!a) return std::optional<Credentials>{};
  auto txn = begin(false);
  if (!txn) return txn.error();
  auto got = txn->get(accounts_, *a);
  if (!got) return got.error();
  if (!got->has_value()) return std::optional<Credentials>{};
  auto record = decode_account(**got);
  if (!record) return record.error();
  return std::optional<Credentials>(Credentials{std::move(*a), std::move(record->password_hash),
                                                record->enabled, std::move(record->scram)});
}

Result<std::string> LmdbDirectory::authenticate(std::string_view login, std::string_view password) {
  // The read transaction ends before the slow hash: credentials() copies the record out.
  auto found = credentials(login);
  if (!found) return found.error();
  const std::optional<Credentials>& c = *found;
  // Always one argon2 verification, so an unknown login costs the same as a wrong password.
  bool match = verify_password(c ? c->password_hash : dummy_password_hash(), password);
  if (!c || !match || !c->enabled) return make_error(ErrorKind::Denied, "authentication failed");
  return c->account;
}

Result<bool> LmdbDirectory::add_scram_credentials(std::string_view account,
                                                  std::string_view password_hash,
                                                  const sasl::ScramCredentials& scram) {
  auto a = normalize_address(account);
  if (!a) return a.error();
  if (scram.empty()) return make_error(ErrorKind::Invalid, "empty SCRAM credentials");
  auto txn = begin(true);
  if (!txn) return txn.error();
  auto got = txn->get(accounts_, *a);
  if (!got) return got.error();
  if (!got->has_value()) return false;  // removed meanwhile
  auto record = decode_account(**got);
  if (!record) return record.error();
  // Compare-and-set on the password hash: keys from an old password must never land on
  // an account whose password was changed since the login that derived them.
  if (record->password_hash != password_hash || !record->scram.empty()) return false;
  record->scram = scram;
  if (auto r = txn->put(accounts_, *a, encode(*record)); !r) return r.error();
  if (auto r = txn->commit(); !r) return r.error();
  return true;
}

}  // namespace mail::auth
