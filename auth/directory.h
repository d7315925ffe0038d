// The directory of domains, accounts and aliases, and the password check shared by every
// daemon. LMDB (auth/lmdb_directory.cpp) is the embedded backend behind this interface.
//
// Addresses are compared case-insensitively and stored lower-cased. Password checks run
// argon2id and take tens of milliseconds: callers on an event loop run them on the worker
// pool.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

class Directory {
 public:
  virtual ~Directory() = default;

  virtual Result<void> add_domain(std::string_view domain) = 0;
  // Refused (Invalid) while accounts or aliases of the domain exist.
  virtual Result<void> remove_domain(std::string_view domain) = 0;
  virtual Result<std::vector<std::string>> list_domains() = 0;
  virtual Result<bool> has_domain(std::string_view domain) = 0;

  // The address's domain must exist. The password is hashed with argon2id here.
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
};

Result<std::unique_ptr<Directory>> open_lmdb_directory(const std::filesystem::path& dir,
                                                       size_t max_map_size = size_t{1} << 30);

}  // namespace mail::auth
