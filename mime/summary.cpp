// Message summaries and their binary form; see summary.h for the layout.
#include "mime/summary.h"

#include "common/codec.h"
#include "mime/base_subject.h"
#include "mime/body_from_structure.h"
#include "mime/date.h"
#include "mime/encoded_words.h"
#include "mime/header.h"
#include "mime/imap_render.h"
#include "mime/unicode.h"

namespace mail::mime {

namespace {

constexpr uint16_t kStoredFlags =
    kPartMultipart | kPartMessage | kPartText | kPartDigest | kPartGlobal;
// Bounds a decoder applies to a blob (a valid summary never comes near them).
constexpr uint64_t kMaxStoredParts = 1'000'000;
constexpr unsigned kMaxStoredDepth = 1000;  // numbering recurses once per level

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c += 32;
  return out;
}
std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c -= 32;
  return out;
}

void put_varint(Encoder& e, uint64_t v) {
  while (v >= 0x80) {
    e.u8(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  e.u8(static_cast<uint8_t>(v));
}
void put_signed(Encoder& e, int64_t v) {
  put_varint(e, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
void put_string(Encoder& e, std::string_view s) {
  put_varint(e, s.size());
  e.raw(s);
}

// A Decoder with varints; any error sticks and makes ok() false.
class BlobReader {
 public:
  explicit BlobReader(std::string_view in) : d_(in), size_(in.size()) {}
  uint8_t u8() { return d_.u8(); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = d_.u8();
      if (!d_.ok()) return 0;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    bad_ = true;
    return 0;
  }
  int64_t signed_varint() {
    uint64_t z = varint();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  std::string string() {
    uint64_t n = varint();
    if (n > size_) {
      bad_ = true;
      return {};
    }
    std::string s;
    s.reserve(n);
    for (uint64_t i = 0; i < n && d_.ok(); ++i) s.push_back(static_cast<char>(d_.u8()));
    return s;
  }
  bool ok() const { return d_.ok() && !bad_; }
  bool at_end() const { return d_.at_end(); }
  void fail() { bad_ = true; }

 private:
  Decoder d_;
  size_t size_;
  bool bad_ = false;
};

std::string join_number(const std::string& prefix, int k) {
  return prefix.empty() ? std::to_string(k) : prefix + "." + std::to_string(k);
}

void number_children(std::vector<PartInfo>& parts, int multipart, const std::string& prefix);

// A message entity (the message itself, or the one inside a message/rfc822 part) whose
// parts are numbered under `prefix` (RFC 9051 section 6.4.5).
void number_message(std::vector<PartInfo>& parts, int msg, const std::string& prefix) {
  if (parts[msg].is_multipart()) {
    parts[msg].section.clear();
    number_children(parts, msg, prefix);
    return;
  }
  parts[msg].section = join_number(prefix, 1);
  if (parts[msg].is_message() && parts[msg].first_child >= 0)
    number_message(parts, parts[msg].first_child, parts[msg].section);
}

void number_children(std::vector<PartInfo>& parts, int multipart, const std::string& prefix) {
  int k = 1;
  for (int c = parts[multipart].first_child; c >= 0; c = parts[c].next_sibling, ++k) {
    parts[c].section = join_number(prefix, k);
    if (parts[c].is_multipart())
      number_children(parts, c, parts[c].section);
    else if (parts[c].is_message() && parts[c].first_child >= 0)
      number_message(parts, parts[c].first_child, parts[c].section);
  }
}

// Tree links from parent indexes (parts are in pre-order), then part numbers.
void link_parts(std::vector<PartInfo>& parts) {
  std::vector<int> last_child(parts.size(), -1);
  for (size_t i = 0; i < parts.size(); ++i) {
    parts[i].first_child = parts[i].next_sibling = -1;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    int p = parts[i].parent;
    if (last_child[p] < 0)
      parts[p].first_child = static_cast<int>(i);
    else
      parts[last_child[p]].next_sibling = static_cast<int>(i);
    last_child[p] = static_cast<int>(i);
  }
  if (!parts.empty()) number_message(parts, 0, "");
}

// RFC 5256 section 3: the first address as ENVELOPE lists it, so a group's start marker
// (addr-mailbox = the group's name) when the field begins with a group, as Dovecot sorts
// (imaptest sort-addresses, sort-display-to).
const Address* first_mailbox(const std::vector<Address>& list) {
  for (const Address& a : list)
    if (!a.is_group_end()) return &a;
  return nullptr;
}

std::string display_key(const Address* a) {
  if (!a) return "";
  if (a->is_group_start()) return unicode_casemap(decode_header_utf8(a->mailbox.value_or("")));
  std::string name = a->name ? decode_header_utf8(*a->name) : "";
  if (name.empty()) name = a->mailbox.value_or("") + "@" + a->domain.value_or("");
  return unicode_casemap(name);
}

SortKeys sort_keys(const ParsedMessage& parsed) {
  SortKeys k;
  const Envelope& env = *parsed.parts[0].envelope;
  if (env.date) {
    if (auto d = parse_date(*env.date)) {
      k.has_date = true;
      k.date = d->utc_seconds;
      k.zone_minutes = d->zone_minutes;
    }
  }
  BaseSubject bs = base_subject(env.subject.value_or(""));
  k.base_subject = std::move(bs.text);
  k.reply_or_forward = bs.reply_or_forward;
  const Address* from = first_mailbox(env.from);
  const Address* to = first_mailbox(env.to);
  const Address* cc = first_mailbox(env.cc);
  if (from) k.from_mailbox = upper(from->mailbox.value_or(""));
  if (to) k.to_mailbox = upper(to->mailbox.value_or(""));
  if (cc) k.cc_mailbox = upper(cc->mailbox.value_or(""));
  k.from_display = display_key(from);
  k.to_display = display_key(to);
  k.cc_display = display_key(cc);
  if (env.message_id) {
    auto ids = parse_message_ids(*env.message_id);
    if (!ids.empty()) k.message_id = std::move(ids[0]);
  }
  if (env.in_reply_to) {
    auto ids = parse_message_ids(*env.in_reply_to);
    if (!ids.empty()) k.in_reply_to = std::move(ids[0]);
  }
  const Part& root = parsed.parts[0];
  std::string_view header =
      parsed.message.substr(root.header_begin, root.header_end - root.header_begin);
  if (auto refs = find_first_field(header, "References")) k.references = parse_message_ids(*refs);
  return k;
}

uint64_t decoded_size(const ParsedMessage& parsed, const Part& p, TransferEncoding e) {
  std::string_view body = parsed.message.substr(p.body_begin, p.body_end - p.body_begin);
  switch (e) {
    case TransferEncoding::kBase64:
      return base64_decoded_size(body);
    case TransferEncoding::kQuotedPrintable: {
      std::string out;
      decode_quoted_printable(body, out);
      return out.size();
    }
    case TransferEncoding::kUnknown:
      return 0;
    default:
      return parsed.body_size(p);
  }
}

}  // namespace

std::vector<std::string> parse_message_ids(std::string_view v) {
  std::vector<std::string> ids;
  size_t i = 0;
  while (i < v.size()) {
    char c = v[i];
    if (c == '(') {  // comment, possibly nested
      int depth = 0;
      for (; i < v.size(); ++i) {
        if (v[i] == '\\') {
          ++i;
        } else if (v[i] == '(') {
          ++depth;
        } else if (v[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
      }
      continue;
    }
    if (c != '<') {
      ++i;
      continue;
    }
    size_t close = v.find('>', i + 1);
    if (close == std::string_view::npos) break;
    std::string id = "<";
    for (size_t j = i + 1; j < close; ++j)
      if (v[j] != ' ' && v[j] != '\t' && v[j] != '\r' && v[j] != '\n') id += v[j];
    id += '>';
    if (id.size() > 2) ids.push_back(std::move(id));
    i = close + 1;
  }
  return ids;
}

MessageSummary summarize(const ParsedMessage& parsed) {
  MessageSummary s;
  const Part& root = parsed.parts[0];
  s.envelope = render_envelope(root.envelope ? &*root.envelope : nullptr);
  s.body = render_body_structure(parsed, false);
  s.bodystructure = render_body_structure(parsed, true);
  s.parts.reserve(parsed.parts.size());
  for (const Part& p : parsed.parts) {
    PartInfo info;
    info.parent = p.parent;
    info.flags = p.flags & kStoredFlags;
    info.header_begin = p.header_begin;
    info.header_end = p.header_end;
    info.body_begin = p.body_begin;
    info.body_end = p.body_end;
    info.size = parsed.body_size(p);
    info.lines = parsed.body_lines(p);
    info.encoding = classify_transfer_encoding(p.content.transfer_encoding.value_or(""));
    if (p.content.type && !p.content.type->empty()) {
      info.type = lower(*p.content.type);
      info.subtype = lower(p.content.subtype);
    } else if (p.is_message()) {
      info.type = "message", info.subtype = "rfc822";
    } else if (p.is_text() || !p.content.type) {
      info.type = "text", info.subtype = "plain";
    }
    for (const Param& prm : p.content.type_params)
      if (header_name_equals(prm.name, "charset")) info.charset = lower(prm.value);
    info.decoded_size = decoded_size(parsed, p, info.encoding);
    s.parts.push_back(std::move(info));
  }
  link_parts(s.parts);
  s.sort = sort_keys(parsed);
  return s;
}

MessageSummary analyze(std::string_view message, const Limits& limits) {
  return summarize(parse_message(message, limits));
}

std::string encode_summary(const MessageSummary& s) {
  Encoder e;
  e.u8(kSummaryVersion);
  put_string(e, s.envelope);
  put_string(e, s.bodystructure);  // BODY is derived from it when decoding
  put_varint(e, s.parts.size());
  for (const PartInfo& p : s.parts) {
    put_varint(e, static_cast<uint64_t>(p.parent + 1));
    put_varint(e, p.flags);
    put_varint(e, p.header_begin);
    put_varint(e, p.header_end - p.header_begin);
    put_varint(e, p.body_begin - p.header_end);
    put_varint(e, p.body_end - p.body_begin);
    put_varint(e, p.size);
    put_varint(e, p.lines);
    put_varint(e, p.decoded_size);
    e.u8(static_cast<uint8_t>(p.encoding));
    put_string(e, p.type);
    put_string(e, p.subtype);
    put_string(e, p.charset);
  }
  const SortKeys& k = s.sort;
  e.u8(static_cast<uint8_t>((k.has_date ? 1 : 0) | (k.reply_or_forward ? 2 : 0)));
  put_signed(e, k.date);
  put_signed(e, k.zone_minutes);
  for (const std::string* str :
       {&k.base_subject, &k.from_mailbox, &k.from_display, &k.to_mailbox, &k.to_display,
        &k.cc_mailbox, &k.cc_display, &k.message_id, &k.in_reply_to})
    put_string(e, *str);
  put_varint(e, k.references.size());
  for (const std::string& r : k.references) put_string(e, r);
  return std::move(e).bytes();
}

std::optional<StoredFetchStrings> stored_fetch_strings(std::string_view blob) {
  size_t pos = 0;
  if (blob.empty() || static_cast<uint8_t>(blob[pos++]) != kSummaryVersion) return std::nullopt;
  auto next_string = [&](std::string_view& out) {
    uint64_t len = 0;
    for (int shift = 0;; shift += 7) {
      if (pos >= blob.size() || shift >= 64) return false;
      const auto b = static_cast<uint8_t>(blob[pos++]);
      len |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (len > blob.size() - pos) return false;
    out = blob.substr(pos, len);
    pos += len;
    return true;
  };
  StoredFetchStrings s;
  if (!next_string(s.envelope) || !next_string(s.bodystructure)) return std::nullopt;
  return s;
}

Result<MessageSummary> decode_summary(std::string_view blob) {
  BlobReader r(blob);
  uint8_t version = r.u8();
  if (!r.ok()) return make_error(ErrorKind::Corrupt, "message summary: empty");
  if (version != kSummaryVersion)
    return make_error(ErrorKind::Corrupt,
                      "message summary: unknown version " + std::to_string(version));
  MessageSummary s;
  s.envelope = r.string();
  s.bodystructure = r.string();
  if (r.ok()) {
    auto body = body_from_bodystructure(s.bodystructure);
    if (!body) return make_error(ErrorKind::Corrupt, "message summary: bad BODYSTRUCTURE");
    s.body = std::move(*body);
  }
  uint64_t count = r.varint();
  if (!r.ok() || count == 0 || count > kMaxStoredParts || count > blob.size())
    return make_error(ErrorKind::Corrupt, "message summary: bad part count");
  s.parts.resize(count);
  std::vector<unsigned> depth(count, 0);
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    PartInfo& p = s.parts[i];
    uint64_t parent = r.varint();
    // Pre-order: a part's parent comes before it; only the message has none.
    if ((i == 0) != (parent == 0) || parent > i) {
      r.fail();
      break;
    }
    p.parent = static_cast<int>(parent) - 1;
    if (i > 0 && (depth[i] = depth[parent - 1] + 1) > kMaxStoredDepth) r.fail();
    p.flags = static_cast<uint16_t>(r.varint() & kStoredFlags);
    p.header_begin = r.varint();
    p.header_end = p.header_begin + r.varint();
    p.body_begin = p.header_end + r.varint();
    p.body_end = p.body_begin + r.varint();
    p.size = r.varint();
    p.lines = static_cast<uint32_t>(r.varint());
    p.decoded_size = r.varint();
    uint8_t enc = r.u8();
    if (enc > static_cast<uint8_t>(TransferEncoding::kUnknown)) r.fail();
    p.encoding = static_cast<TransferEncoding>(enc);
    p.type = r.string();
    p.subtype = r.string();
    p.charset = r.string();
  }
  SortKeys& k = s.sort;
  uint8_t flags = r.u8();
  k.has_date = flags & 1;
  k.reply_or_forward = flags & 2;
  k.date = r.signed_varint();
  k.zone_minutes = static_cast<int32_t>(r.signed_varint());
  for (std::string* str :
       {&k.base_subject, &k.from_mailbox, &k.from_display, &k.to_mailbox, &k.to_display,
        &k.cc_mailbox, &k.cc_display, &k.message_id, &k.in_reply_to})
    *str = r.string();
  uint64_t refs = r.varint();
  if (refs > blob.size()) r.fail();
  for (uint64_t i = 0; i < refs && r.ok(); ++i) k.references.push_back(r.string());
  if (!r.ok() || !r.at_end())
    return make_error(ErrorKind::Corrupt, "message summary: truncated or garbled");
  link_parts(s.parts);
  return s;
}

}  // namespace mail::mime
