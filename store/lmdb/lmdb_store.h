// The LMDB implementation of MailStore (private to store/; others use mail_store.h and
// open_store). The on-disk layout is described at the top of lmdb_store.cpp; the tables
// and shared reads are in tables.h, every message change goes through writer.h.
// Trusts its callers for account spelling (lower-cased addresses); trusts nothing read
// from the database file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/lmdb_group_commit.h"
#include "store/lmdb/tables.h"
#include "store/lmdb/writer.h"
#include "store/mail_store.h"
#include "store/notify.h"

namespace mail::store::detail {

class LmdbStore final : public MailStore {
 public:
  static Result<std::unique_ptr<MailStore>> open(const std::filesystem::path& dir,
                                                 const StoreOptions& options);

  Result<void> create_account(std::string_view account) override;
  Result<void> delete_account(std::string_view account) override;
  Result<std::vector<std::string>> list_accounts() override;
  Result<void> set_quota(std::string_view account, const QuotaLimits& limits) override;
  Result<Quota> quota(std::string_view account) override;

  Result<std::vector<Delivered>> deliver(std::span<const Delivery> to, std::string_view message,
                                         int64_t internal_date) override;
  Result<std::vector<Result<std::vector<Delivered>>>> deliver_batch(
      std::span<const IncomingMessage> batch) override;
  Result<std::vector<std::vector<Delivered>>> deliver_all(
      std::span<const IncomingMessage> batch) override;
  Result<size_t> prune_delivery_keys(int64_t before) override;

  Result<std::vector<MailboxInfo>> list_mailboxes(std::string_view account) override;
  Result<std::vector<ListEntry>> list(std::string_view account) override;
  Result<MailboxInfo> mailbox(std::string_view account, std::string_view name) override;
  Result<MailboxInfo> mailbox_by_id(uint64_t mailbox_id) override;
  Result<std::string> mailbox_account(uint64_t mailbox_id) override;
  Result<MailboxInfo> create_mailbox(std::string_view account, std::string_view name,
                                     SpecialUse use = SpecialUse::None) override;
  Result<void> delete_mailbox(std::string_view account, std::string_view name) override;
  Result<void> rename_mailbox(std::string_view account, std::string_view from,
                              std::string_view to) override;
  Result<void> subscribe(std::string_view account, std::string_view name) override;
  Result<void> unsubscribe(std::string_view account, std::string_view name) override;

  Result<void> read(uint64_t mailbox_id, const ViewFunction& fn) override;
  Result<Changes> changes_since(uint64_t mailbox_id, uint64_t modseq) override;
  Result<std::vector<MessageInfo>> messages(uint64_t mailbox_id) override;
  Result<std::string> message_bytes(uint64_t mailbox_id, uint32_t uid) override;

  Result<std::vector<MessageInfo>> store_flags(uint64_t mailbox_id, std::span<const uint32_t> uids,
                                               FlagOp op, const Flags& flags) override;
  Result<FlagResult> store_flags_if(uint64_t mailbox_id, std::span<const uint32_t> uids, FlagOp op,
                                    const Flags& flags,
                                    std::optional<uint64_t> unchanged_since) override;
  Result<std::vector<uint32_t>> expunge(uint64_t mailbox_id,
                                        std::span<const uint32_t> uids) override;
  Result<std::vector<uint32_t>> expunge_deleted(
      uint64_t mailbox_id, std::optional<std::span<const UidRange>> within) override;
  Result<CopyResult> copy(uint64_t from_mailbox, std::span<const uint32_t> uids,
                          uint64_t to_mailbox) override;
  Result<CopyResult> move(uint64_t from_mailbox, std::span<const uint32_t> uids,
                          uint64_t to_mailbox) override;

  Result<RecentClaim> claim_recent(uint64_t mailbox_id, uint32_t up_to) override;
  Result<std::string> urlauth_key(uint64_t mailbox_id,
                                  std::optional<std::string_view> create_with) override;
  Result<size_t> reset_urlauth_keys(std::string_view account,
                                    std::optional<uint64_t> mailbox_id) override;
  Result<std::vector<std::string>> check() override;

