// mailctl domain/user/alias commands: the directory (auth/directory.h), and for users also
// the mailbox store, kept in step. Operands are untrusted; the directory validates and
// lower-cases them (auth/address.h). List output is one item per line, sorted, for scripts.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "auth/address.h"
#include "auth/directory.h"
#include "auth/open_directory.h"
#include "ctl/commands.h"
#include "ctl/password_input.h"
#include "store/open_store.h"

namespace mail::ctl {
namespace {

Result<std::unique_ptr<auth::Directory>> open_directory(const Invocation& inv) {
  return auth::open_directory(inv.config);
}

Result<std::unique_ptr<store::MailStore>> open_store(const Invocation& inv) {
  return store::open_store(inv.config);
}

void print_sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  for (const auto& item : items) std::printf("%s\n", item.c_str());
}

Error prefixed(std::string_view what, const Error& e) {
  return make_error(e.kind, std::string(what) + ": " + e.message);
}

}  // namespace

Result<void> domain_add(const Invocation& inv) {
  auto dir = open_directory(inv);
  if (!dir) return dir.error();
  return (*dir)->add_domain(inv.operands[0]);
}

Result<void> domain_list(const Invocation& inv) {
  auto dir = open_directory(inv);
  if (!dir) return dir.error();
  auto domains = (*dir)->list_domains();
  if (!domains) return domains.error();
  print_sorted(std::move(*domains));
  return {};
}

Result<void> domain_remove(const Invocation& inv) {
  auto dir = open_directory(inv);
  if (!dir) return dir.error();
  return (*dir)->remove_domain(inv.operands[0]);
}

// The directory account first (it checks the domain and duplicates), then the store
// account; a store failure undoes the directory account so that no one can log in to an
// account without mailboxes.
Result<void> user_add(const Invocation& inv) {
  auto address = auth::normalize_address(inv.operands[0]);
  if (!address) return address.error();
  auto dir = open_directory(inv);
  if (!dir) return dir.error();
  // Checked before asking for the password, so that a typo fails fast.
  auto domain = (*dir)->has_domain(auth::domain_of(*address));
  if (!domain) return domain.error();
  if (!*domain)
    return make_error(ErrorKind::NotFound, "no domain " + std::string(auth::domain_of(*address)));
  auto password = read_new_password(inv.password_file);
  if (!password) return password.error();
  auto store = open_store(inv);
  if (!store) return prefixed("store", store.error());
  if (auto added = (*dir)->add_account(*address, *password); !added) return added;
  if (auto created = (*store)->create_account(*address); !created) {
    auto undone = (*dir)->remove_account(*address);
    std::string note =
        undone ? "" : " (and undoing the directory account failed: " + undone.error().message + ")";
    if (created.error().kind == ErrorKind::Exists) {
      return make_error(ErrorKind::Exists,
                        "store: account " + *address +
                            " already has mailboxes, left from an earlier account; "
                            "`mailctl user remove` deletes them" +
                            note);
    }
    return make_error(created.error().kind, "store: " + created.error().message + note);
  }
  return {};
}

Result<void> user_list(const Invocation& inv) {
  auto dir = open_directory(inv);
  if (!dir) return dir.error();
  auto accounts = (*dir)->list_accounts();
  if (!accounts) return accounts.error();
  print_sorted(std::move(*accounts));
  return {};
}

// Removes the account from the directory (no more logins or deliveries), then its mailboxes.
// Either half may already be gone after an interrupted add or remove; only when both are
// missing is it an error, so that running the command again always finishes the job.
Result<void> user_remove(const Invocation& inv) {
  auto address = auth::normalize_address(inv.operands[0]);
  if (!address) return address.error();
  auto dir = open_directory(inv);
  if (!dir) return dir.error();
  auto removed = (*dir)->remove_account(*address);
  if (!removed && removed.error().kind != ErrorKind::NotFound) return removed;
  bool in_directory = removed.ok();
  bool in_store = false;
  std::error_code ec;
  if (std::filesystem::exists(inv.config.store_dir(), ec)) {
    auto store = open_store(inv);
    if (!store) return prefixed("store", store.error());
    auto deleted = (*store)->delete_account(*address);
    if (!deleted && deleted.error().kind != ErrorKind::NotFound)
      return prefixed("store", deleted.error());
    in_store = deleted.ok();
  }
  if (!in_directory && !in_store) return make_error(ErrorKind::NotFound, "no account " + *address);
  return {};
}

Result<void> user_passwd(const Invocation& inv) {
  auto address = auth::normalize_address(inv.operands[0]);
  if (!address) return address.error();
  auto dir = open_directory(inv);
  if (!dir) return dir.error();
  auto accounts = (*dir)->list_accounts();
  if (!accounts) return accounts.error();
  if (std::find(accounts->begin(), accounts->end(), *address) == accounts->end()) {
    return make_error(ErrorKind::NotFound, "no account " + *address);
  }
  auto password = read_new_password(inv.password_file);
  if (!password) return password.error();
  return (*dir)->set_password(*address, *password);
}

Result<void> alias_add(const Invocation& inv) {
  auto dir = open_directory(inv);
  if (!dir) return dir.error();
  return (*dir)->add_alias(inv.operands[0], inv.operands[1]);
}

// One "ALIAS TARGET" line per target.
Result<void> alias_list(const Invocation& inv) {
  auto dir = open_directory(inv);
  if (!dir) return dir.error();
  auto aliases = (*dir)->list_aliases();
  if (!aliases) return aliases.error();
  std::vector<std::string> lines;
  for (const auto& alias : *aliases) {
    for (const auto& target : alias.targets) lines.push_back(alias.address + " " + target);
  }
  print_sorted(std::move(lines));
  return {};
}

Result<void> alias_remove(const Invocation& inv) {
  auto dir = open_directory(inv);
  if (!dir) return dir.error();
  return (*dir)->remove_alias(inv.operands[0], inv.operands.size() > 1 ? inv.operands[1] : "");
}

}  // namespace mail::ctl
