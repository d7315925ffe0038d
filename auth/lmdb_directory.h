// The LMDB backend of auth::Directory (internal to auth/; daemons use directory.h). One
// environment (data_dir/directory) with five databases:
//   meta      "schema_version" -> u32 (1)
//   domains   domain -> u8 version (room for per-domain settings)
//   accounts  address -> AccountRecord (records.h: versioned; password hash, enabled,
//             SCRAM-SHA-256 keys from version 2 on)
//   aliases   address -> AliasRecord (versioned list of target addresses)
//   senders   account NUL address -> u8 version: explicit send-as grants
// The `senders` database was added without a schema change: it is created when missing,
// and older programs never open it. Keys are canonical (address.h): lower-cased and
// syntax-checked on the way in, so every stored key is trusted to be well formed; values
// are decoded defensively (Corrupt). Password hashing and SCRAM key derivation run before a
// write transaction begins, never inside one, so that the single LMDB writer is not held
// for the hashing time.
//
// The methods live in three files: lmdb_directory.cpp (domains, accounts, aliases,
// opening), lmdb_login.cpp (password checks and SCRAM keys), lmdb_senders.cpp (send-as).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/directory.h"
#include "auth/records.h"
#include "common/lmdb.h"

namespace mail::auth {

class LmdbDirectory final : public Directory {
 public:
  struct Databases {
    MDB_dbi domains, accounts, aliases, senders;
  };
  LmdbDirectory(std::unique_ptr<lmdb::Env> env, Databases dbs, DirectoryOptions options)
      : env_(std::move(env)),
        domains_(dbs.domains),
        accounts_(dbs.accounts),
        aliases_(dbs.aliases),
        senders_(dbs.senders),
        options_(options) {}

  Result<void> add_domain(std::string_view domain) override;
  Result<void> remove_domain(std::string_view domain) override;
  Result<std::vector<std::string>> list_domains() override;
  Result<bool> has_domain(std::string_view domain) override;
  Result<void> add_account(std::string_view address, std::string_view password) override;
  Result<void> remove_account(std::string_view address) override;
  Result<void> set_password(std::string_view address, std::string_view password) override;
  Result<void> set_enabled(std::string_view address, bool enabled) override;
  Result<std::vector<std::string>> list_accounts() override;
  Result<void> add_alias(std::string_view alias, std::string_view target) override;
  Result<void> remove_alias(std::string_view alias, std::string_view target) override;
  Result<std::vector<Alias>> list_aliases() override;
  Result<RecipientLookup> resolve(std::string_view address) override;

  // lmdb_login.cpp
  Result<std::string> authenticate(std::string_view login, std::string_view password) override;
  Result<std::optional<Credentials>> credentials(std::string_view login) override;
  Result<bool> add_scram_credentials(std::string_view account, std::string_view password_hash,
                                     const sasl::ScramCredentials& scram) override;

  // lmdb_senders.cpp
  Result<bool> may_send_as(std::string_view account, std::string_view address) override;
  Result<void> allow_sender(std::string_view account, std::string_view address) override;
  Result<void> deny_sender(std::string_view account, std::string_view address) override;
  Result<std::vector<SenderGrant>> list_senders(std::string_view account) override;

 private:
  Result<lmdb::Txn> begin(bool write) { return lmdb::Txn::begin(*env_, write); }
  Result<bool> exists(lmdb::Txn& txn, MDB_dbi dbi, std::string_view key);
  Result<std::vector<std::string>> keys(MDB_dbi dbi);
  // Reads, changes and writes back one account record.
  template <typename Change>
  Result<void> update_account(std::string_view address, Change change);
  // The argon2id hash and SCRAM keys of a new password (before any transaction).
  Result<AccountRecord> hash_new_password(std::string_view password) const;
  // Deletes every grant of `account` inside `txn` (when the account goes).
  Result<void> remove_grants(lmdb::Txn& txn, std::string_view account);

  std::unique_ptr<lmdb::Env> env_;
  MDB_dbi domains_, accounts_, aliases_, senders_;
  DirectoryOptions options_;
};

// The `senders` key of a grant.
std::string sender_grant_key(std::string_view account, std::string_view address);

}  // namespace mail::auth
