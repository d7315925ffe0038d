// Encoding of the LMDB store's records with common/codec.h. Input to the decoders is
// whatever is in the database file: lengths and counts are checked, never trusted.
#include "store/lmdb/records.h"

#include <algorithm>

#include "common/codec.h"

namespace mail::store::detail {
namespace {

// Record versions written by this code (see records.h for the rule).
constexpr uint8_t kAccountVersion = 2;  // 1: created; 2: + quota limits and usage
// Mailbox: 2: subscribed moved out, + deleted, keywords; 3: + first_recent_uid.
constexpr uint8_t kMailboxVersion = 3;
constexpr uint8_t kMessageVersion = 1;
constexpr uint32_t kMaxKeywords = 4096;
constexpr uint64_t kNoLimit = UINT64_MAX;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool keyword_less(const std::string& a, const std::string& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return lower(x) < lower(y); });
}

uint64_t limit_out(const std::optional<uint64_t>& v) {
  return v ? std::min(*v, kNoLimit - 1) : kNoLimit;
}
std::optional<uint64_t> limit_in(uint64_t v) {
  return v == kNoLimit ? std::nullopt : std::optional<uint64_t>(v);
}

void encode_keywords(Encoder& e, const std::vector<std::string>& keywords) {
  e.u32(static_cast<uint32_t>(keywords.size()));
  for (const auto& k : keywords) e.str(k);
}

bool decode_keywords(Decoder& d, std::vector<std::string>& out) {
  uint32_t n = d.u32();
  if (!d.ok() || n > kMaxKeywords) return false;
  for (uint32_t i = 0; i < n && d.ok(); ++i) out.push_back(d.str());
  return d.ok();
}

}  // namespace

std::string u64_key(uint64_t v) {
  return Encoder().u64(v).bytes();
}

std::string name_prefix(std::string_view account) {
  std::string k(account);
  k.push_back('\0');
  return k;
}

std::string name_key(std::string_view account, std::string_view name) {
  std::string k = name_prefix(account);
  k.append(name);
  return k;
}

std::string_view name_key_account(std::string_view key) {
  return key.substr(0, key.find('\0'));
}

std::string_view name_key_name(std::string_view key) {
  size_t zero = key.find('\0');
  return zero == std::string_view::npos ? std::string_view{} : key.substr(zero + 1);
}

std::string message_prefix(uint64_t mailbox_id) {
  return u64_key(mailbox_id);
}

std::string message_key(uint64_t mailbox_id, uint32_t uid) {
  return Encoder().u64(mailbox_id).u32(uid).bytes();
}

std::string modseq_key(uint64_t mailbox_id, uint64_t modseq) {
  return Encoder().u64(mailbox_id).u64(modseq).bytes();
}

std::optional<uint64_t> read_u64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  return Decoder(bytes).u64();
}

std::optional<uint32_t> read_u32(std::string_view bytes) {
  if (bytes.size() != 4) return std::nullopt;
  return Decoder(bytes).u32();
}

std::optional<uint64_t> key_mailbox(std::string_view key) {
  if (key.size() < 8) return std::nullopt;
  return read_u64(key.substr(0, 8));
}

std::optional<uint32_t> message_key_uid(std::string_view key) {
  if (key.size() != 12) return std::nullopt;
  return read_u32(key.substr(8));
}

std::optional<uint64_t> modseq_key_modseq(std::string_view key) {
  if (key.size() != 16) return std::nullopt;
  return read_u64(key.substr(8));
}

std::string encode_u64(uint64_t v) {
  return u64_key(v);
}
std::string encode_u32(uint32_t v) {
  return Encoder().u32(v).bytes();
}

std::string encode_account(const AccountRecord& rec) {
  Encoder e;
  e.u8(kAccountVersion).i64(rec.created);
  e.u64(limit_out(rec.limits.storage)).u64(limit_out(rec.limits.messages));
  e.u64(rec.storage_used).u64(rec.messages_used);
  return std::move(e).bytes();
}

