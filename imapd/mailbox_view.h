// MailboxView: the selected mailbox as one session has announced it to its client
// (RFC 9051 section 2.3.1), without a per-message array: a session's memory does not
// depend on the mailbox's size (100,000 messages cost what 10 do).
//
// What the session holds is a watermark of what its client knows:
//   - uid_next(): the client knows every message with a UID below it (and none above);
//   - highest_modseq(): the store's HIGHESTMODSEQ when the view was last brought up to
//     date; every change after it is still to be announced;
//   - pending_expunges(): UIDs the store has expunged that the client has not been told
//     of (RFC 9051 section 7.5.1 forbids EXPUNGE during FETCH, STORE and SEARCH; UID
//     commands may not send EXPUNGE either, section 7.5.1 last paragraph); they keep
//     their sequence numbers until then;
//   - the keywords announced in FLAGS;
//   - the UIDs that are \Recent in this session (RFC 3501 2.3.2, IMAP4rev1 only): a few
//     UID ranges, claimed from the store (MailStore::claim_recent) at SELECT and at each
//     refresh that finds new messages, or for EXAMINE the ones nobody claimed yet.
// The client's sequence number n is therefore the n-th UID of
//   { messages in the store with UID < uid_next() } + pending_expunges(),
// which MailboxView::Snapshot computes from the store's positions (store::MailboxView:
// count_below, uid_at) and the pending list. Memory is O(changes not yet announced).
//
// Use from command handlers (imapd/commands/):
//   - Reading messages: Session::read_view(fn) runs fn(Snapshot&) inside one store read
//     transaction on the event loop (LMDB reads are short and never block), then announces
//     keywords the snapshot revealed (untagged FLAGS) so that no FETCH FLAGS ever names a
//     keyword the client has not been told of. Inside fn: resolve() a sequence set to UID
//     ranges, for_each() over them with sequence numbers, seq_of()/uid_at(). Never keep
//     store::MessageView data past fn; never do network I/O inside fn (stream in batches:
//     stop the walk, write, then read again from the next UID: numbering is stable across
//     snapshots because expunges found meanwhile join pending_expunges()).
//   - Announcing changes: Session::refresh(allow_expunge) (NOOP, IDLE, end of commands):
//     EXISTS, FETCH FLAGS (with MODSEQ once CONDSTORE is on), EXPUNGE or VANISHED.
//   - After changing flags itself (STORE, FETCH setting \Seen): note_reported() for each
//     message whose new flags the command reported, so the next refresh does not repeat
//     them; announce_keywords() before writing flags that may hold a new keyword.
// Input: the store's data (trusted), sequence sets from the client (untrusted).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "imapd/protocol/response_writer.h"
#include "imapd/protocol/sequence_set.h"
#include "store/mail_store.h"

namespace mail::imapd {

// How changes are announced (RFC 7162): CONDSTORE adds MODSEQ to FETCH responses, QRESYNC
// replaces EXPUNGE by VANISHED.
struct AnnounceOptions {
  bool condstore = false;
  bool qresync = false;
};

class MailboxView {
 public:
  // A view of the mailbox as `snapshot` shows it (SELECT, EXAMINE): every message known.
  MailboxView(const store::MailboxInfo& snapshot_info, bool read_only);

  uint64_t mailbox_id() const { return mailbox_id_; }
  const std::string& name() const { return name_; }
  uint32_t uid_validity() const { return uid_validity_; }
  bool read_only() const { return read_only_; }

  // The number of messages the client knows about (the last EXISTS, less the EXPUNGEs).
  uint32_t exists() const { return exists_; }
  // UIDs below this are the client's; the UIDNEXT the client was last shown.
  uint32_t uid_next() const { return uid_next_; }
  // The store's HIGHESTMODSEQ the view is synchronised to (RFC 7162 HIGHESTMODSEQ).
  uint64_t highest_modseq() const { return modseq_; }
  // Expunged in the store, not yet announced: UIDs, ascending.
  std::span<const uint32_t> pending_expunges() const { return pending_; }
  // Keywords announced in the last untagged FLAGS (sorted as the store keeps them).
  const std::vector<std::string>& keywords() const { return keywords_; }

  // \Recent in this session (RFC 3501 2.3.2).
  bool is_recent(uint32_t uid) const;
  bool has_recent() const { return !recent_.empty(); }
  // Adds UIDs [claim.first, claim.end) to this session's recent ones.
  void add_recent(const store::RecentClaim& claim);
  // The RECENT count last told to the client.
  uint32_t announced_recent() const { return announced_recent_; }
  void set_announced_recent(uint32_t n) { announced_recent_ = n; }

  // One read transaction seen through this session's sequence numbers. Valid only inside
  // the function given to read().
  class Snapshot {
   public:
    struct Message {
      uint32_t seq = 0;
      uint32_t uid = 0;
      // The message, or null when it is expunged but not yet announced (a FETCH then
      // leaves it out and completes with [EXPUNGEISSUED], RFC 5530).
      const store::MessageView* message = nullptr;
    };
    using Visitor = std::function<bool(const Message&)>;  // false stops the walk

    store::MailboxView& store() { return store_; }  // positions there are not sequence numbers
    const store::MailboxInfo& info() const { return store_.info(); }
    const MailboxView& view() const { return view_; }
    uint32_t exists() const { return view_.exists_; }

