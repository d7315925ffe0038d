// mailctl store commands: `store check` runs the store's own consistency check
// (MailStore::check) and reports its findings, one per line; `quota set` and `quota show`
// manage an account's RFC 9208 limits (STORAGE in octets, MESSAGE in messages).
#include <cstdio>
#include <filesystem>
#include <string>

#include "ctl/commands.h"
#include "store/open_store.h"

namespace mail::ctl {
namespace {

Result<std::unique_ptr<store::MailStore>> open_existing_store(const Invocation& inv) {
  auto dir = inv.config.store_dir();
  // Opening creates a store; checking a fresh empty one would hide a wrong --config.
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec))
    return make_error(ErrorKind::NotFound, "no store in " + dir.string());
  auto store = store::open_store(inv.config);
  if (!store) return make_error(store.error().kind, "store: " + store.error().message);
  return store;
}

// "none"/"unlimited", or a number with an optional K, M, G or T suffix (powers of 1024).
Result<std::optional<uint64_t>> parse_limit(std::string_view option, std::string_view text,
                                            bool sizes) {
  if (text == "none" || text == "unlimited") return std::optional<uint64_t>{};
  uint64_t multiplier = 1;
  if (sizes && !text.empty()) {
    switch (text.back()) {
      case 'K':
      case 'k':
        multiplier = uint64_t{1} << 10;
        break;
      case 'M':
      case 'm':
        multiplier = uint64_t{1} << 20;
        break;
      case 'G':
      case 'g':
        multiplier = uint64_t{1} << 30;
        break;
      case 'T':
      case 't':
        multiplier = uint64_t{1} << 40;
        break;
      default:
        break;
    }
    if (multiplier != 1) text.remove_suffix(1);
  }
  uint64_t value = 0;
  bool ok = !text.empty() && text.size() <= 15;  // at most 10^15 before the multiplier
  for (char c : text) {
    ok &= c >= '0' && c <= '9';
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || value > (uint64_t{1} << 50))
    return make_error(ErrorKind::Invalid, std::string(option) + ": expected a number" +
                                              (sizes ? " (K, M, G, T suffixes)" : "") +
                                              " or none, got " + std::string(text));
  return std::optional<uint64_t>{value * multiplier};
}

std::string limit_text(const std::optional<uint64_t>& limit) {
  return limit ? std::to_string(*limit) : "none";
}

void print_quota(const std::string& account, const store::Quota& q) {
  std::printf("%s storage=%llu/%s messages=%llu/%s\n", account.c_str(),
              static_cast<unsigned long long>(q.storage_used), limit_text(q.limits.storage).c_str(),
              static_cast<unsigned long long>(q.messages_used),
              limit_text(q.limits.messages).c_str());
}

}  // namespace

Result<void> store_check(const Invocation& inv) {
  auto store = open_existing_store(inv);
  if (!store) return store.error();
  auto problems = (*store)->check();
  if (!problems) return make_error(problems.error().kind, "store: " + problems.error().message);
  if (!problems->empty()) {
    for (const auto& p : *problems) std::printf("store: %s\n", p.c_str());
    return make_error(ErrorKind::Corrupt, "store check found " + std::to_string(problems->size()) +
                                              (problems->size() == 1 ? " problem" : " problems"));
  }
  // open_store refuses unknown schema versions (and migrates older ones), so an open store
  // has this one.
  std::printf("store: ok (schema %u)\n", store::kSchemaVersion);
  return {};
}

Result<void> quota_set(const Invocation& inv) {
  auto storage = inv.options.find("storage");
  auto messages = inv.options.find("messages");
  if (storage == inv.options.end() && messages == inv.options.end())
    return make_error(ErrorKind::Invalid, "quota set: give --storage and/or --messages");
  auto store = open_existing_store(inv);
  if (!store) return store.error();
  const std::string& account = inv.operands[0];
  auto current = (*store)->quota(account);
  if (!current) return make_error(current.error().kind, "quota: " + current.error().message);
  store::QuotaLimits limits = current->limits;  // an option not given keeps its limit
  if (storage != inv.options.end()) {
    auto v = parse_limit("--storage", storage->second, true);
    if (!v) return v.error();
    limits.storage = *v;
  }
  if (messages != inv.options.end()) {
    auto v = parse_limit("--messages", messages->second, false);
    if (!v) return v.error();
    limits.messages = *v;
  }
  if (auto set = (*store)->set_quota(account, limits); !set)
    return make_error(set.error().kind, "quota: " + set.error().message);
  auto now = (*store)->quota(account);
  if (now) print_quota(account, *now);
  return {};
}

Result<void> quota_show(const Invocation& inv) {
  auto store = open_existing_store(inv);
  if (!store) return store.error();
  std::vector<std::string> accounts = inv.operands;
  if (accounts.empty()) {
    auto all = (*store)->list_accounts();
    if (!all) return make_error(all.error().kind, "store: " + all.error().message);
    accounts = std::move(*all);
  }
  for (const auto& account : accounts) {
    auto q = (*store)->quota(account);
    if (!q) return make_error(q.error().kind, "quota: " + q.error().message);
    print_quota(account, *q);
  }
  return {};
}

}  // namespace mail::ctl
