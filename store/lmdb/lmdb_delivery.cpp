// The LMDB store's delivery (queued) and APPEND path: one transaction per batch, each
// message's destinations, quota and keywords checked before anything of it is written,
// the body and its summary stored once, idempotency keys recorded beside the messages.
#include <map>

#include "mime/header.h"
#include "store/lmdb/lmdb_store.h"

namespace mail::store::detail {

Result<std::vector<Delivered>> LmdbStore::deliver(std::span<const Delivery> to,
                                                  std::string_view message, int64_t internal_date) {
  IncomingMessage one{message, internal_date, std::vector<Delivery>(to.begin(), to.end()), {}};
  STORE_ASSIGN(auto results, deliver_batch(std::span<const IncomingMessage>(&one, 1)));
  return std::move(results.front());
}

Result<std::vector<Result<std::vector<Delivered>>>> LmdbStore::deliver_batch(
    std::span<const IncomingMessage> batch) {
  return deliver_messages(batch, false);
}

Result<std::vector<std::vector<Delivered>>> LmdbStore::deliver_all(
    std::span<const IncomingMessage> batch) {
  STORE_ASSIGN(auto results, deliver_messages(batch, true));
  std::vector<std::vector<Delivered>> out;
  out.reserve(results.size());
  for (auto& r : results) out.push_back(std::move(*r));  // every one succeeded
  return out;
}

Result<std::vector<Result<std::vector<Delivered>>>> LmdbStore::deliver_messages(
    std::span<const IncomingMessage> batch, bool all_or_nothing) {
  // Summaries the caller did not bring are computed before the write lock is taken.
  std::vector<std::string> computed(batch.size());
  if (options_.analyze)
    for (size_t i = 0; i < batch.size(); ++i)
      if (batch[i].summary.empty()) computed[i] = options_.analyze(batch[i].bytes);

  using Results = std::vector<Result<std::vector<Delivered>>>;
  return write<Results>([&](Writer& w) -> Result<Results> {
    Results out;
    for (size_t i = 0; i < batch.size(); ++i) {
      std::string_view summary = batch[i].summary.empty() ? computed[i] : batch[i].summary;
      bool wrote = false;
      auto delivered = deliver_in(w, batch[i], summary, wrote);
      // A missing destination, a full quota or bad input fails only this message (deliver_in
      // found it before writing anything); anything else (I/O, a full map, corruption, or
      // any error once writing began) fails the batch.
      if (!delivered && (wrote || all_or_nothing ||
                         (delivered.error().kind != ErrorKind::NotFound &&
                          delivered.error().kind != ErrorKind::Invalid &&
                          delivered.error().kind != ErrorKind::OverQuota)))
        return delivered.error();
      out.push_back(std::move(delivered));
    }
    return out;
  });
}

Result<std::vector<Delivered>> LmdbStore::deliver_in(Writer& w, const IncomingMessage& message,
                                                     std::string_view summary, bool& wrote) {
  if (message.to.empty()) return make_error(ErrorKind::Invalid, "deliver: no destinations");
  lmdb::Txn& txn = w.txn();

  // Resolve every destination before writing anything, so a failure leaves no trace.
  // A destination whose key is already recorded was delivered before: skip it.
  std::vector<MailboxRecord*> box_of;                        // nullptr: duplicate
  std::map<std::string, uint64_t, std::less<>> per_account;  // fresh copies per account
  std::map<const MailboxRecord*, Flags> new_keywords;
  size_t fresh = 0;
  for (const Delivery& d : message.to) {
    if (!d.key.empty()) {
      STORE_ASSIGN(std::optional<std::string_view> seen_key, txn.get(db_.delivery_keys, d.key));
      if (seen_key) {
        box_of.push_back(nullptr);
        continue;
      }
    }
    STORE_ASSIGN(std::optional<uint64_t> id, find_mailbox_id(txn, db_, d.account, d.mailbox));
    if (!id)
      return make_error(ErrorKind::NotFound, "no mailbox " + d.mailbox + " for " + d.account);
    STORE_ASSIGN(MailboxRecord * box, w.mailbox(*id));
    // Keywords new to the mailbox, over all destinations in it, must fit its list.
    Flags& kw = new_keywords[box];
    kw.keywords.insert(kw.keywords.end(), d.flags.keywords.begin(), d.flags.keywords.end());
    normalize_keywords(kw.keywords);
    STORE_TRY(w.check_keywords(*box, kw));
    box_of.push_back(box);
    per_account[box->account]++;
    ++fresh;
  }
  for (const auto& [account, copies] : per_account)
    STORE_TRY(w.check_quota(account, copies, copies * message.bytes.size()));

  std::vector<Delivered> out;
  MessageInfo msg;
  wrote = true;
  if (fresh > 0) {
    STORE_ASSIGN(msg.body_id, w.add_body(message.bytes, summary, fresh));
    msg.internal_date = message.internal_date;
    msg.size = message.bytes.size();
    // The header section's octets, blank line included (RFC 5322 section 2.1); a message
    // without a blank line is all header.
    msg.header_size = static_cast<uint32_t>(
        std::min<size_t>(mime::header_section_end(message.bytes), UINT32_MAX));
  }
  for (size_t i = 0; i < message.to.size(); ++i) {
    const Delivery& d = message.to[i];
    MailboxRecord* box = box_of[i];
    if (!box) {
      out.push_back(Delivered{d.account, d.mailbox, 0, 0, 0, true});
      continue;
    }
    msg.flags = d.flags;
    STORE_ASSIGN(uint32_t uid, w.add_message(*box, msg));
    if (!d.key.empty())
      STORE_TRY(txn.put(db_.delivery_keys, d.key,
                        encode_u64(static_cast<uint64_t>(message.internal_date))));
    const MailboxInfo& info = box->info;
    out.push_back(Delivered{box->account, info.name, info.id, info.uid_validity, uid});
  }
  return out;
}

Result<size_t> LmdbStore::prune_delivery_keys(int64_t before) {
  STORE_ASSIGN(lmdb::Txn txn, lmdb::Txn::begin(*env_, true));
  STORE_ASSIGN(lmdb::Cursor cur, lmdb::Cursor::open(txn, db_.delivery_keys));
  std::vector<std::string> old;
  for (bool ok = cur.first(); ok; ok = cur.next()) {
    auto when = read_u64(cur.value());
    if (!when || static_cast<int64_t>(*when) < before) old.emplace_back(cur.key());
  }
  for (const auto& key : old) STORE_TRY(txn.del(db_.delivery_keys, key));
  STORE_TRY(txn.commit());
  return old.size();
}

}  // namespace mail::store::detail
