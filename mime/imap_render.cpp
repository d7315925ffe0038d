// ENVELOPE / BODY / BODYSTRUCTURE writers; see imap_render.h.
#include "mime/imap_render.h"

#include "common/ascii.h"
#include "mime/imap_string.h"

namespace mail::mime {

namespace {

constexpr std::string_view kDefaultCharset = "us-ascii";
// What a multipart without any part shows as its one (empty) part.
constexpr std::string_view kEmptyBody =
    R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0))";
constexpr std::string_view kEmptyBodyStructure =
    R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL))";

void write_addresses(std::string& out, const std::vector<Address>& list) {
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  for (const Address& a : list) {
    out += '(';
    if (a.name)
      append_imap_string_for_humans(out, *a.name);
    else
      out += "NIL";
    out += ' ';
    append_imap_nstring(out, a.route);
    out += ' ';
    append_imap_nstring(out, a.mailbox);
    out += ' ';
    append_imap_nstring(out, a.domain);
    out += ')';
  }
  out += ')';
}

void write_params(std::string& out, const std::vector<Param>& params, bool default_charset) {
  if (!default_charset && params.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  bool seen_charset = false;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out += ' ';
    if (default_charset && ascii::iequals(params[i].name, "charset")) seen_charset = true;
    append_imap_string(out, params[i].name);
    out += ' ';
    append_imap_string(out, params[i].value);
  }
  if (default_charset && !seen_charset) {
    if (!params.empty()) out += ' ';
    out += "\"charset\" \"";
    out += kDefaultCharset;
    out += '"';
  }
  out += ')';
}

// body-ext-1part / body-ext-mpart tail: disposition, language, location.
void write_extension_common(std::string& out, const Content& c) {
  out += ' ';
  if (!c.disposition) {
    out += "NIL";
  } else {
    out += '(';
    append_imap_string(out, *c.disposition);
    out += ' ';
    write_params(out, c.disposition_params, false);
    out += ')';
  }
  out += ' ';
  if (c.language.empty()) {
    out += "NIL";
  } else {
    out += '(';
    for (size_t i = 0; i < c.language.size(); ++i) {
      if (i > 0) out += ' ';
      append_imap_string(out, c.language[i]);
    }
    out += ')';
  }
  out += ' ';
  append_imap_nstring_nolf(out, c.location);
}

class BodyWriter {
 public:
  BodyWriter(const ParsedMessage& m, bool extended) : m_(m), extended_(extended) {}

  void write(std::string& out, const Part& p) {
    if (p.is_multipart())
      write_multipart(out, p);
    else
      write_single(out, p);
  }

 private:
  void write_multipart(std::string& out, const Part& p) {
    if (p.first_child < 0) {
      out += extended_ ? kEmptyBodyStructure : kEmptyBody;
    } else {
      for (int c = p.first_child; c >= 0; c = m_.parts[c].next_sibling) {
        out += '(';
        write(out, m_.parts[c]);
        out += ')';
      }
    }
    out += ' ';
    append_imap_string(out, p.content.subtype);
    if (!extended_) return;
    out += ' ';
    write_params(out, p.content.type_params, false);
    write_extension_common(out, p.content);
  }

  // A part that claims to be a message or multipart but was not parsed as one (a limit
  // was reached, or a digest part without Content-Type): shown as opaque data.
  bool is_truncated(const Part& p) const {
    const Content& c = p.content;
    if (c.type) {
      if (ascii::iequals(*c.type, "message") &&
          (ascii::iequals(c.subtype, "rfc822") || ascii::iequals(c.subtype, "global")))
        return true;
      return ascii::iequals(*c.type, "multipart");
    }
    return p.parent >= 0 && (m_.parts[p.parent].flags & kPartDigest);
  }

  void write_single(std::string& out, const Part& p) {
    const Content& c = p.content;
    bool text = false;
    if (p.is_message()) {
      out += (p.flags & kPartGlobal) ? "\"message\" \"global\"" : "\"message\" \"rfc822\"";
    } else if (is_truncated(p)) {
      out += "\"application\" \"octet-stream\"";
    } else if (!c.type) {
      text = true;
      out += "\"text\" \"plain\"";
    } else {
      text = ascii::iequals(*c.type, "text");
      append_imap_string(out, *c.type);
      out += ' ';
      append_imap_string(out, c.subtype);
    }
    out += ' ';
    write_params(out, c.type_params, text);
    out += ' ';
    append_imap_nstring_nolf(out, c.id);
    out += ' ';
    append_imap_nstring_nolf(out, c.description);
    out += ' ';
    if (c.transfer_encoding)
      append_imap_string(out, *c.transfer_encoding);
    else
      out += "\"7bit\"";
    out += ' ';
    out += std::to_string(m_.body_size(p));
    if (text) {
      out += ' ';
      out += std::to_string(m_.body_lines(p));
    } else if (p.is_message() && p.first_child >= 0) {
      const Part& inner = m_.parts[p.first_child];
      out += ' ';
      out += render_envelope(inner.envelope ? &*inner.envelope : nullptr);
      out += " (";
      write(out, inner);
      out += ") ";
      out += std::to_string(m_.body_lines(p));
    }
    if (!extended_) return;
    out += ' ';
    append_imap_nstring_nolf(out, c.md5);
    write_extension_common(out, c);
  }

  const ParsedMessage& m_;
  bool extended_;
};

}  // namespace

std::string render_envelope(const Envelope* e) {
  if (!e) return "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
  std::string out = "(";
  append_imap_nstring_nolf(out, e->date);
  out += ' ';
  if (e->subject)
    append_imap_string_for_humans(out, *e->subject);
  else
    out += "NIL";
  out += ' ';
  write_addresses(out, e->from);
  out += ' ';
  write_addresses(out, e->sender.empty() ? e->from : e->sender);  // RFC 9051 7.5.2 defaults
  out += ' ';
  write_addresses(out, e->reply_to.empty() ? e->from : e->reply_to);
  out += ' ';
  write_addresses(out, e->to);
  out += ' ';
  write_addresses(out, e->cc);
  out += ' ';
  write_addresses(out, e->bcc);
  out += ' ';
  append_imap_nstring_nolf(out, e->in_reply_to);
  out += ' ';
  append_imap_nstring_nolf(out, e->message_id);
  out += ')';
  return out;
}

std::string render_body_structure(const ParsedMessage& message, bool extended) {
  std::string out = "(";
  BodyWriter(message, extended).write(out, message.parts[0]);
  out += ')';
  return out;
}

}  // namespace mail::mime
