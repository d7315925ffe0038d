// Snapshots of one mailbox for IMAP sessions (MailboxView, mail_store.h): positions from
// the sequence index, first unseen from the unseen index, changes since a MODSEQ from the
// modseqs and expunged tables, and zero-copy iteration over UID ranges. One read
// transaction per MailStore::read call.
#include <algorithm>

#include "store/lmdb/lmdb_store.h"
#include "store/lmdb/seq_index.h"

namespace mail::store::detail {
namespace {

class LmdbView final : public MailboxView {
 public:
  LmdbView(lmdb::Txn& txn, const Dbs& db, MailboxRecord rec)
      : txn_(txn), db_(db), rec_(std::move(rec)), id_(rec_.info.id) {}

  const MailboxInfo& info() const override { return rec_.info; }

  Result<uint32_t> count_below(uint32_t uid) override {
    if (uid <= 1) return 0u;
    if (uid >= rec_.info.uid_next) return rec_.info.messages;
    return seq_count_below(txn_, db_, id_, uid);
  }

  Result<std::optional<uint32_t>> position_of(uint32_t uid) override {
    STORE_ASSIGN(std::optional<std::string_view> v, txn_.get(db_.messages, message_key(id_, uid)));
    if (!v) return std::optional<uint32_t>{};
    STORE_ASSIGN(uint32_t below, count_below(uid));
    return std::optional<uint32_t>{below + 1};
  }

  Result<std::optional<uint32_t>> uid_at(uint32_t position) override {
    if (position == 0 || position > rec_.info.messages) return std::optional<uint32_t>{};
    if (position == rec_.info.messages) {  // "*": the last message, straight from the tree
      STORE_ASSIGN(auto last, last_at_or_before(txn_, db_.messages, message_key(id_, UINT32_MAX)));
      if (!last || key_mailbox(last->first) != id_)
        return corrupt("mailbox " + std::to_string(id_) + ": message count above messages");
      return std::optional<uint32_t>{message_key_uid(last->first)};
    }
    return seq_uid_at(txn_, db_, id_, position);
  }

  Result<std::optional<uint32_t>> first_unseen() override {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.unseen));
    if (!cur.seek(message_key(id_, 0)) || key_mailbox(cur.key()) != id_)
      return std::optional<uint32_t>{};
    return std::optional<uint32_t>{message_key_uid(cur.key())};
  }

  Result<std::vector<uint32_t>> unseen_uids(std::span<const UidRange> ranges) override {
    return index_uids(db_.unseen, ranges);
  }
  Result<std::vector<uint32_t>> deleted_uids(std::span<const UidRange> ranges) override {
    return index_uids(db_.deleted, ranges);
  }

  Result<void> for_each(std::span<const UidRange> ranges, unsigned parts,
                        const MessageVisitor& visit) override {
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.messages));
    for (const UidRange& r : ranges) {
      for (bool ok = cur.seek(message_key(id_, r.first)); ok && key_mailbox(cur.key()) == id_;
           ok = cur.next()) {
        auto uid = message_key_uid(cur.key());
        if (uid && *uid > r.last) break;
        auto msg = uid ? decode_message(*uid, cur.value()) : std::nullopt;
        if (!msg) return corrupt("message of mailbox " + std::to_string(id_) + ": bad record");
        std::string_view body, summary;
        std::string bkey = u64_key(msg->body_id);
        if (parts & kPartBody) {
          STORE_ASSIGN(std::optional<std::string_view> b, txn_.get(db_.bodies, bkey));
          if (!b) return corrupt("body " + std::to_string(msg->body_id) + " missing");
          body = *b;
        }
        if (parts & kPartSummary) {
          STORE_ASSIGN(std::optional<std::string_view> s, txn_.get(db_.summaries, bkey));
          if (s) summary = *s;
        }
        if (!visit(MessageView{*msg, body, summary})) return {};
      }
    }
    return {};
  }

  Result<Changes> changes_since(uint64_t modseq) override {
    Changes out;
    out.highest_modseq = rec_.info.highest_modseq;
    out.uid_next = rec_.info.uid_next;
    out.messages = rec_.info.messages;
    if (modseq >= rec_.info.highest_modseq) return out;
    const std::string prefix = message_prefix(id_);
    {
      STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.modseqs));
      for (bool ok = cur.seek(modseq_key(id_, modseq + 1)); ok && cur.key().starts_with(prefix);
           ok = cur.next()) {
        auto uid = read_u32(cur.value());
        if (!uid) return corrupt("modseqs of mailbox " + std::to_string(id_) + ": bad record");
        STORE_ASSIGN(std::optional<MessageInfo> msg, load_message(txn_, db_, id_, *uid));
        if (!msg) return corrupt("modseqs of mailbox " + std::to_string(id_) + ": no message");
        out.changed.push_back(std::move(*msg));
      }
    }
    std::sort(out.changed.begin(), out.changed.end(),
              [](const MessageInfo& a, const MessageInfo& b) { return a.uid < b.uid; });
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, db_.expunged));
    for (bool ok = cur.seek(modseq_key(id_, modseq + 1)); ok && cur.key().starts_with(prefix);
         ok = cur.next()) {
      auto uid = read_u32(cur.value());
      auto at = modseq_key_modseq(cur.key());
      if (!uid || !at)
        return corrupt("expunged of mailbox " + std::to_string(id_) + ": bad record");
      out.expunged.push_back(ExpungedUid{*uid, *at});
    }
    std::sort(out.expunged.begin(), out.expunged.end(),
              [](const ExpungedUid& a, const ExpungedUid& b) { return a.uid < b.uid; });
    return out;
  }

 private:
  Result<std::vector<uint32_t>> index_uids(MDB_dbi dbi, std::span<const UidRange> ranges) {
    std::vector<uint32_t> out;
    STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn_, dbi));
    for (const UidRange& r : ranges) {
      for (bool ok = cur.seek(message_key(id_, r.first)); ok && key_mailbox(cur.key()) == id_;
           ok = cur.next()) {
        auto uid = message_key_uid(cur.key());
        if (!uid) return corrupt("flag index of mailbox " + std::to_string(id_) + ": bad key");
        if (*uid > r.last) break;
        out.push_back(*uid);
      }
    }
    return out;
  }

  lmdb::Txn& txn_;
  const Dbs& db_;
  MailboxRecord rec_;
  const uint64_t id_;
};

}  // namespace

Result<void> LmdbStore::read(uint64_t mailbox_id, const ViewFunction& fn) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
  STORE_ASSIGN(MailboxRecord rec, require_mailbox(txn, db_, mailbox_id));
  LmdbView view(txn, db_, std::move(rec));
  return fn(view);
}

Result<Changes> LmdbStore::changes_since(uint64_t mailbox_id, uint64_t modseq) {
  Changes out;
  STORE_TRY(read(mailbox_id, [&](MailboxView& view) -> Result<void> {
    STORE_ASSIGN(out, view.changes_since(modseq));
    return {};
  }));
  return out;
}

}  // namespace mail::store::detail