std::optional<AccountRecord> decode_account(std::string_view bytes) {
  Decoder d(bytes);
  uint8_t version = d.u8();
  if (!d.ok() || version == 0 || version > kAccountVersion) return std::nullopt;
  AccountRecord rec;
  rec.created = d.i64();
  if (version >= 2) {
    rec.limits.storage = limit_in(d.u64());
    rec.limits.messages = limit_in(d.u64());
    rec.storage_used = d.u64();
    rec.messages_used = d.u64();
  }
  if (!d.ok() || !d.at_end()) return std::nullopt;
  return rec;
}

std::string encode_mailbox(const MailboxRecord& rec) {
  const MailboxInfo& m = rec.info;
  Encoder e;
  e.u8(kMailboxVersion).str(rec.account).str(m.name).u32(m.uid_validity).u32(m.uid_next);
  e.u64(m.highest_modseq).u32(m.messages).u32(m.unseen).u32(m.deleted).u64(m.size);
  e.u8(static_cast<uint8_t>(m.special_use));
  encode_keywords(e, m.keywords);
  e.u32(m.first_recent_uid);
  return std::move(e).bytes();
}

std::optional<MailboxRecord> decode_mailbox(uint64_t id, std::string_view bytes,
                                            uint8_t* version_out) {
  Decoder d(bytes);
  uint8_t version = d.u8();
  if (!d.ok() || version == 0 || version > kMailboxVersion) return std::nullopt;
  if (version_out) *version_out = version;
  MailboxRecord rec;
  MailboxInfo& m = rec.info;
  m.id = id;
  rec.account = d.str();
  m.name = d.str();
  m.uid_validity = d.u32();
  m.uid_next = d.u32();
  m.highest_modseq = d.u64();
  m.messages = d.u32();
  m.unseen = d.u32();
  uint8_t use = 0;
  if (version == 1) {
    // v1: size, special_use, subscribed; no deleted count, no keywords.
    m.size = d.u64();
    use = d.u8();
    uint8_t subscribed = d.u8();
    if (subscribed > 1) return std::nullopt;
    m.subscribed = subscribed == 1;
  } else {
    m.deleted = d.u32();
    m.size = d.u64();
    use = d.u8();
    if (!decode_keywords(d, m.keywords)) return std::nullopt;
  }
  // Before v3 no message was ever \Recent: start with none unclaimed (no migration needed).
  m.first_recent_uid = version >= 3 ? d.u32() : m.uid_next;
  if (m.first_recent_uid == 0 || m.first_recent_uid > m.uid_next) return std::nullopt;
  if (!d.ok() || !d.at_end() || use > static_cast<uint8_t>(SpecialUse::Archive))
    return std::nullopt;
  m.special_use = static_cast<SpecialUse>(use);
  return rec;
}

std::string encode_message(const MessageInfo& msg) {
  Encoder e;
  e.u8(kMessageVersion).u32(msg.flags.system);
  encode_keywords(e, msg.flags.keywords);
  e.i64(msg.internal_date).u64(msg.size).u64(msg.modseq).u64(msg.body_id).u32(msg.header_size);
  return std::move(e).bytes();
}

std::optional<MessageInfo> decode_message(uint32_t uid, std::string_view bytes) {
  Decoder d(bytes);
  uint8_t version = d.u8();
  if (!d.ok() || version == 0 || version > kMessageVersion) return std::nullopt;
  MessageInfo m;
  m.uid = uid;
  m.flags.system = d.u32();
  if (!decode_keywords(d, m.flags.keywords)) return std::nullopt;
  m.internal_date = d.i64();
  m.size = d.u64();
  m.modseq = d.u64();
  m.body_id = d.u64();
  m.header_size = d.u32();
  if (!d.ok() || !d.at_end()) return std::nullopt;
  return m;
}

bool keyword_equal(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return lower(x) == lower(y); });
}

void normalize_keywords(std::vector<std::string>& keywords) {
  std::erase_if(keywords, [](const std::string& k) { return k.empty(); });
  std::stable_sort(keywords.begin(), keywords.end(), keyword_less);
  auto last =
      std::unique(keywords.begin(), keywords.end(),
                  [](const std::string& a, const std::string& b) { return keyword_equal(a, b); });
  keywords.erase(last, keywords.end());
}

}  // namespace mail::store::detail
