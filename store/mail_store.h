// The mailbox store's narrow interface: the only door through which imapd, pop3d,
// queued and mailctl reach mailboxes. LMDB (store/lmdb/) is the embedded backend; a
// second engine implements this same interface and nothing else changes. Daemons open it
// with store::open_store(config) (store/open_store.h).
//
// Every call is a short, synchronous transaction. Callers on an event loop run writes on
// the worker pool; short reads (mailbox(), read() over a few messages) may run on the loop.
// Accounts are identified by their full, lower-cased address. After each committed write
// the store notifies listening processes of the mailboxes it changed (store/notify.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mail::store {

constexpr uint32_t kSchemaVersion = 2;

// System flags as bits; \Recent is a session property, not stored (the mailbox keeps only
// MailboxInfo::first_recent_uid).
enum SystemFlag : uint32_t {
  kSeen = 1u << 0,
  kAnswered = 1u << 1,
  kFlagged = 1u << 2,
  kDeleted = 1u << 3,
  kDraft = 1u << 4,
};

struct Flags {
  uint32_t system = 0;
  std::vector<std::string> keywords;  // sorted, unique, case preserved ($Junk, $Forwarded, ...)
  bool operator==(const Flags&) const = default;
};

// RFC 6154 special-use attributes (one per mailbox; \All and \Flagged need virtual
// mailboxes, which the store does not have).
enum class SpecialUse : uint8_t { None, Sent, Drafts, Trash, Junk, Archive };

// Keywords a mailbox may know (the FLAGS list of SELECT); more are refused (Invalid).
constexpr size_t kMaxMailboxKeywords = 1000;

struct MailboxInfo {
  uint64_t id = 0;
  std::string name;  // hierarchy separator '/'; "INBOX" is canonical upper case
  uint32_t uid_validity = 0;
  uint32_t uid_next = 1;
  uint64_t highest_modseq = 1;
  uint32_t messages = 0;
  uint32_t unseen = 0;
  uint32_t deleted = 0;  // messages with \Deleted (STATUS DELETED, RFC 9051 6.3.11)
  uint64_t size = 0;     // sum of message sizes, octets (STATUS SIZE)
  // IMAP4rev1 \Recent (RFC 3501 2.3.2): messages with a UID at or above this have not yet
  // been claimed as recent by a session (MailStore::claim_recent); STATUS RECENT counts them.
  uint32_t first_recent_uid = 1;
  SpecialUse special_use = SpecialUse::None;
  bool subscribed = false;
  // Every keyword ever set on a message here, for SELECT's FLAGS (never shrinks, as in
  // Dovecot: a client may have cached it). Sorted case-insensitively.
  std::vector<std::string> keywords;
};

struct MessageInfo {
  uint32_t uid = 0;
  Flags flags;
  int64_t internal_date = 0;  // seconds since the epoch (UTC)
  uint64_t size = 0;          // octets of the stored message, exactly as delivered (CRLF)
  uint64_t modseq = 0;
  uint64_t body_id = 0;      // shared by every copy of the same delivered body
  uint32_t header_size = 0;  // octets of the header section including the blank line
};

struct Delivery {
  std::string account;
  std::string mailbox = "INBOX";
  Flags flags;
  // Idempotency key (queued uses "<queue id>/<account>"). When not empty, the store
  // records it in the same transaction as the message; a later delivery with a key already
  // recorded stores nothing and is reported as a duplicate. This makes a retry after a
  // crash (or a failed queue update) between the store commit and the queue update
  // harmless.
  std::string key;
};

struct Delivered {
  std::string account;
  std::string mailbox;
  uint64_t mailbox_id = 0;
  uint32_t uid_validity = 0;
  uint32_t uid = 0;        // 0 for a duplicate
  bool duplicate = false;  // the key was already recorded: nothing was stored now
};

