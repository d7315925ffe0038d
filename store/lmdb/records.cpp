// Encoding of the LMDB store's records with common/codec.h. Input to the decoders is
// whatever is in the database file: lengths and counts are checked, never trusted.
#include "store/lmdb/records.h"

#include <algorithm>

#include "common/codec.h"

namespace mail::store::detail {
namespace {

// Record format tags: a record whose tag is unknown is refused, so a future schema can
// change a record and an old binary will not misread it.
constexpr uint8_t kAccountTag = 1;
constexpr uint8_t kMailboxTag = 1;
constexpr uint8_t kMessageTag = 1;
constexpr uint32_t kMaxKeywords = 4096;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool keyword_less(const std::string& a, const std::string& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return lower(x) < lower(y); });
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

std::string message_prefix(uint64_t mailbox_id) {
  return u64_key(mailbox_id);
}

std::string message_key(uint64_t mailbox_id, uint32_t uid) {
  return Encoder().u64(mailbox_id).u32(uid).bytes();
}

std::string expunged_key(uint64_t mailbox_id, uint64_t modseq) {
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

std::optional<uint32_t> message_key_uid(std::string_view key) {
  if (key.size() != 12) return std::nullopt;
  return read_u32(key.substr(8));
}

std::string encode_u64(uint64_t v) {
  return u64_key(v);
}
std::string encode_u32(uint32_t v) {
  return Encoder().u32(v).bytes();
}

std::string encode_account(int64_t created) {
  return Encoder().u8(kAccountTag).i64(created).bytes();
}

std::string encode_mailbox(const MailboxRecord& rec) {
  const MailboxInfo& m = rec.info;
  Encoder e;
  e.u8(kMailboxTag).str(rec.account).str(m.name).u32(m.uid_validity).u32(m.uid_next);
  e.u64(m.highest_modseq).u32(m.messages).u32(m.unseen).u64(m.size);
  e.u8(static_cast<uint8_t>(m.special_use)).u8(m.subscribed ? 1 : 0);
  return std::move(e).bytes();
}

std::optional<MailboxRecord> decode_mailbox(uint64_t id, std::string_view bytes) {
  Decoder d(bytes);
  if (d.u8() != kMailboxTag) return std::nullopt;
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
  m.size = d.u64();
  uint8_t use = d.u8();
  uint8_t subscribed = d.u8();
  if (!d.ok() || !d.at_end() || use > static_cast<uint8_t>(SpecialUse::Archive) || subscribed > 1)
    return std::nullopt;
  m.special_use = static_cast<SpecialUse>(use);
  m.subscribed = subscribed == 1;
  return rec;
}

std::string encode_message(const MessageInfo& msg) {
  Encoder e;
  e.u8(kMessageTag).u32(msg.flags.system).u32(static_cast<uint32_t>(msg.flags.keywords.size()));
  for (const auto& k : msg.flags.keywords) e.str(k);
  e.i64(msg.internal_date).u64(msg.size).u64(msg.modseq).u64(msg.body_id).u32(msg.header_size);
  return std::move(e).bytes();
}

std::optional<MessageInfo> decode_message(uint32_t uid, std::string_view bytes) {
  Decoder d(bytes);
  if (d.u8() != kMessageTag) return std::nullopt;
  MessageInfo m;
  m.uid = uid;
  m.flags.system = d.u32();
  uint32_t n = d.u32();
  if (!d.ok() || n > kMaxKeywords) return std::nullopt;
  for (uint32_t i = 0; i < n && d.ok(); ++i) m.flags.keywords.push_back(d.str());
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
