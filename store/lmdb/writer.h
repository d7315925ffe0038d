// One write transaction of the LMDB store. Every change to a message goes through
// add_message, set_flags and remove_message, which keep all that is derived from the
// messages in step: the mailbox counters (messages, unseen, deleted, size, keywords,
// HIGHESTMODSEQ), the indexes (modseqs, unseen, deleted, seq), the expunge log and the
// account's quota usage. Mailbox and account records are cached and written once by
// flush(); the mailboxes touched are what the store then announces (store/notify.h).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "store/lmdb/tables.h"

namespace mail::store::detail {

class Writer {
 public:
  Writer(lmdb::Txn& txn, const Dbs& db) : txn_(txn), db_(db) {}

  lmdb::Txn& txn() { return txn_; }

  // Cached records; NotFound when absent. Pointers stay valid for the Writer's life.
  Result<MailboxRecord*> mailbox(uint64_t id);
  Result<AccountRecord*> account(std::string_view account);

  // Refuses (OverQuota) adding `messages` messages of `octets` octets in all to `account`.
  Result<void> check_quota(std::string_view account, uint64_t messages, uint64_t octets);
  // Refuses (Invalid) keywords that would take the mailbox over kMaxMailboxKeywords.
  Result<void> check_keywords(const MailboxRecord& box, const Flags& flags) const;

  // Stores a new body with `refs` references (and its summary when not empty).
  Result<uint64_t> add_body(std::string_view bytes, std::string_view summary, uint64_t refs);
  Result<void> ref_body(uint64_t body_id);
  // Drops one reference; deletes the body and its summary when none remain.
  Result<void> release_body(uint64_t body_id);

  // Adds `msg` (flags, internal date, size, body id, header size set; the caller holds a
  // body reference for it) under the mailbox's next UID and a new MODSEQ. Returns the UID.
  Result<uint32_t> add_message(MailboxRecord& box, MessageInfo msg);
  // Gives `msg` the flags `next` and a new MODSEQ; false (nothing written) when unchanged.
  Result<bool> set_flags(MailboxRecord& box, MessageInfo& msg, Flags next);
  // Removes `msg`, logging the expunge with a new MODSEQ; drops its body reference when
  // `release_body`.
  Result<void> remove_message(MailboxRecord& box, const MessageInfo& msg, bool release_body);

  // Creates a mailbox record and its name (not a subscription).
  Result<MailboxRecord*> insert_mailbox(std::string_view account, std::string_view name,
                                        SpecialUse use);
  // Deletes a mailbox: its messages (releasing bodies), indexes, expunge log, record and
  // name. The account's usage goes down accordingly.
  Result<void> purge_mailbox(uint64_t id);
  // Forgets a cached account record (its record is being deleted).
  void drop_account(std::string_view account);
  // Returns a meta counter's current value and stores value + 1.
  Result<uint64_t> take_counter(std::string_view key);
  Result<uint32_t> new_uid_validity();
  // Marks a mailbox as changed without changing its record (deleted).
  void touch(uint64_t id) { changed_.insert(id); }
  // Writes `box` (a record from mailbox()) at flush; for changes made directly (rename).
  void save(const MailboxRecord& box) { mark(box); }

  // True when something will be written at flush.
  bool dirty() const { return !dirty_boxes_.empty() || !dirty_accounts_.empty(); }
  // Writes the cached records that changed.
  Result<void> flush();
  // Mailboxes changed by this transaction (valid after flush()).
  std::vector<uint64_t> changed() const { return {changed_.begin(), changed_.end()}; }

 private:
  void mark(const MailboxRecord& box) { dirty_boxes_.insert(box.info.id); }
  Result<void> put_message(uint64_t mailbox_id, const MessageInfo& msg);

  lmdb::Txn& txn_;
  const Dbs& db_;
  std::map<uint64_t, MailboxRecord> boxes_;
  std::map<std::string, AccountRecord, std::less<>> accounts_;
  std::set<uint64_t> dirty_boxes_;
  std::set<std::string, std::less<>> dirty_accounts_;
  std::set<uint64_t> changed_;
};

}  // namespace mail::store::detail
