// Send-as permissions of the LMDB directory (layout in lmdb_directory.h). An account may
// send as its own address, as any alias that delivers to it (one level, as resolve()),
// and as addresses an administrator granted it (`mailctl sender allow`).
#include "auth/address.h"
#include "auth/lmdb_directory.h"

namespace mail::auth {

std::string sender_grant_key(std::string_view account, std::string_view address) {
  std::string key(account);
  key.push_back('\0');  // never inside a canonical address
  key.append(address);
  return key;
}

Result<bool> LmdbDirectory::may_send_as(std::string_view account, std::string_view address) {
  auto acct = normalize_address(account);
  auto addr = normalize_address(address);
  if (!acct || !addr) return false;
  auto txn = begin(false);
  if (!txn) return txn.error();
  auto is_account = exists(*txn, accounts_, *acct);
  if (!is_account) return is_account.error();
  if (!*is_account) return false;
  if (*addr == *acct) return true;
  auto alias = txn->get(aliases_, *addr);
  if (!alias) return alias.error();
  if (alias->has_value()) {
    auto record = decode_alias(**alias);
    if (!record) return record.error();
    for (const auto& target : record->targets) {
      if (target == *acct) return true;
    }
  }
  return exists(*txn, senders_, sender_grant_key(*acct, *addr));
}

Result<void> LmdbDirectory::allow_sender(std::string_view account, std::string_view address) {
  auto acct = normalize_address(account);
  if (!acct) return acct.error();
  auto addr = normalize_address(address);
  if (!addr) return addr.error();
  if (*acct == *addr) return make_error(ErrorKind::Exists, *acct + " may always send as itself");
  auto txn = begin(true);
  if (!txn) return txn.error();
  auto is_account = exists(*txn, accounts_, *acct);
  if (!is_account) return is_account.error();
  if (!*is_account) return make_error(ErrorKind::NotFound, "no account " + *acct);
  const std::string key = sender_grant_key(*acct, *addr);
  auto found = exists(*txn, senders_, key);
  if (!found) return found.error();
  if (*found) return make_error(ErrorKind::Exists, *acct + " may already send as " + *addr);
  if (auto r = txn->put(senders_, key, std::string(1, static_cast<char>(kSenderGrantVersion))); !r)
    return r;
  return txn->commit();
}

Result<void> LmdbDirectory::deny_sender(std::string_view account, std::string_view address) {
  auto acct = normalize_address(account);
  if (!acct) return acct.error();
  auto addr = normalize_address(address);
  if (!addr) return addr.error();
  auto txn = begin(true);
  if (!txn) return txn.error();
  auto deleted = txn->del(senders_, sender_grant_key(*acct, *addr));
  if (!deleted) return deleted.error();
  if (!*deleted)
    return make_error(ErrorKind::NotFound, "no grant for " + *acct + " to send as " + *addr);
  return txn->commit();
}

Result<std::vector<SenderGrant>> LmdbDirectory::list_senders(std::string_view account) {
  std::string prefix;
  if (!account.empty()) {
    auto acct = normalize_address(account);
    if (!acct) return acct.error();
    prefix = sender_grant_key(*acct, "");
  }
  auto txn = begin(false);
  if (!txn) return txn.error();
  auto cur = lmdb::Cursor::open(*txn, senders_);
  if (!cur) return cur.error();
  std::vector<SenderGrant> out;
  // LMDB refuses an empty key for a seek: list everything from the first entry instead.
  bool more = prefix.empty() ? cur->first() : cur->seek(prefix);
  for (; more && cur->key().starts_with(prefix); more = cur->next()) {
    const std::string_view key = cur->key();
    const size_t nul = key.find('\0');
    if (nul == std::string_view::npos)
      return make_error(ErrorKind::Corrupt, "senders: key without separator");
    out.push_back(SenderGrant{std::string(key.substr(0, nul)), std::string(key.substr(nul + 1))});
  }
  return out;
}

Result<void> LmdbDirectory::remove_grants(lmdb::Txn& txn, std::string_view account) {
  const std::string prefix = sender_grant_key(account, "");
  auto cur = lmdb::Cursor::open(txn, senders_);
  if (!cur) return cur.error();
  // After a cursor delete LMDB positions on the next entry; re-seek for clarity.
  while (cur->seek(prefix) && cur->key().starts_with(prefix)) {
    if (auto r = cur->del(); !r) return r;
  }
  return {};
}

}  // namespace mail::auth
