// The LMDB implementation of MailStore (private to store/; others use mail_store.h and
// open_lmdb_store). The on-disk layout is described at the top of lmdb_store.cpp.
// Trusts its callers for account spelling (lower-cased addresses); trusts nothing read
// from the database file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/lmdb.h"
#include "store/lmdb/records.h"
#include "store/mail_store.h"

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
};

class LmdbStore final : public MailStore {
 public:
  static Result<std::unique_ptr<MailStore>> open(const std::filesystem::path& dir,
                                                 const StoreOptions& options);

  Result<void> create_account(std::string_view account) override;
  Result<void> delete_account(std::string_view account) override;
  Result<std::vector<std::string>> list_accounts() override;

  Result<std::vector<Delivered>> deliver(std::span<const Delivery> to, std::string_view message,
                                         int64_t internal_date) override;
  Result<std::vector<Result<std::vector<Delivered>>>> deliver_batch(
      std::span<const IncomingMessage> batch) override;
  Result<size_t> prune_delivery_keys(int64_t before) override;

  Result<std::vector<MailboxInfo>> list_mailboxes(std::string_view account) override;
  Result<MailboxInfo> mailbox(std::string_view account, std::string_view name) override;
  Result<MailboxInfo> create_mailbox(std::string_view account, std::string_view name,
                                     SpecialUse use = SpecialUse::None) override;

  Result<std::vector<MessageInfo>> messages(uint64_t mailbox_id) override;
  Result<std::string> message_bytes(uint64_t mailbox_id, uint32_t uid) override;

  Result<std::vector<MessageInfo>> store_flags(uint64_t mailbox_id, std::span<const uint32_t> uids,
                                               FlagOp op, const Flags& flags) override;
  Result<std::vector<uint32_t>> expunge(uint64_t mailbox_id,
                                        std::span<const uint32_t> uids) override;

  Result<std::vector<std::string>> check() override;

 private:
  LmdbStore(std::unique_ptr<lmdb::Env> env, Dbs dbs) : env_(std::move(env)), db_(dbs) {}

  // Helpers working inside a caller's transaction.
  Result<bool> account_exists(lmdb::Txn& txn, std::string_view account);
  Result<std::optional<uint64_t>> find_mailbox_id(lmdb::Txn& txn, std::string_view account,
                                                  std::string_view name);
  Result<std::optional<MailboxRecord>> load_mailbox(lmdb::Txn& txn, uint64_t id);
  Result<MailboxRecord> require_mailbox(lmdb::Txn& txn, uint64_t id);
  Result<void> save_mailbox(lmdb::Txn& txn, const MailboxRecord& rec);
  Result<std::optional<MessageInfo>> load_message(lmdb::Txn& txn, uint64_t mailbox_id,
                                                  uint32_t uid);
  Result<MailboxInfo> insert_mailbox(lmdb::Txn& txn, std::string_view account,
                                     std::string_view name, SpecialUse use, bool subscribed);
  // Returns the counter's current value and stores value + 1.
  Result<uint64_t> take_counter(lmdb::Txn& txn, std::string_view key);
  Result<uint32_t> new_uid_validity(lmdb::Txn& txn);
  // Stores one message of a delivery inside `txn`. NotFound when a destination is missing
  // (checked before anything is written for this message).
  Result<std::vector<Delivered>> deliver_in(lmdb::Txn& txn, const IncomingMessage& message);
  // Drops one reference to a body; deletes the body when none remain.
  Result<void> release_body(lmdb::Txn& txn, uint64_t body_id);

  std::unique_ptr<lmdb::Env> env_;
  const Dbs db_;  // opened once at start-up; immutable, so safe to share between threads
};

// "INBOX" in any case is the canonical "INBOX" (RFC 9051 §5.1); other names are exact.
std::string canonical_name(std::string_view name);

}  // namespace mail::store::detail
