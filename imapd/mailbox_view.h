// MailboxView: the selected mailbox as one session has announced it to its client
// (RFC 9051 section 2.3.1): which message each sequence number names, its UID and the
// flags last reported. Commands ask it to map sequence numbers and UIDs and to resolve
// sequence sets; refresh() keeps it in step with the store under the rules of RFC 9051
// section 7.5.1 (EXISTS and FETCH FLAGS at any command, EXPUNGE only where allowed, an
// expunge seen earlier held back until then).
//
// The only code that knows how the view learns about changes is read_changes(); the
// store's changes-since-MODSEQ interface replaces its body, and nothing that uses the
// view changes.
// Input: messages from the store (trusted), sequence sets from the client (untrusted).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/result.h"
#include "imapd/protocol/response_writer.h"
#include "imapd/protocol/sequence_set.h"
#include "store/mail_store.h"

namespace mail::imapd {

class MailboxView {
 public:
  // `messages` in ascending UID order, as MailStore::messages gives them.
  MailboxView(store::MailboxInfo info, bool read_only, std::vector<store::MessageInfo> messages);

  const store::MailboxInfo& info() const { return info_; }
  uint64_t mailbox_id() const { return info_.id; }
  bool read_only() const { return read_only_; }

  // The number of messages the client knows about (the last EXISTS it was sent).
  uint32_t exists() const { return static_cast<uint32_t>(messages_.size()); }
  // REQUIRES: 1 <= seq <= exists().
  const store::MessageInfo& message(uint32_t seq) const { return messages_[seq - 1]; }
  uint32_t uid(uint32_t seq) const { return message(seq).uid; }
  std::optional<uint32_t> seq_of_uid(uint32_t uid) const;
  uint32_t max_uid() const { return messages_.empty() ? 0 : messages_.back().uid; }
  // The lowest sequence number without \Seen (SELECT's [UNSEEN n]).
  std::optional<uint32_t> first_unseen() const;
  // Whether another session expunged the message and this one has not said so yet (its
  // sequence number stays valid until then; its content may be gone).
  bool expunge_pending(uint32_t seq) const;

  // The sequence numbers a set names, ascending and without repeats. With message
  // sequence numbers, nullopt when one is beyond exists() (the caller answers BAD, RFC
  // 9051 section 9 "seq-number"); UIDs without a message are skipped (section 6.4.9).
  // "*" is the last message (or the highest UID).
  std::optional<std::vector<uint32_t>> resolve(const imap::SequenceSet& set, bool uid) const;

  // Records a message as this session just changed it (MailStore::store_flags' result);
  // returns its sequence number, or nullopt when it is not in the view.
  std::optional<uint32_t> update(const store::MessageInfo& changed);

  // What changed in the store since the view was last brought up to date.
  struct Changes {
    std::vector<uint32_t> expunged;                // UIDs gone from the store, ascending
    std::vector<store::MessageInfo> flag_changes;  // known messages whose flags differ
    std::vector<store::MessageInfo> added;         // UIDs above max_uid(), ascending
  };
  // Reads the changes. Blocking (store reads): run it on the worker pool.
  // REQUIRES: nothing modifies the view until it returns.
  Result<Changes> read_changes(store::MailStore& store) const;
  // Applies changes and announces them to the client: EXPUNGE for each removal when
  // `allow_expunge` (otherwise they wait for a command that allows them), FETCH (FLAGS)
  // for flag changes, EXISTS when messages were added.
  void apply(Changes changes, bool allow_expunge, imap::ResponseWriter& out);

 private:
  store::MailboxInfo info_;
  bool read_only_ = false;
  std::vector<store::MessageInfo> messages_;  // sequence number n is messages_[n - 1]
  std::vector<uint32_t> pending_expunges_;    // UIDs, ascending, still in messages_
};

}  // namespace mail::imapd
