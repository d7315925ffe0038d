// SMTP command-line parser (RFC 5321 4.1; paths 4.1.2; ESMTP parameters of RFC 1870, 3030,
// 3461, 4954, 6152, 6531). Trusts nothing: every byte comes from the network.
#include "smtpd/protocol/command.h"

#include <arpa/inet.h>

#include <array>

#include "common/ascii.h"
#include "smtpd/protocol/utf8.h"

namespace mail::smtp {
namespace {

using ascii::iequals;
using ascii::is_alnum;
using ascii::is_atext;
using ascii::is_digit;
using ascii::is_space;

// Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] (RFC 5321 4.1.2),
// with U-labels allowed (RFC 6531 3.3). Lengths per RFC 5321 4.5.3.1.2 and RFC 1035.
bool valid_domain(std::string_view d, bool& utf8) {
  if (d.empty() || d.size() > 255) return false;
  size_t i = 0;
  while (true) {
    const size_t start = i;
    while (i < d.size() && d[i] != '.') {
      const auto c = static_cast<unsigned char>(d[i]);
      if (c >= 0x80) {
        const size_t len = utf8_sequence_length(d, i);
        if (len == 0) return false;
        utf8 = true;
        i += len;
      } else if (is_alnum(c) || c == '-') {
        ++i;
      } else {
        return false;
      }
    }
    const size_t len = i - start;
    if (len == 0 || len > 63 || d[start] == '-' || d[i - 1] == '-') return false;
    if (i == d.size()) return true;
    ++i;  // '.'
  }
}

// IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT, 0-255.
bool valid_ipv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    int value = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 3) value = value * 10 + (s[i++] - '0');
    if (i == start || value > 255) return false;
    ++parts;
    if (i == s.size()) return parts == 4;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

// address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]". The General-
// address-literal form needs an IANA-registered tag, and only "IPv6" exists, so no other
// tag is accepted.
bool valid_address_literal(std::string_view lit) {
  if (lit.size() < 3 || lit.front() != '[' || lit.back() != ']') return false;
  const std::string_view inner = lit.substr(1, lit.size() - 2);
  if (inner.size() > 5 && iequals(inner.substr(0, 5), "IPv6:")) {
    // RFC 5321's IPv6-addr grammar is RFC 4291 2.2 text form, which inet_pton accepts.
    const std::string text(inner.substr(5));
    unsigned char buf[16];
    return inet_pton(AF_INET6, text.c_str(), buf) == 1;
  }
  return valid_ipv4(inner);
}

// Path = "<" [ A-d-l ":" ] Mailbox ">" (RFC 5321 4.1.2), starting at s[i] == '<'. On
// success `i` is just past the '>'. The source route (A-d-l) is checked and dropped
// (RFC 5321 4.1.1.3, appendix C). Local-part is at most 64 octets by 4.5.3.1.1, but that
// section also asks receivers to be liberal, so only the line length bounds it.
bool parse_path(std::string_view s, size_t& i, bool allow_null, bool allow_postmaster,
                Address& out) {
  const size_t n = s.size();
  out = Address{};
  ++i;  // '<'
  if (allow_null && i < n && s[i] == '>') {
    ++i;
    return true;
  }
  if (allow_postmaster && n - i >= 11 && iequals(s.substr(i, 11), "postmaster>")) {
    out.local = std::string(s.substr(i, 10));
    i += 11;
    return true;
  }
  if (i < n && s[i] == '@') {  // A-d-l = At-domain *( "," At-domain )
    while (true) {
      ++i;  // '@'
      const size_t start = i;
      while (i < n && s[i] != ',' && s[i] != ':') ++i;
      bool ignored = false;
      if (i == n || !valid_domain(s.substr(start, i - start), ignored)) return false;
      if (s[i++] == ':') break;
      if (i == n || s[i] != '@') return false;
    }
  }
  bool utf8 = false;
  size_t start = i;
  if (i < n && s[i] == '"') {  // Quoted-string
    ++i;
    while (true) {
      if (i == n) return false;
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"') {
        ++i;
        break;
      }
      if (c == '\\') {  // quoted-pairSMTP = "\" %d32-126
        if (i + 1 == n || s[i + 1] < 32 || s[i + 1] > 126) return false;
        i += 2;
      } else if (c >= 0x80) {
        const size_t len = utf8_sequence_length(s, i);
        if (len == 0) return false;
        utf8 = true;
        i += len;
      } else if (c >= 32 && c <= 126) {  // qtextSMTP; '"' and '\' handled above
        ++i;
      } else {
        return false;
      }
    }
  } else {  // Dot-string = Atom *("." Atom)
    bool need_atom = true;
    while (i < n && s[i] != '@') {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '.') {
        if (need_atom) return false;
        need_atom = true;
        ++i;
        continue;
      }
      if (c >= 0x80) {
        const size_t len = utf8_sequence_length(s, i);
        if (len == 0) return false;
        utf8 = true;
        i += len;
      } else if (is_atext(c)) {
        ++i;
      } else {
        return false;
      }
      need_atom = false;
    }
    if (need_atom) return false;
  }
  out.local = std::string(s.substr(start, i - start));
  if (i == n || s[i] != '@') return false;
  start = ++i;
  if (i < n && s[i] == '[') {
    const size_t close = s.find(']', i);
    if (close == std::string_view::npos) return false;
    i = close + 1;
    out.domain = std::string(s.substr(start, i - start));
    if (!valid_address_literal(out.domain)) return false;
  } else {
    while (i < n && s[i] != '>') ++i;
    const std::string_view domain = s.substr(start, i - start);
    if (!valid_domain(domain, utf8)) return false;
    out.domain = ascii::lower(domain);
  }
  if (i == n || s[i] != '>') return false;
  ++i;
  out.utf8 = utf8;
  return true;
}

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

