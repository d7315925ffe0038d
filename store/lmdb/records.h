// Keys and values of the LMDB store's tables (layout: see lmdb_store.cpp). Integers in
// keys are big-endian so LMDB's byte order is numeric order. Decoders trust nothing:
// a truncated or garbled record yields nullopt, which callers report as Corrupt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/mail_store.h"

namespace mail::store::detail {

// A mailbox as stored: its public info plus the owning account.
struct MailboxRecord {
  std::string account;
  MailboxInfo info;
};

// Keys.
std::string u64_key(uint64_t v);                    // mailboxes, bodies, body_refs
std::string name_prefix(std::string_view account);  // account \0
std::string name_key(std::string_view account, std::string_view name);  // account \0 name
std::string message_prefix(uint64_t mailbox_id);                        // id BE
std::string message_key(uint64_t mailbox_id, uint32_t uid);             // id BE + uid BE
std::string expunged_key(uint64_t mailbox_id, uint64_t modseq);         // id BE + modseq BE

// Reads a big-endian integer key/value of exactly the right width.
std::optional<uint64_t> read_u64(std::string_view bytes);
std::optional<uint32_t> read_u32(std::string_view bytes);
// The UID part of a message key; nullopt if the key is not 12 octets.
std::optional<uint32_t> message_key_uid(std::string_view key);

std::string encode_u64(uint64_t v);
std::string encode_u32(uint32_t v);

std::string encode_account(int64_t created);

std::string encode_mailbox(const MailboxRecord& rec);
std::optional<MailboxRecord> decode_mailbox(uint64_t id, std::string_view bytes);

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

constexpr uint32_t kKnownSystemFlags = kSeen | kAnswered | kFlagged | kDeleted | kDraft;

}  // namespace mail::store::detail