// One message of a batch delivery (or APPEND) and where it goes.
struct IncomingMessage {
  std::string_view bytes;
  int64_t internal_date = 0;
  std::vector<Delivery> to;
  // The MIME summary (ENVELOPE, BODYSTRUCTURE, part offsets, sort keys) computed by the
  // caller, stored with the body as opaque bytes. Empty: the store computes it with
  // StoreOptions::analyze (when set) before its transaction begins.
  std::string_view summary = {};
};

enum class FlagOp { Replace, Add, Remove };

// An inclusive UID range; `last` may be UINT32_MAX for "to the end".
struct UidRange {
  uint32_t first = 1;
  uint32_t last = UINT32_MAX;
};

// Parts of a message a read may ask for besides its MessageInfo (bits).
enum MessagePart : unsigned { kPartInfo = 0, kPartBody = 1u << 0, kPartSummary = 1u << 1 };

// A message inside MailboxView::for_each. The views point into the store's mapped file and
// are valid only until the visitor returns.
struct MessageView {
  const MessageInfo& info;
  std::string_view body;     // the octets as delivered; empty unless kPartBody was asked
  std::string_view summary;  // empty unless kPartSummary was asked, or when none is stored
};
// Returns false to stop the iteration.
using MessageVisitor = std::function<bool(const MessageView&)>;

struct ExpungedUid {
  uint32_t uid = 0;
  uint64_t modseq = 0;  // the MODSEQ of the expunge (RFC 7162 3.2.10, VANISHED (EARLIER))
};

// What changed in a mailbox after a MODSEQ: messages added or whose flags changed (as they
// are now, ascending UID), and UIDs expunged (ascending UID). Costs O(changes).
struct Changes {
  uint64_t highest_modseq = 0;
  uint32_t uid_next = 0;
  uint32_t messages = 0;
  std::vector<MessageInfo> changed;
  std::vector<ExpungedUid> expunged;
};

// A consistent snapshot of one mailbox, valid only inside MailStore::read's callback (one
// read transaction; never held across network I/O). Positions are 1-based ranks among the
// messages present in the snapshot, in UID order: an IMAP session maps its own sequence
// numbers onto them by adding the expunged UIDs it has not yet announced.
class MailboxView {
 public:
  virtual ~MailboxView() = default;
  virtual const MailboxInfo& info() const = 0;
  // Number of messages whose UID is below `uid` (O(n/512 + 512) at worst).
  virtual Result<uint32_t> count_below(uint32_t uid) = 0;
  // The position of `uid`; nullopt when no such message.
  virtual Result<std::optional<uint32_t>> position_of(uint32_t uid) = 0;
  // The UID at `position` (1..info().messages); nullopt outside that range.
  virtual Result<std::optional<uint32_t>> uid_at(uint32_t position) = 0;
  // The first message without \Seen (SELECT's [UNSEEN n]): its UID, or nullopt.
  virtual Result<std::optional<uint32_t>> first_unseen() = 0;
  // UIDs without \Seen, and UIDs with \Deleted, within `ranges` (from indexes; O(result)).
  virtual Result<std::vector<uint32_t>> unseen_uids(std::span<const UidRange> ranges) = 0;
  virtual Result<std::vector<uint32_t>> deleted_uids(std::span<const UidRange> ranges) = 0;
  // Visits the messages in each range in turn (ascending UID within a range; give ranges
  // ascending and disjoint for one ascending walk).
  virtual Result<void> for_each(std::span<const UidRange> ranges, unsigned parts,
                                const MessageVisitor& visit) = 0;
  // Changes after `modseq` (see Changes).
  virtual Result<Changes> changes_since(uint64_t modseq) = 0;
};
using ViewFunction = std::function<Result<void>(MailboxView&)>;

// A mailbox name as LIST sees it (RFC 9051 7.3.1, RFC 5258 LIST-EXTENDED, RFC 6154).
struct ListEntry {
  // name, special_use, subscribed always; the rest only when `exists`.
  MailboxInfo info;
  // false: \NonExistent. Either a parent of existing mailboxes that was never created or
  // was deleted (a hole in the hierarchy, \Noselect too), or a subscription to a name
  // that does not exist.
  bool exists = true;
  bool has_children = false;  // an existing mailbox below it (\HasChildren)
};

