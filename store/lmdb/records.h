// Keys and values of the LMDB store's tables (layout: see lmdb_store.cpp). Integers in
// keys are big-endian so LMDB's byte order is numeric order. Decoders trust nothing:
// a truncated or garbled record yields nullopt, which callers report as Corrupt.
//
// Every record value starts with a version byte. A later version only appends fields:
// decoders read older versions with defaults for the missing fields (so a field can be
// added without a migration) and refuse versions newer than they know (an old binary
// must not rewrite a record and drop what it cannot read).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/mail_store.h"

namespace mail::store::detail {

// A mailbox as stored: its public info plus the owning account. `info.subscribed` is not
// part of the record (subscriptions live in their own table); v1 records carried it, and
// decoding one fills it for the migration.
struct MailboxRecord {
  std::string account;
  MailboxInfo info;
};

// An account as stored: quota limits and usage (RFC 9208), maintained on every write.
struct AccountRecord {
  int64_t created = 0;
  QuotaLimits limits;
  uint64_t storage_used = 0;   // octets of every message of every mailbox
  uint64_t messages_used = 0;  // messages in every mailbox
};

// Keys.
std::string u64_key(uint64_t v);                    // mailboxes, bodies, body_refs, summaries
std::string name_prefix(std::string_view account);  // account \0
std::string name_key(std::string_view account, std::string_view name);  // account \0 name
std::string message_prefix(uint64_t mailbox_id);                        // id BE
std::string message_key(uint64_t mailbox_id, uint32_t uid);    // messages, unseen, deleted, seq
std::string modseq_key(uint64_t mailbox_id, uint64_t modseq);  // expunged, modseqs
// The account of a name key (everything before the first \0).
std::string_view name_key_account(std::string_view key);
std::string_view name_key_name(std::string_view key);

// Reads a big-endian integer key/value of exactly the right width.
std::optional<uint64_t> read_u64(std::string_view bytes);
std::optional<uint32_t> read_u32(std::string_view bytes);
// The mailbox id of a key that starts with one (message and modseq keys).
std::optional<uint64_t> key_mailbox(std::string_view key);
// The UID part of a message key; nullopt if the key is not 12 octets.
std::optional<uint32_t> message_key_uid(std::string_view key);
// The MODSEQ part of a modseq key; nullopt if the key is not 16 octets.
std::optional<uint64_t> modseq_key_modseq(std::string_view key);

std::string encode_u64(uint64_t v);
std::string encode_u32(uint32_t v);

std::string encode_account(const AccountRecord& rec);
std::optional<AccountRecord> decode_account(std::string_view bytes);

std::string encode_mailbox(const MailboxRecord& rec);
// `version_out`, when given, receives the record's version (the migration wants to know).
std::optional<MailboxRecord> decode_mailbox(uint64_t id, std::string_view bytes,
                                            uint8_t* version_out = nullptr);

// The UID lives in the key, not the value.
std::string encode_message(const MessageInfo& msg);
std::optional<MessageInfo> decode_message(uint32_t uid, std::string_view bytes);

// Keywords are compared without regard to case (RFC 9051 §2.3.2 flags are atoms matched
// case-insensitively by clients); the first spelling seen wins. Sorted case-insensitively.
void normalize_keywords(std::vector<std::string>& keywords);
bool keyword_equal(std::string_view a, std::string_view b);

// Keys of the `meta` table.
constexpr std::string_view kSchemaKey = "schema_version";
constexpr std::string_view kNextMailboxKey = "next_mailbox_id";
constexpr std::string_view kNextBodyKey = "next_body_id";
constexpr std::string_view kLastValidityKey = "last_uid_validity";
// Present while a migration to the current schema is unfinished: u32 stage, and the
// position reached in that stage (u64).
constexpr std::string_view kMigrationStageKey = "migration_stage";
constexpr std::string_view kMigrationNextKey = "migration_next";

constexpr uint32_t kKnownSystemFlags = kSeen | kAnswered | kFlagged | kDeleted | kDraft;

}  // namespace mail::store::detail
