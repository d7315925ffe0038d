// The mailbox store's narrow interface: the only door through which imapd, pop3d,
// queued and mailctl reach mailboxes. LMDB (store/lmdb/) is the embedded backend; a
// second engine implements this same interface and nothing else changes.
//
// Every call is a short, synchronous transaction. Callers on an event loop run them on
// the worker pool. Accounts are identified by their full, lower-cased address.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mail::store {

constexpr uint32_t kSchemaVersion = 1;

// System flags as bits; \Recent is a session property, not stored.
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

enum class SpecialUse : uint8_t { None, Sent, Drafts, Trash, Junk, Archive };

struct MailboxInfo {
  uint64_t id = 0;
  std::string name;  // hierarchy separator '/'; "INBOX" is canonical upper case
  uint32_t uid_validity = 0;
  uint32_t uid_next = 1;
  uint64_t highest_modseq = 1;
  uint32_t messages = 0;
  uint32_t unseen = 0;
  uint64_t size = 0;  // sum of message sizes, octets
  SpecialUse special_use = SpecialUse::None;
  bool subscribed = false;
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

// One message of a batch delivery and where it goes.
struct IncomingMessage {
  std::string_view bytes;
  int64_t internal_date = 0;
  std::vector<Delivery> to;
};

enum class FlagOp { Replace, Add, Remove };

struct StoreOptions {
  size_t map_size = size_t{16} << 30;  // largest LMDB map (server.store_max_size); grows to it
};

class MailStore {
 public:
  virtual ~MailStore() = default;

  // Creates the account with INBOX, Sent, Drafts, Trash, Junk and Archive (special-use set,
  // all subscribed). Exists if the account is already there.
  virtual Result<void> create_account(std::string_view account) = 0;
  // Removes the account, its mailboxes and messages (bodies when no longer referenced).
  virtual Result<void> delete_account(std::string_view account) = 0;
  virtual Result<std::vector<std::string>> list_accounts() = 0;

  // Appends `message` to every destination in one transaction, storing the body once.
  // Durable (committed and fsync'd) when it returns. NotFound if an account or mailbox is
  // missing (then nothing is delivered).
  virtual Result<std::vector<Delivered>> deliver(std::span<const Delivery> to,
                                                 std::string_view message,
                                                 int64_t internal_date) = 0;
  // Delivers several messages in one transaction (one fsync for the batch). The outer
  // error fails the whole batch (nothing stored); an inner error fails only its message
  // (NotFound: a destination is missing; nothing of that message is stored), in order.
  virtual Result<std::vector<Result<std::vector<Delivered>>>> deliver_batch(
      std::span<const IncomingMessage> batch) = 0;
  // Forgets idempotency keys recorded before `before` (seconds since the epoch); returns how
  // many were removed. queued calls it for keys older than the queue lifetime.
  virtual Result<size_t> prune_delivery_keys(int64_t before) = 0;

  virtual Result<std::vector<MailboxInfo>> list_mailboxes(std::string_view account) = 0;
  // Name lookup is case-insensitive for INBOX only.
  virtual Result<MailboxInfo> mailbox(std::string_view account, std::string_view name) = 0;
  virtual Result<MailboxInfo> create_mailbox(std::string_view account, std::string_view name,
                                             SpecialUse use = SpecialUse::None) = 0;

  // All messages of a mailbox in ascending UID order.
  virtual Result<std::vector<MessageInfo>> messages(uint64_t mailbox_id) = 0;
  virtual Result<std::string> message_bytes(uint64_t mailbox_id, uint32_t uid) = 0;

  // Changes flags of the given UIDs (missing UIDs are skipped), giving each changed message
  // a new MODSEQ. Returns the messages as they are after the change.
  virtual Result<std::vector<MessageInfo>> store_flags(uint64_t mailbox_id,
                                                       std::span<const uint32_t> uids, FlagOp op,
                                                       const Flags& flags) = 0;
  // Removes the given UIDs (missing ones are skipped), recording each removal with its
  // MODSEQ for QRESYNC. Returns the UIDs removed, ascending.
  virtual Result<std::vector<uint32_t>> expunge(uint64_t mailbox_id,
                                                std::span<const uint32_t> uids) = 0;

  // Verifies the schema version and the consistency of counters, references and bodies.
  // Returns a list of problems (empty when the store is sound).
  virtual Result<std::vector<std::string>> check() = 0;
};

// Opens (creating when missing) the LMDB store in `dir`. Corrupt if the schema version is
// unknown.
Result<std::unique_ptr<MailStore>> open_lmdb_store(const std::filesystem::path& dir,
                                                   const StoreOptions& options = {});

}  // namespace mail::store