// COPYUID data (RFC 4315 3): source and new UIDs, pairwise, ascending source UID.
struct CopyResult {
  uint32_t uid_validity = 0;  // of the destination
  std::vector<uint32_t> source_uids;
  std::vector<uint32_t> destination_uids;
};

// UIDs [first, end) a session claimed as \Recent (empty when first == end).
struct RecentClaim {
  uint32_t first = 0;
  uint32_t end = 0;
  bool operator==(const RecentClaim&) const = default;
};

struct FlagResult {
  std::vector<MessageInfo> messages;  // every message the call applied to, as it is now
  // UNCHANGEDSINCE (RFC 7162 3.1.3): UIDs left alone because their MODSEQ was higher.
  std::vector<uint32_t> modified;
};

// RFC 9208 quota: STORAGE in octets (IMAP reports KiB), MESSAGE in messages. nullopt:
// no limit. Usage counts every message of every mailbox of the account (each copy).
struct QuotaLimits {
  std::optional<uint64_t> storage;
  std::optional<uint64_t> messages;
  bool operator==(const QuotaLimits&) const = default;
};
struct Quota {
  QuotaLimits limits;
  uint64_t storage_used = 0;
  uint64_t messages_used = 0;
};

struct StoreOptions {
  // LMDB map: the most it may grow to, and its size at open (common/lmdb grows it).
  size_t map_size = size_t{16} << 30;
  size_t initial_map_size = size_t{64} << 20;
  // Computes a message's MIME summary (mime::analyze). Used for messages delivered without
  // one and by the schema-1 migration; when unset those get no summary.
  std::function<std::string(std::string_view message)> analyze = {};
  // Where listening processes bind their sockets (store/notify.h); empty: no notices.
  std::filesystem::path notify_dir = {};
  // Bodies per transaction in the schema-1 migration (tests use small values).
  size_t migration_batch = 256;
};

class MailStore {
 public:
  virtual ~MailStore() = default;

  // ---- accounts ----

  // Creates the account with INBOX, Sent, Drafts, Trash, Junk and Archive (special-use set,
  // all subscribed). Exists if the account is already there.
  virtual Result<void> create_account(std::string_view account) = 0;
  // Removes the account, its mailboxes, messages (bodies when no longer referenced) and
  // subscriptions.
  virtual Result<void> delete_account(std::string_view account) = 0;
  virtual Result<std::vector<std::string>> list_accounts() = 0;
  virtual Result<void> set_quota(std::string_view account, const QuotaLimits& limits) = 0;
  virtual Result<Quota> quota(std::string_view account) = 0;

  // ---- delivery and APPEND ----

  // Appends `message` to every destination in one transaction, storing the body once.
  // Durable (committed and fsync'd) when it returns. NotFound if an account or mailbox is
  // missing, OverQuota if storing it would take an account over its quota (then nothing is
  // delivered).
  virtual Result<std::vector<Delivered>> deliver(std::span<const Delivery> to,
                                                 std::string_view message,
                                                 int64_t internal_date) = 0;
  // Delivers several messages in one transaction (one fsync for the batch); APPEND and
  // MULTIAPPEND use it too. The outer error fails the whole batch (nothing stored); an
  // inner error fails only its message, in order: NotFound (a destination is missing),
  // OverQuota (an account would go over its quota; to deliver to the other accounts,
  // give each account its own IncomingMessage), Invalid. Nothing of a failed message is
  // stored.
  virtual Result<std::vector<Result<std::vector<Delivered>>>> deliver_batch(
      std::span<const IncomingMessage> batch) = 0;
  // Delivers every message of the batch or none, in one transaction (MULTIAPPEND, RFC 3502):
  // the first message that fails (NotFound, OverQuota, Invalid, as in deliver_batch) fails
  // the whole batch and nothing is stored. Results in batch order.
  virtual Result<std::vector<std::vector<Delivered>>> deliver_all(
      std::span<const IncomingMessage> batch) = 0;
  // Forgets idempotency keys recorded before `before` (seconds since the epoch); returns how
  // many were removed. queued calls it for keys older than the queue lifetime.
  virtual Result<size_t> prune_delivery_keys(int64_t before) = 0;