 private:
  LmdbStore(std::unique_ptr<lmdb::Env> env, Dbs dbs, const StoreOptions& options);

  // Flushes the writer, commits and announces the changed mailboxes.
  Result<void> commit(Writer& w, lmdb::Txn& txn);
  // Sends store::kSubscriptionsNotice (after a committed SUBSCRIBE or UNSUBSCRIBE).
  void announce_subscriptions() {
    const uint64_t id = kSubscriptionsNotice;
    if (notifier_) notifier_->notify(std::span<const uint64_t>(&id, 1));
  }
  // Runs `body` (Result<T>(Writer&)) as one operation of a group commit, keeping its
  // changes when it succeeds, and announces the mailboxes it changed once they are
  // durable. For the writes concurrent sessions make often (flags, expunge, append,
  // copy/move, delivery); `body` may run on another thread that leads the commit, and
  // more than once when another write of its batch fails.
  template <typename T, typename F>
  Result<T> write(F&& body);
  // deliver_batch and deliver_all: with `all_or_nothing`, a message's own failure fails the
  // batch (returned as the outer error) instead of only that message.
  Result<std::vector<Result<std::vector<Delivered>>>> deliver_messages(
      std::span<const IncomingMessage> batch, bool all_or_nothing);
  // Stores one message of a delivery. NotFound / OverQuota / Invalid are found before
  // anything of this message is written; `wrote` tells whether writing had begun (then
  // any error must fail the whole transaction).
  Result<std::vector<Delivered>> deliver_in(Writer& w, const IncomingMessage& message,
                                            std::string_view summary, bool& wrote);
  // Copies (and with `move`, removes) messages inside one transaction.
  Result<CopyResult> transfer(uint64_t from, std::span<const uint32_t> uids, uint64_t to,
                              bool move);
  Result<FlagResult> change_flags(Writer& w, uint64_t mailbox_id, std::span<const uint32_t> uids,
                                  FlagOp op, const Flags& flags,
                                  std::optional<uint64_t> unchanged_since);
  Result<std::vector<uint32_t>> remove_uids(Writer& w, uint64_t mailbox_id,
                                            std::span<const uint32_t> uids, bool only_deleted);
  // Creates `name` and its missing parents inside `w`; Exists when `name` exists.
  Result<MailboxRecord*> create_with_parents(Writer& w, std::string_view account,
                                             std::string_view name, SpecialUse use);
  Result<void> rename_inbox(Writer& w, std::string_view account, std::string_view to);

  std::unique_ptr<lmdb::Env> env_;
  const Dbs db_;  // opened once at start-up; immutable, so safe to share between threads
  const StoreOptions options_;
  std::unique_ptr<ChangeNotifier> notifier_;
  lmdb::GroupCommit group_;
};

template <typename T, typename F>
Result<T> LmdbStore::write(F&& body) {
  std::optional<Result<T>> out;
  std::vector<uint64_t> changed;
  const lmdb::GroupCommit::Operation op = [&](lmdb::Txn& txn) {
    Writer w(txn, db_);
    out.emplace(body(w));
    if (!*out) return false;
    if (auto flushed = w.flush(); !flushed) {
      out.emplace(flushed.error());
      return false;
    }
    changed = w.changed();
    return true;
  };
  STORE_TRY(group_.run(op));
  if (notifier_ && !changed.empty()) notifier_->notify(changed);
  return std::move(*out);
}

// Runs the schema-1 to schema-2 migration, or finishes one left part-way (lmdb_migrate.cpp).
Result<void> migrate_to_v2(lmdb::Env& env, const Dbs& db, const StoreOptions& options);

// Mailbox names: levels separated by '/', none empty, no NUL, at most 1024 octets.
bool valid_mailbox_name(std::string_view name);

}  // namespace mail::store::detail