    // Whether the client's message `uid` was expunged and not yet announced.
    bool expunged(uint32_t uid) const;
    // The UID of sequence number `seq` (nullopt outside 1..exists()).
    Result<std::optional<uint32_t>> uid_at(uint32_t seq);
    // The sequence number of `uid` (nullopt when the client does not know that UID).
    Result<std::optional<uint32_t>> seq_of(uint32_t uid);
    // The highest UID the client knows (0 when it knows no message): "*" in UID sets.
    Result<uint32_t> max_uid();
    // The UID ranges (ascending, disjoint) a set names, restricted to the client's
    // messages. Message sequence numbers: nullopt when one is beyond exists() (the caller
    // answers BAD, RFC 9051 section 9 "seq-number"). UIDs: unknown ones are left out
    // (section 6.4.9). "*" is the last message (or the highest UID).
    Result<std::optional<std::vector<store::UidRange>>> resolve(const imap::SequenceSet& set,
                                                                bool uid);
    // Visits the client's messages within `ranges` (ascending, disjoint; as resolve()
    // gives them) in ascending order with their sequence numbers, pending expunges
    // included (message == null). `parts`: store::MessagePart bits.
    Result<void> for_each(std::span<const store::UidRange> ranges, unsigned parts,
                          const Visitor& visit);
    // The first message without \Seen: its sequence number (SELECT's [UNSEEN n]).
    Result<std::optional<uint32_t>> first_unseen();
    // How many of the client's messages are \Recent in this session (RECENT n).
    Result<uint32_t> recent_count();

   private:
    friend class MailboxView;
    Snapshot(MailboxView& view, store::MailboxView& store) : view_(view), store_(store) {}
    // Store messages below `uid` that the client knows (all such are below uid_next()).
    Result<uint32_t> known_below(uint32_t uid);
    MailboxView& view_;
    store::MailboxView& store_;
  };

  // Runs fn on a snapshot of the mailbox (one store read transaction; blocking only as
  // long as LMDB reads are). Expunges the snapshot reveals join pending_expunges().
  // NotFound when the mailbox is gone; Invalid when it was recreated (UIDVALIDITY).
  Result<void> read(store::MailStore& store, const std::function<Result<void>(Snapshot&)>& fn);

  // What a refresh announces, computed inside one snapshot by prepare_refresh() and
  // written by announce() (a function of the view, the store and allow_expunge).
  struct Refresh {
    std::optional<std::vector<std::string>> keywords;     // new FLAGS list, when it grew
    std::vector<std::pair<uint32_t, uint32_t>> expunges;  // (seq, uid), highest seq first
    std::vector<std::pair<uint32_t, store::MessageInfo>> flag_changes;  // (seq, message)
    uint32_t exists = 0;  // the new count (EXISTS when it differs from the old one)
    uint32_t uid_next = 0;
    uint32_t first_recent_uid = 0;  // the store's: UIDs from here on are not claimed
    uint64_t highest_modseq = 0;
    std::vector<uint32_t> pending;  // expunges still unannounced afterwards
  };
  Result<Refresh> prepare_refresh(store::MailStore& store, bool allow_expunge);
  // Writes the untagged responses (RFC 9051 section 7.5.1 order: FLAGS, EXPUNGE or
  // VANISHED, FETCH, EXISTS) and moves the view's watermarks. Returns whether it wrote
  // EXISTS.
  bool announce(Refresh refresh, const AnnounceOptions& options, imap::ResponseWriter& out);

  // The client was told `uid`'s flags as of `modseq` (by STORE or FETCH): a refresh does
  // not repeat them unless they changed again.
  void note_reported(uint32_t uid, uint64_t modseq);
  // Writes untagged FLAGS (and OK [PERMANENTFLAGS]) when `keywords` (the mailbox's list,
  // MailboxInfo::keywords) holds one the client has not been told of, or when a read()
  // found such. Returns whether it wrote them.
  bool announce_keywords(imap::ResponseWriter& out,
                         const std::vector<std::string>* keywords = nullptr);
  // Writes "* FLAGS (...)" and "* OK [PERMANENTFLAGS (...)]" for `keywords` (SELECT).
  static void write_flag_lists(imap::ResponseWriter& out, const std::vector<std::string>& keywords,
                               bool read_only);
  // Whether every keyword of `flags` was announced.
  bool knows_keywords(const store::Flags& flags) const;

 private:
  static constexpr size_t kMaxReported = 4096;

  uint64_t mailbox_id_ = 0;
  std::string name_;
  uint32_t uid_validity_ = 0;
  bool read_only_ = false;
  uint32_t exists_ = 0;
  uint32_t uid_next_ = 1;
  uint64_t modseq_ = 0;
  uint64_t expunge_checked_ = 0;       // expunges up to this MODSEQ are in pending_ (or told)
  std::vector<uint32_t> pending_;      // ascending UIDs: expunged, not announced
  std::vector<std::string> keywords_;  // announced
  std::optional<std::vector<std::string>> keywords_seen_;  // a read() found more
  std::vector<std::pair<uint32_t, uint64_t>> reported_;    // (uid, modseq) told by commands
  // \Recent UIDs as [first, end) ranges, ascending and disjoint: one per claim at most
  // (adjacent claims merge), so a handful whatever the mailbox's size.
  std::vector<store::RecentClaim> recent_;
  uint32_t announced_recent_ = 0;
};

// Writes one unsolicited or STORE-caused flag update: "* n FETCH (UID u [MODSEQ (m)] FLAGS
// (...))" (RFC 9051 section 7.5.2; RFC 7162 section 3.1.4 adds MODSEQ once CONDSTORE is on).
void write_flag_update(imap::ResponseWriter& out, uint32_t seq, const store::MessageInfo& m,
                       bool with_uid, bool with_modseq, bool recent = false);

}  // namespace mail::imapd
