// The LMDB backend of auth::Directory: domains, accounts, aliases, and opening the
// environment (layout in lmdb_directory.h).
#include <algorithm>
#include <exception>
#include <optional>

#include "auth/address.h"
#include "auth/lmdb_directory.h"
#include "auth/password.h"
#include "common/codec.h"
#include "common/lmdb.h"

namespace mail::auth {
namespace {

constexpr uint32_t kSchemaVersion = 1;
constexpr std::string_view kSchemaKey = "schema_version";

std::string domain_value() {
  return std::string(1, static_cast<char>(kDomainRecordVersion));
}

}  // namespace

Result<AccountRecord> LmdbDirectory::hash_new_password(std::string_view password) const {
  if (password.empty()) return make_error(ErrorKind::Invalid, "empty password");
  try {
    AccountRecord record;
    record.password_hash = hash_password(password);
    record.scram = sasl::new_scram_credentials(password, options_.scram_iterations);
    return record;
  } catch (const std::exception& e) {
    return make_error(ErrorKind::Temporary, e.what());
  }
}

Result<bool> LmdbDirectory::exists(lmdb::Txn& txn, MDB_dbi dbi, std::string_view key) {
  auto got = txn.get(dbi, key);
  if (!got) return got.error();
  return got->has_value();
}

Result<std::vector<std::string>> LmdbDirectory::keys(MDB_dbi dbi) {
  auto txn = begin(false);
  if (!txn) return txn.error();
  auto cur = lmdb::Cursor::open(*txn, dbi);
  if (!cur) return cur.error();
  std::vector<std::string> out;
  for (bool more = cur->first(); more; more = cur->next()) out.emplace_back(cur->key());
  return out;
}

Result<void> LmdbDirectory::add_domain(std::string_view domain) {
  auto d = normalize_domain(domain);
  if (!d) return d.error();
  auto txn = begin(true);
  if (!txn) return txn.error();
  auto found = exists(*txn, domains_, *d);
  if (!found) return found.error();
  if (*found) return make_error(ErrorKind::Exists, "domain " + *d + " already exists");
  if (auto r = txn->put(domains_, *d, domain_value()); !r) return r;
  return txn->commit();
}

Result<void> LmdbDirectory::remove_domain(std::string_view domain) {
  auto d = normalize_domain(domain);
  if (!d) return d.error();
  auto txn = begin(true);
  if (!txn) return txn.error();
  auto found = exists(*txn, domains_, *d);
  if (!found) return found.error();
  if (!*found) return make_error(ErrorKind::NotFound, "no domain " + *d);
  // Keys sort by local part, so finding the domain's entries is a full scan: fine for an
  // administrative command on a directory of this size.
  for (MDB_dbi dbi : {accounts_, aliases_}) {
    auto cur = lmdb::Cursor::open(*txn, dbi);
    if (!cur) return cur.error();
    for (bool more = cur->first(); more; more = cur->next()) {
      if (domain_of(cur->key()) == *d)
        return make_error(ErrorKind::Invalid, "domain " + *d + " still has " +
                                                  (dbi == accounts_ ? "accounts" : "aliases") +
                                                  ", e.g. " + std::string(cur->key()));
    }
  }
  if (auto r = txn->del(domains_, *d); !r) return r.error();
  return txn->commit();
}

Result<std::vector<std::string>> LmdbDirectory::list_domains() {
  return keys(domains_);
}

Result<bool> LmdbDirectory::has_domain(std::string_view domain) {
  auto d = normalize_domain(domain);
  if (!d) return false;  // a malformed name is simply not one of ours
  auto txn = begin(false);
  if (!txn) return txn.error();
  return exists(*txn, domains_, *d);
}

Result<void> LmdbDirectory::add_account(std::string_view address, std::string_view password) {
  auto a = normalize_address(address);
  if (!a) return a.error();
  auto record = hash_new_password(password);
  if (!record) return record.error();
  auto txn = begin(true);
  if (!txn) return txn.error();
  auto domain = exists(*txn, domains_, domain_of(*a));
  if (!domain) return domain.error();
  if (!*domain) return make_error(ErrorKind::NotFound, "no domain " + std::string(domain_of(*a)));
  for (MDB_dbi dbi : {accounts_, aliases_}) {
    auto found = exists(*txn, dbi, *a);
    if (!found) return found.error();
    if (*found)
      return make_error(ErrorKind::Exists,
                        (dbi == accounts_ ? "account " : "alias ") + *a + " already exists");
  }
  if (auto r = txn->put(accounts_, *a, encode(*record)); !r) return r;
  return txn->commit();
}

Result<void> LmdbDirectory::remove_account(std::string_view address) {
  auto a = normalize_address(address);
  if (!a) return a.error();
  auto txn = begin(true);
  if (!txn) return txn.error();
  auto deleted = txn->del(accounts_, *a);
  if (!deleted) return deleted.error();
  if (!*deleted) return make_error(ErrorKind::NotFound, "no account " + *a);
  // Aliases pointing here keep the target; resolve() skips targets that are not accounts.
  // Its send-as grants go: a new account of the same name must not inherit them.
  if (auto r = remove_grants(*txn, *a); !r) return r;
  return txn->commit();
}

template <typename Change>
Result<void> LmdbDirectory::update_account(std::string_view address, Change change) {
  auto a = normalize_address(address);
  if (!a) return a.error();
  auto txn = begin(true);
  if (!txn) return txn.error();
  auto got = txn->get(accounts_, *a);
  if (!got) return got.error();
  if (!got->has_value()) return make_error(ErrorKind::NotFound, "no account " + *a);
  auto record = decode_account(**got);
  if (!record) return record.error();
  change(*record);
  if (auto r = txn->put(accounts_, *a, encode(*record)); !r) return r;
  return txn->commit();
}

Result<void> LmdbDirectory::set_password(std::string_view address, std::string_view password) {
  auto fresh = hash_new_password(password);
  if (!fresh) return fresh.error();
  return update_account(address, [&](AccountRecord& r) {
    r.password_hash = std::move(fresh->password_hash);
    r.scram = std::move(fresh->scram);
  });
}

Result<void> LmdbDirectory::set_enabled(std::string_view address, bool enabled) {
  return update_account(address, [&](AccountRecord& r) { r.enabled = enabled; });
}

Result<std::vector<std::string>> LmdbDirectory::list_accounts() {
  return keys(accounts_);
}

Result<void> LmdbDirectory::add_alias(std::string_view alias, std::string_view target) {
  auto a = normalize_address(alias);
  if (!a) return a.error();
  auto t = normalize_address(target);
  if (!t) return t.error();
  if (*a == *t) return make_error(ErrorKind::Invalid, "alias " + *a + " cannot point to itself");
  auto txn = begin(true);
  if (!txn) return txn.error();
  auto domain = exists(*txn, domains_, domain_of(*a));
  if (!domain) return domain.error();
  if (!*domain) return make_error(ErrorKind::NotFound, "no domain " + std::string(domain_of(*a)));
  auto account = exists(*txn, accounts_, *a);
  if (!account) return account.error();
  if (*account) return make_error(ErrorKind::Exists, "account " + *a + " already exists");
  auto got = txn->get(aliases_, *a);
  if (!got) return got.error();
  AliasRecord record;
  if (got->has_value()) {
    auto decoded = decode_alias(**got);
    if (!decoded) return decoded.error();
    record = std::move(*decoded);
  }
  if (std::find(record.targets.begin(), record.targets.end(), *t) != record.targets.end())
    return make_error(ErrorKind::Exists, "alias " + *a + " already has target " + *t);
  record.targets.push_back(*t);
  if (auto r = txn->put(aliases_, *a, encode(record)); !r) return r;
  return txn->commit();
}

Result<void> LmdbDirectory::remove_alias(std::string_view alias, std::string_view target) {
  auto a = normalize_address(alias);
  if (!a) return a.error();
  auto txn = begin(true);
  if (!txn) return txn.error();
  auto got = txn->get(aliases_, *a);
  if (!got) return got.error();
  if (!got->has_value()) return make_error(ErrorKind::NotFound, "no alias " + *a);
  if (target.empty()) {
    if (auto r = txn->del(aliases_, *a); !r) return r.error();
    return txn->commit();
  }
  auto record = decode_alias(**got);
  if (!record) return record.error();
  std::string t = to_lower_ascii(target);  // stored targets are canonical
  auto it = std::find(record->targets.begin(), record->targets.end(), t);
  if (it == record->targets.end())
    return make_error(ErrorKind::NotFound, "alias " + *a + " has no target " + t);
  record->targets.erase(it);
  // An alias with no targets would resolve to nothing: remove it instead.
  if (record->targets.empty()) {
    if (auto r = txn->del(aliases_, *a); !r) return r.error();
  } else if (auto r = txn->put(aliases_, *a, encode(*record)); !r) {
    return r;
  }
  return txn->commit();
}

Result<std::vector<Alias>> LmdbDirectory::list_aliases() {
  auto txn = begin(false);
  if (!txn) return txn.error();
  auto cur = lmdb::Cursor::open(*txn, aliases_);
  if (!cur) return cur.error();
  std::vector<Alias> out;
  for (bool more = cur->first(); more; more = cur->next()) {
    auto record = decode_alias(cur->value());
    if (!record) return record.error();
    out.push_back(Alias{std::string(cur->key()), std::move(record->targets)});
  }
  return out;
}

Result<RecipientLookup> LmdbDirectory::resolve(std::string_view address) {
  std::string lower = to_lower_ascii(address);
  auto a = normalize_address(lower);
  auto txn = begin(false);
  if (!txn) return txn.error();
  if (a) {
    auto account = exists(*txn, accounts_, *a);
    if (!account) return account.error();
    if (*account) return RecipientLookup{RecipientKind::Local, {*a}};
    auto got = txn->get(aliases_, *a);
    if (!got) return got.error();
    if (got->has_value()) {
      auto record = decode_alias(**got);
      if (!record) return record.error();
      RecipientLookup lookup{RecipientKind::Local, {}};
      // One level only; targets that are not local accounts (forwarding, nested aliases)
      // are kept in the record but not delivered yet.
      for (const auto& t : record->targets) {
        auto local = exists(*txn, accounts_, t);
        if (!local) return local.error();
        if (*local &&
            std::find(lookup.accounts.begin(), lookup.accounts.end(), t) == lookup.accounts.end())
          lookup.accounts.push_back(t);
      }
      // No deliverable target: answer Unknown (550 at RCPT) rather than accept and drop.
      if (!lookup.accounts.empty()) return lookup;
    }
  }
  auto d = normalize_domain(domain_of(lower));
  if (!d) return RecipientLookup{RecipientKind::Foreign, {}};
  auto ours = exists(*txn, domains_, *d);
  if (!ours) return ours.error();
  return RecipientLookup{*ours ? RecipientKind::Unknown : RecipientKind::Foreign, {}};
}

Result<std::unique_ptr<Directory>> open_lmdb_directory(const std::filesystem::path& dir,
                                                       DirectoryOptions options) {
  lmdb::EnvOptions env_options;
  env_options.map_size = options.max_map_size;  // server.directory_max_size; grows up to it
  auto env = lmdb::Env::open(dir, env_options);
  if (!env) return env.error();
  auto txn = lmdb::Txn::begin(**env, true);
  if (!txn) return txn.error();
  MDB_dbi dbis[5];
  const char* names[5] = {"meta", "domains", "accounts", "aliases", "senders"};
  for (int i = 0; i < 5; ++i) {
    auto dbi = txn->open_db(names[i], true);
    if (!dbi) return dbi.error();
    dbis[i] = *dbi;
  }
  auto schema = txn->get(dbis[0], kSchemaKey);
  if (!schema) return schema.error();
  if (!schema->has_value()) {
    Encoder e;
    e.u32(kSchemaVersion);
    if (auto r = txn->put(dbis[0], kSchemaKey, e.bytes()); !r) return r.error();
  } else {
    Decoder d(**schema);
    uint32_t version = d.u32();
    if (!d.ok() || !d.at_end() || version != kSchemaVersion)
      return make_error(
          ErrorKind::Corrupt,
          "directory " + dir.string() + ": unsupported schema version " + std::to_string(version));
  }
  if (auto r = txn->commit(); !r) return r.error();
  LmdbDirectory::Databases dbs{dbis[1], dbis[2], dbis[3], dbis[4]};
  return std::unique_ptr<Directory>(new LmdbDirectory(std::move(*env), dbs, options));
}

}  // namespace mail::auth
