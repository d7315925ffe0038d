// The LMDB store's tables (named databases, layout in lmdb_store.cpp) and the reads every
// part of the backend shares: lookups by name and id, and ordered-key helpers that
// common/lmdb's forward cursor lacks. Private to store/lmdb/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/lmdb.h"
#include "store/lmdb/records.h"

// Early return of the error of a Result (used throughout the backend, never in headers
// meant for other folders).
#define STORE_CONCAT_INNER(a, b) a##b
#define STORE_CONCAT(a, b) STORE_CONCAT_INNER(a, b)
#define STORE_TRY(expr)                                     \
  do {                                                      \
    auto store_try_result = (expr);                         \
    if (!store_try_result) return store_try_result.error(); \
  } while (0)
#define STORE_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                      \
  if (!tmp) return tmp.error();           \
  lhs = std::move(*tmp)
#define STORE_ASSIGN(lhs, expr) STORE_ASSIGN_IMPL(STORE_CONCAT(store_assign_, __LINE__), lhs, expr)

namespace mail::store::detail {

struct Dbs {
  MDB_dbi meta = 0, accounts = 0, names = 0, mailboxes = 0, messages = 0, bodies = 0, body_refs = 0,
          expunged = 0, delivery_keys = 0;
  // Schema 2.
  MDB_dbi summaries = 0, subscriptions = 0, modseqs = 0, unseen = 0, deleted = 0, seq = 0;
  // Added within schema 2 (created empty when an older store opens; nothing to migrate).
  MDB_dbi urlauth_keys = 0;
};

inline Error corrupt(std::string what) {
  return make_error(ErrorKind::Corrupt, std::move(what));
}

// "INBOX" in any case is the canonical "INBOX" (RFC 9051 §5.1), and so is the first level
// of its inferiors ("inbox/x" is "INBOX/x"); other names are exact.
std::string canonical_name(std::string_view name);

Result<std::optional<AccountRecord>> load_account(lmdb::Txn& txn, const Dbs& db,
                                                  std::string_view account);
Result<std::optional<uint64_t>> find_mailbox_id(lmdb::Txn& txn, const Dbs& db,
                                                std::string_view account, std::string_view name);
// Loads the record and fills info.subscribed from the subscriptions table.
Result<std::optional<MailboxRecord>> load_mailbox(lmdb::Txn& txn, const Dbs& db, uint64_t id);
Result<MailboxRecord> require_mailbox(lmdb::Txn& txn, const Dbs& db, uint64_t id);
Result<bool> is_subscribed(lmdb::Txn& txn, const Dbs& db, std::string_view account,
                           std::string_view name);
Result<std::optional<MessageInfo>> load_message(lmdb::Txn& txn, const Dbs& db, uint64_t mailbox_id,
                                                uint32_t uid);

// The entry with the greatest key <= `key`, if any (nullopt when every key is greater).
// The views live until the transaction ends.
Result<std::optional<std::pair<std::string_view, std::string_view>>> last_at_or_before(
    lmdb::Txn& txn, MDB_dbi dbi, std::string_view key);

// Deletes every key starting with `prefix`; returns how many.
Result<size_t> delete_prefix(lmdb::Txn& txn, MDB_dbi dbi, std::string_view prefix);

}  // namespace mail::store::detail
