// Address list parsing; see address.h. The structure follows RFC 5322's grammar
// (address-list, address, group, mailbox, name-addr, angle-addr, addr-spec) with the
// recovery rules that keep ENVELOPE output identical to Dovecot's for broken input.
#include "mime/address.h"

#include "mime/rfc822_tokens.h"

namespace mail::mime {

namespace {

class AddressParser {
 public:
  explicit AddressParser(std::string_view value) : t_(value) {
    t_.keep_last_comment(true);
    t_.replace_nul(true);
  }

  std::vector<Address> parse(unsigned max) {
    if (t_.skip_lwsp() > 0) parse_address_list(max);
    return std::move(list_);
  }

 private:
  void add_address() {
    list_.push_back(std::move(addr_));
    addr_ = Address{};
    invalid_ = false;
  }

  void add_fixed_address() {
    if (!addr_.mailbox) {
      addr_.mailbox = "MISSING_MAILBOX";
      invalid_ = true;
    }
    if (!addr_.domain || addr_.domain->empty()) {
      addr_.domain = "MISSING_DOMAIN";
      invalid_ = true;
    }
    add_address();
  }

  // obs-local-part with dots anywhere ("a..b", ".a", "a.").
  int parse_nonstrict_dot_atom(std::string& out) {
    int ret = -1;
    do {
      while (t_.peek() == '.' && !t_.at_end()) {
        out.push_back('.');
        t_.advance();
        if (t_.at_end()) return 0;  // "@domain" missing, but the local-part was read
        ret = 1;
      }
      if (t_.peek() == '@') break;
      ret = t_.parse_atom(out);
    } while (ret > 0 && t_.peek() == '.');
    return ret;
  }

  // The local-part text stays in local_ even when it is broken: a lone word that is
  // not followed by "@" becomes part of a display name from there.
  int parse_local_part() {
    local_.clear();
    int ret = t_.peek() == '"' ? t_.parse_quoted_string(local_) : parse_nonstrict_dot_atom(local_);
    if (ret < 0) return -1;
    addr_.mailbox = local_;
    return ret;
  }

  int parse_domain() {
    std::string s;
    int ret = t_.parse_domain(s);
    if (ret < 0) return -1;
    addr_.domain = std::move(s);
    return ret;
  }

  // obs-domain-list = "@" domain *(*(CFWS / ",") [CFWS] "@" domain)
  int parse_domain_list() {
    std::string s;
    for (;;) {
      if (t_.at_end()) return 0;
      if (t_.peek() != '@') break;
      if (!s.empty()) s.push_back(',');
      s.push_back('@');
      int ret = t_.parse_domain(s);
      if (ret <= 0) return ret;
      while (t_.skip_lwsp() > 0 && t_.peek() == ',') t_.advance();
    }
    addr_.route = std::move(s);
    return 1;
  }

  int parse_angle_addr() {
    t_.advance();  // '<'
    if (t_.skip_lwsp() <= 0) return -1;
    if (t_.peek() == '@') {
      if (parse_domain_list() > 0 && t_.peek() == ':') {
        t_.advance();
      } else {
        addr_.route = "INVALID_ROUTE";
        if (t_.at_end()) return -1;
      }
      if (t_.skip_lwsp() <= 0) return -1;
    }
    if (t_.peek() != '>') {  // "<>" has neither local-part nor domain
      if (parse_local_part() <= 0) return -1;
      if (t_.peek() == '@' && !t_.at_end()) {
        if (parse_domain() <= 0) return -1;
      }
    }
    if (t_.peek() != '>' || t_.at_end()) return -1;
    t_.advance();
    return t_.skip_lwsp();
  }

  int parse_name_addr() {
    std::string phrase;
    if (t_.parse_phrase(phrase) <= 0 || t_.peek() != '<') return -1;
    if (!phrase.empty()) addr_.name = std::move(phrase);
    if (parse_angle_addr() < 0) {
      addr_.domain = "SYNTAX_ERROR";
      invalid_ = true;
    }
    return t_.at_end() ? 0 : 1;
  }

  int parse_addr_spec() {
    int ret2 = -2;
    t_.last_comment().clear();
    bool quoted = t_.peek() == '"';
    int ret = parse_local_part();
    if (ret <= 0) invalid_ = true;
    if (ret != 0 && !t_.at_end() && t_.peek() == '@') {
      ret2 = parse_domain();
      if (ret2 <= 0) ret = ret2;
    }
    if (!t_.last_comment().empty()) {
      addr_.name = t_.last_comment();  // "user@host (Name)"
    } else if (ret2 == -2) {
      // A word without "@domain": a lone "user" is a mailbox, but a word followed by
      // more words is a display name.
      std::string s = local_;
      s.push_back(' ');
      size_t orig = s.size();
      (void)t_.parse_phrase(s);
      if (s.size() != orig) {
        addr_.mailbox.reset();
        addr_.name = std::move(s);
      } else if (!quoted) {
        addr_.domain = "";
      }
      invalid_ = true;
      ret = -1;
    }
    return ret;
  }

  int parse_mailbox() {
    size_t start = t_.pos();
    int ret = parse_name_addr();
    if (ret < 0) {
      t_.set_pos(start);
      ret = parse_addr_spec();
      if (invalid_ && !addr_.name && addr_.mailbox && !addr_.domain) {
        addr_.name = std::move(addr_.mailbox);
        addr_.mailbox.reset();
      }
    }
    if (ret < 0) invalid_ = true;
    add_fixed_address();
    return ret;
  }

  int parse_group() {
    std::string phrase;
    if (t_.parse_phrase(phrase) <= 0 || t_.peek() != ':') return -1;
    // From here on this is a group, whatever follows.
    t_.advance();
    int ret = t_.skip_lwsp();
    addr_.mailbox = std::move(phrase);
    add_address();
    if (ret > 0 && t_.peek() != ';') {
      for (;;) {
        (void)parse_mailbox();
        if (t_.at_end() || t_.peek() != ',') break;
        t_.advance();
        if (t_.skip_lwsp() <= 0) {
          ret = -1;
          break;
        }
      }
    }
    if (ret >= 0) {
      if (t_.at_end() || t_.peek() != ';') {
        ret = -1;
      } else {
        t_.advance();
        ret = t_.skip_lwsp();
      }
    }
    add_address();  // end of group
    return ret == 0 ? 0 : 1;
  }

  int parse_address() {
    size_t start = t_.pos();
    int ret = parse_group();
    if (ret < 0) {
      t_.set_pos(start);
      addr_ = Address{};
      ret = parse_mailbox();
    }
    return ret;
  }

  void parse_address_list(unsigned max) {
    while (max > 0) {
      --max;
      if (parse_address() == 0) break;
      if (t_.at_end() || t_.peek() != ',') break;
      t_.advance();
      int ret = t_.skip_lwsp();
      if (ret <= 0) {
        if (ret < 0) add_fixed_address();  // ends with garbage
        break;
      }
    }
  }

  Rfc822Tokens t_;
  Address addr_;
  bool invalid_ = false;
  std::string local_;
  std::vector<Address> list_;
};

}  // namespace

std::vector<Address> parse_address_list(std::string_view value, unsigned max_addresses) {
  return AddressParser(value).parse(max_addresses);
}

}  // namespace mail::mime