// Mail-parameters = esmtp-param *(SP esmtp-param); esmtp-param = esmtp-keyword
// ["=" esmtp-value] (RFC 5321 4.1.2). Only the generic syntax is checked here, and that no
// keyword comes twice; the values of the keywords we know are params.h's job.
std::optional<Reply> parse_params(std::string_view s, Command& cmd) {
  for (std::string_view word : split_words(s)) {
    const size_t eq = word.find('=');
    const std::string_view key = word.substr(0, eq);
    if (key.empty() || !is_alnum(key[0])) return replies::syntax_error("Bad parameter syntax");
    for (char c : key) {
      if (!is_alnum(c) && c != '-') return replies::syntax_error("Bad parameter syntax");
    }
    std::string value;
    if (eq != std::string_view::npos) {
      value = std::string(word.substr(eq + 1));
      // esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii); control bytes are gone already.
      if (value.empty() || value.find('=') != std::string::npos) {
        return replies::syntax_error("Bad parameter syntax");
      }
    }
    std::string upper = ascii::upper(key);
    if (cmd.param(upper) != nullptr) return replies::syntax_error("Duplicate parameter " + upper);
    cmd.params.emplace_back(std::move(upper), std::move(value));
  }
  return std::nullopt;
}

// MAIL FROM:<path> [params] and RCPT TO:<path> [params] (RFC 5321 4.1.1.2, 4.1.1.3).
std::variant<Command, Reply> parse_mail_or_rcpt(Command cmd, std::string_view rest) {
  const bool mail = cmd.verb == Verb::Mail;
  const std::string_view prefix = mail ? "FROM:" : "TO:";
  const Reply usage = replies::syntax_error(mail ? "Syntax: MAIL FROM:<address> [parameters]"
                                                 : "Syntax: RCPT TO:<address> [parameters]");
  if (rest.size() < prefix.size() || !iequals(rest.substr(0, prefix.size()), prefix)) return usage;
  size_t i = prefix.size();
  while (i < rest.size() && is_space(rest[i])) ++i;  // "MAIL FROM: <a@b>" is common
  if (i == rest.size() || rest[i] != '<') return usage;
  if (!parse_path(rest, i, /*allow_null=*/mail, /*allow_postmaster=*/!mail, cmd.path)) {
    return mail ? replies::bad_sender_syntax() : replies::bad_recipient_syntax();
  }
  if (i < rest.size() && !is_space(rest[i])) return usage;
  if (auto error = parse_params(rest.substr(i), cmd)) return *error;
  return cmd;
}

// HELO/EHLO: Domain, or for EHLO also address-literal (RFC 5321 4.1.1.1). Clients send all
// kinds of names (underscores, bare host names), so any single printable word is taken;
// only a bracketed literal is checked, since the session may compare it with the peer.
std::variant<Command, Reply> parse_hello(Command cmd, std::string_view rest) {
  const std::string_view verb = cmd.verb == Verb::Helo ? "HELO" : "EHLO";
  const auto words = split_words(rest);
  if (words.size() != 1) return replies::syntax_error("Syntax: " + std::string(verb) + " hostname");
  if (words[0].front() == '[' && !valid_address_literal(words[0])) {
    return replies::syntax_error("Bad address literal");
  }
  cmd.argument = std::string(words[0]);
  return cmd;
}