  // ---- mailboxes ----

  virtual Result<std::vector<MailboxInfo>> list_mailboxes(std::string_view account) = 0;
  // Every name LIST may show, sorted: mailboxes, holes, subscriptions (see ListEntry).
  virtual Result<std::vector<ListEntry>> list(std::string_view account) = 0;
  // Name lookup is case-insensitive for INBOX only.
  virtual Result<MailboxInfo> mailbox(std::string_view account, std::string_view name) = 0;
  virtual Result<MailboxInfo> mailbox_by_id(uint64_t mailbox_id) = 0;
  // The account a mailbox belongs to (one point read); NotFound when no such mailbox. A
  // listener of change notices (which carry ids only) tells its own mailboxes from others'.
  virtual Result<std::string> mailbox_account(uint64_t mailbox_id) = 0;
  // Creates `name` and any missing parents (RFC 9051 6.3.4; parents unsubscribed, no
  // special use). Exists if `name` exists; Invalid for an empty level ("a//b") or a name
  // ending in '/' (the separator).
  virtual Result<MailboxInfo> create_mailbox(std::string_view account, std::string_view name,
                                             SpecialUse use = SpecialUse::None) = 0;
  // RFC 9051 6.3.5: removes the mailbox and its messages. Inferiors stay (the name becomes
  // a hole LIST shows as \NonExistent); so does a subscription. Invalid for INBOX, NotFound
  // when it does not exist. A new mailbox of that name gets a new UIDVALIDITY.
  virtual Result<void> delete_mailbox(std::string_view account, std::string_view name) = 0;
  // RFC 9051 6.3.6: renames the mailbox and its inferiors (ids, UIDs and UIDVALIDITY kept;
  // subscriptions follow), creating missing parents of `to`. Renaming INBOX moves its
  // messages into a new mailbox `to` and leaves INBOX empty; INBOX's inferiors stay.
  // NotFound, Exists (`to` or an inferior's new name is taken), Invalid (`to` inside `from`).
  virtual Result<void> rename_mailbox(std::string_view account, std::string_view from,
                                      std::string_view to) = 0;
  // RFC 9051 6.3.7/6.3.8: subscriptions may name mailboxes that do not exist. Subscribing
  // twice is fine; unsubscribing a name not subscribed is NotFound. Each change is announced
  // as store::kSubscriptionsNotice (store/notify.h).
  virtual Result<void> subscribe(std::string_view account, std::string_view name) = 0;
  virtual Result<void> unsubscribe(std::string_view account, std::string_view name) = 0;

  // ---- reading messages ----

  // Runs `fn` on a snapshot of the mailbox in one read transaction (see MailboxView). Do
  // not call other MailStore methods from inside `fn`. NotFound when no such mailbox.
  virtual Result<void> read(uint64_t mailbox_id, const ViewFunction& fn) = 0;
  // read() with changes_since, for a session's refresh (NOOP, IDLE wake-up, QRESYNC).
  virtual Result<Changes> changes_since(uint64_t mailbox_id, uint64_t modseq) = 0;
  // All messages of a mailbox in ascending UID order. O(mailbox) in time and memory:
  // DEPRECATED for IMAP sessions (use read()); kept for POP3's maildrop snapshot, which
  // needs every size anyway.
  virtual Result<std::vector<MessageInfo>> messages(uint64_t mailbox_id) = 0;
  virtual Result<std::string> message_bytes(uint64_t mailbox_id, uint32_t uid) = 0;

  // ---- changing messages ----

