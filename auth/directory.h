// The directory of domains, accounts and aliases, and the password check shared by every
// daemon. LMDB (auth/lmdb_directory.cpp) is the embedded backend behind this interface.
//
// Addresses are compared case-insensitively and stored lower-cased. Password checks run
// argon2id and take tens of milliseconds: daemons go through auth::Authenticator
// (auth/authenticator.h), which throttles guessing and runs them on its own pool.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sasl/scram_keys.h"
#include "common/result.h"

namespace mail::auth {

struct Alias {
  std::string address;
  std::vector<std::string> targets;  // local accounts or other addresses
};

enum class RecipientKind {
  Local,    // delivers to `accounts`
  Unknown,  // our domain, no such user: 550 5.1.1 at RCPT
  Foreign,  // not one of our domains: relay, allowed only for authenticated clients
};

struct RecipientLookup {
  RecipientKind kind = RecipientKind::Unknown;
  std::vector<std::string> accounts;  // for Local: the accounts the address delivers to
};

// What a login needs from an account, read in one short transaction without hashing.
struct Credentials {
  std::string account;        // canonical address
  std::string password_hash;  // argon2id PHC string
  bool enabled = true;
  sasl::ScramCredentials scram;  // empty until derived (accounts from before SCRAM)
};

// An explicit right to use `address` as sender (a shared mailbox, a role address).
struct SenderGrant {
  std::string account;
  std::string address;
};

struct DirectoryOptions {
  // PBKDF2 iterations for SCRAM keys derived from now on (auth.scram_iterations).
  uint32_t scram_iterations = sasl::kDefaultScramIterations;
  // The most the LMDB map may grow to (server.directory_max_size).
  size_t max_map_size = size_t{1} << 30;
};

class Directory {
 public:
  virtual ~Directory() = default;

  virtual Result<void> add_domain(std::string_view domain) = 0;
  // Refused (Invalid) while accounts or aliases of the domain exist.
  virtual Result<void> remove_domain(std::string_view domain) = 0;
  virtual Result<std::vector<std::string>> list_domains() = 0;
  virtual Result<bool> has_domain(std::string_view domain) = 0;

  // The address's domain must exist. The password is hashed with argon2id here, and the
  // SCRAM-SHA-256 keys are derived from it.
  virtual Result<void> add_account(std::string_view address, std::string_view password) = 0;
  virtual Result<void> remove_account(std::string_view address) = 0;
  virtual Result<void> set_password(std::string_view address, std::string_view password) = 0;
  virtual Result<std::vector<std::string>> list_accounts() = 0;
  // A disabled account cannot log in; mail to it is still accepted and stored.
  // Not pure so that test fakes of this interface need not implement it.
  virtual Result<void> set_enabled(std::string_view address, bool enabled) {
    (void)address, (void)enabled;
    return make_error(ErrorKind::Invalid, "set_enabled is not supported by this directory");
  }

  // Adds `target` to the alias (creating it); the alias's domain must be ours.
  virtual Result<void> add_alias(std::string_view alias, std::string_view target) = 0;
  // Removes one target, or the whole alias when target is empty.
  virtual Result<void> remove_alias(std::string_view alias, std::string_view target = {}) = 0;
  virtual Result<std::vector<Alias>> list_aliases() = 0;

  // Resolves an envelope recipient: exact account, then alias (one level, local targets),
  // then the domain decides Unknown or Foreign.
  virtual Result<RecipientLookup> resolve(std::string_view address) = 0;

  // Checks a login (full address) and password. Returns the canonical account name, or
  // Denied. Takes the same time whether or not the account exists.
  virtual Result<std::string> authenticate(std::string_view login, std::string_view password) = 0;

  // The login data of the account `login` names (case-insensitive), or nullopt when it
  // names none. A short read: the caller hashes (auth::Authenticator).
  // The methods below are not pure so that test fakes of this interface need not
  // implement them.
  virtual Result<std::optional<Credentials>> credentials(std::string_view login) {
    (void)login;
    return make_error(ErrorKind::Invalid, "credentials is not supported by this directory");
  }
  // Stores SCRAM keys derived at a successful password login of an account that had none.
  // Ok(false), nothing written, when the account's password hash is no longer
  // `password_hash` (the password changed meanwhile) or it already has keys.
  virtual Result<bool> add_scram_credentials(std::string_view account,
                                             std::string_view password_hash,
                                             const sasl::ScramCredentials& scram) {
    (void)account, (void)password_hash, (void)scram;
    return make_error(ErrorKind::Invalid, "add_scram_credentials is not supported");
  }

  // Whether `account` may use `address` as its sender (RFC 6409 submission): its own
  // address, an alias that delivers to it, or an explicit grant. Malformed addresses and
  // unknown accounts are simply false.
  virtual Result<bool> may_send_as(std::string_view account, std::string_view address) {
    (void)account, (void)address;
    return make_error(ErrorKind::Invalid, "may_send_as is not supported by this directory");
  }
  // Grants (allow) or withdraws (deny) the right; the account must exist. Removing an
  // account removes its grants.
  virtual Result<void> allow_sender(std::string_view account, std::string_view address) {
    (void)account, (void)address;
    return make_error(ErrorKind::Invalid, "allow_sender is not supported by this directory");
  }
  virtual Result<void> deny_sender(std::string_view account, std::string_view address) {
    (void)account, (void)address;
    return make_error(ErrorKind::Invalid, "deny_sender is not supported by this directory");
  }
  // The explicit grants of one account, or of all accounts when `account` is empty.
  virtual Result<std::vector<SenderGrant>> list_senders(std::string_view account = {}) {
    (void)account;
    return make_error(ErrorKind::Invalid, "list_senders is not supported by this directory");
  }
};

Result<std::unique_ptr<Directory>> open_lmdb_directory(const std::filesystem::path& dir,
                                                       DirectoryOptions options = {});

}  // namespace mail::auth