// BDAT chunk-size [SP end-marker] (RFC 3030 2).
std::variant<Command, Reply> parse_bdat(Command cmd, std::string_view rest) {
  const auto words = split_words(rest);
  const Reply usage = replies::syntax_error("Syntax: BDAT size [LAST]");
  if (words.empty() || words.size() > 2) return usage;
  const auto size = ascii::parse_decimal(words[0]);
  if (!size) return usage;
  cmd.chunk_size = *size;
  if (words.size() == 2) {
    if (!iequals(words[1], "LAST")) return usage;
    cmd.last_chunk = true;
  }
  return cmd;
}

// AUTH mechanism [initial-response] (RFC 4954 4); mechanism names per RFC 4422 3.1.
std::variant<Command, Reply> parse_auth(Command cmd, std::string_view rest) {
  const auto words = split_words(rest);
  const Reply usage = replies::syntax_error("Syntax: AUTH mechanism [initial-response]");
  if (words.empty() || words.size() > 2 || words[0].size() > 20) return usage;
  for (char c : words[0]) {
    if (!is_alnum(c) && c != '-' && c != '_') return usage;
  }
  cmd.argument = ascii::upper(words[0]);
  if (words.size() == 2) {
    for (char c : words[1]) {
      if (!is_alnum(c) && c != '+' && c != '/' && c != '=') return usage;
    }
    cmd.initial_response = std::string(words[1]);
  }
  return cmd;
}

struct VerbEntry {
  std::string_view name;
  Verb verb;
};

constexpr std::array<VerbEntry, 14> kVerbs{{
    {"HELO", Verb::Helo},
    {"EHLO", Verb::Ehlo},
    {"MAIL", Verb::Mail},
    {"RCPT", Verb::Rcpt},
    {"DATA", Verb::Data},
    {"BDAT", Verb::Bdat},
    {"RSET", Verb::Rset},
    {"NOOP", Verb::Noop},
    {"QUIT", Verb::Quit},
    {"VRFY", Verb::Vrfy},
    {"EXPN", Verb::Expn},
    {"HELP", Verb::Help},
    {"STARTTLS", Verb::Starttls},
    {"AUTH", Verb::Auth},
}};

}  // namespace

std::string_view verb_name(Verb verb) {
  for (const auto& entry : kVerbs) {
    if (entry.verb == verb) return entry.name;
  }
  return "?";
}

std::string Address::to_string() const {
  if (domain.empty()) return local;
  return local + "@" + domain;
}

const std::string* Command::param(std::string_view key) const {
  for (const auto& [k, v] : params) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::variant<Command, Reply> parse_command(std::string_view line) {
  // Control bytes have no place in a command (NUL, CR, LF are smuggling and injection tools).
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return replies::bad_characters();
  }
  while (!line.empty() && is_space(line.back())) line.remove_suffix(1);

  size_t i = 0;
  while (i < line.size() && !is_space(line[i])) ++i;
  const std::string_view verb = line.substr(0, i);
  while (i < line.size() && is_space(line[i])) ++i;
  const std::string_view rest = line.substr(i);

  Command cmd;
  bool known = false;
  for (const auto& entry : kVerbs) {
    if (iequals(verb, entry.name)) {
      cmd.verb = entry.verb;
      known = true;
      break;
    }
  }
  if (!known) return replies::unknown_command();

  switch (cmd.verb) {
    case Verb::Helo:
    case Verb::Ehlo:
      return parse_hello(std::move(cmd), rest);
    case Verb::Mail:
    case Verb::Rcpt:
      return parse_mail_or_rcpt(std::move(cmd), rest);
    case Verb::Bdat:
      return parse_bdat(std::move(cmd), rest);
    case Verb::Auth:
      return parse_auth(std::move(cmd), rest);
    case Verb::Data:
    case Verb::Rset:
    case Verb::Quit:
    case Verb::Starttls:
      // RFC 5321 4.1.1.4, 4.1.1.5, 4.1.1.10; RFC 3207 4: no parameters.
      if (!rest.empty())
        return replies::syntax_error("Syntax: " + std::string(verb_name(cmd.verb)));
      return cmd;
    case Verb::Vrfy:
    case Verb::Expn:
      if (rest.empty()) {
        return replies::syntax_error("Syntax: " + std::string(verb_name(cmd.verb)) + " string");
      }
      cmd.argument = std::string(rest);
      return cmd;
    case Verb::Noop:
    case Verb::Help:
      cmd.argument = std::string(rest);  // RFC 5321 4.1.1.8, 4.1.1.9: optional string
      return cmd;
  }
  return replies::unknown_command();
}

}  // namespace mail::smtp