  // Changes flags of the given UIDs (missing UIDs are skipped), giving each changed message
  // a new MODSEQ. Returns the messages as they are after the change. Invalid when a new
  // keyword would take the mailbox over kMaxMailboxKeywords.
  virtual Result<std::vector<MessageInfo>> store_flags(uint64_t mailbox_id,
                                                       std::span<const uint32_t> uids, FlagOp op,
                                                       const Flags& flags) = 0;
  // store_flags with CONDSTORE's UNCHANGEDSINCE (RFC 7162 3.1.3): messages whose MODSEQ is
  // above `unchanged_since` are left alone and listed in FlagResult::modified.
  virtual Result<FlagResult> store_flags_if(uint64_t mailbox_id, std::span<const uint32_t> uids,
                                            FlagOp op, const Flags& flags,
                                            std::optional<uint64_t> unchanged_since) = 0;
  // Removes the given UIDs (missing ones are skipped), recording each removal with its
  // MODSEQ for QRESYNC. Returns the UIDs removed, ascending.
  virtual Result<std::vector<uint32_t>> expunge(uint64_t mailbox_id,
                                                std::span<const uint32_t> uids) = 0;
  // EXPUNGE / UID EXPUNGE: removes the messages that have \Deleted at commit time (within
  // `within` when given), found through the \Deleted index. Returns the UIDs, ascending.
  virtual Result<std::vector<uint32_t>> expunge_deleted(
      uint64_t mailbox_id, std::optional<std::span<const UidRange>> within = std::nullopt) = 0;
  // COPY (RFC 9051 6.4.7) and MOVE (RFC 6851), each one transaction: the copies share the
  // bodies (reference counts), keep flags and internal dates and get new UIDs in source
  // order. Missing source UIDs are skipped. OverQuota (copy only) when the destination
  // account would go over its quota; NotFound when a mailbox is missing.
  virtual Result<CopyResult> copy(uint64_t from_mailbox, std::span<const uint32_t> uids,
                                  uint64_t to_mailbox) = 0;
  virtual Result<CopyResult> move(uint64_t from_mailbox, std::span<const uint32_t> uids,
                                  uint64_t to_mailbox) = 0;

  // IMAP4rev1 \Recent (RFC 3501 2.3.2): a message is recent in exactly one session, the
  // first to select its mailbox read-write after it arrived. Moves the mailbox's
  // first_recent_uid up to `up_to` (clipped to UIDNEXT) in one write transaction and
  // returns the UIDs this caller now owns as recent; none when another claimed them first.
  // Writes nothing (and notifies nobody) when there is nothing to claim. NotFound.
  virtual Result<RecentClaim> claim_recent(uint64_t mailbox_id, uint32_t up_to) = 0;

  // ---- URLAUTH (RFC 4467 section 7) ----

  // The mailbox access key behind URLAUTH's INTERNAL mechanism. Returns the key the
  // mailbox has; when it has none and `create_with` is given, stores that (durable when
  // this returns) and returns it. NotFound when the mailbox does not exist, or has no key
  // and `create_with` is not given. The store keeps the octets opaque; the caller makes
  // them (imapd: 32 random octets). Deleting the mailbox deletes its key.
  virtual Result<std::string> urlauth_key(uint64_t mailbox_id,
                                          std::optional<std::string_view> create_with) = 0;
  // RESETKEY (RFC 4467 section 4.1): forgets the access keys of every mailbox of the
  // account, or of `mailbox_id` only (which must be the account's: else NotFound), so that
  // every URL authorized with them stops working. Returns how many keys were removed.
  virtual Result<size_t> reset_urlauth_keys(std::string_view account,
                                            std::optional<uint64_t> mailbox_id) = 0;

  // Verifies the schema version and the consistency of counters, indexes, references and
  // bodies. Returns a list of problems (empty when the store is sound).
  virtual Result<std::vector<std::string>> check() = 0;
};

// Opens (creating when missing) the LMDB store in `dir`, migrating a schema-1 store to
// schema 2 (resumable: a crash part-way continues at the next open). Corrupt if the schema
// version is unknown. Prefer open_store(config) (store/open_store.h) in daemons.
Result<std::unique_ptr<MailStore>> open_lmdb_store(const std::filesystem::path& dir,
                                                   const StoreOptions& options = {});

}  // namespace mail::store
