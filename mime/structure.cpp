// The MIME structure parser; see structure.h for the rules it follows. One pass over the
// message: a header state and a body state per part, a stack of open boundaries.
#include "mime/structure.h"

#include <strings.h>

#include <cstring>
#include <limits>

#include "common/ascii.h"
#include "mime/header.h"
#include "mime/rfc822_tokens.h"

namespace mail::mime {

namespace {

constexpr size_t kUnset = std::numeric_limits<size_t>::max();
// The longest boundary line tail looked at when the line has no LF (Dovecot's limit).
constexpr size_t kBoundaryLineMax = kMaxBoundaryLength + 4;

bool istarts(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// Header values are kept as C-like strings by clients: NUL becomes U+FFFD.
std::string without_nul(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\0')
      out.append(kReplacementChar);
    else
      out.push_back(c);
  }
  return out;
}

struct Boundary {
  std::string text;
  int part;
  bool closing = false;  // the last line found was "--boundary--"
};

class StructureParser {
 public:
  StructureParser(std::string_view msg, const Limits& limits) : msg_(msg), limits_(limits) {}

  ParsedMessage run() {
    parts_.emplace_back();
    parts_[0].header_end = parts_[0].body_begin = parts_[0].body_end = kUnset;
    parts_[0].envelope.emplace();
    State next = State::kHeader;
    while (next != State::kDone) {
      switch (next) {
        case State::kHeader:
          next = parse_header();
          break;
        case State::kBodyToBoundary:
          next = body_to_boundary();
          break;
        case State::kBodyToEnd:
          pos_ = msg_.size();
          next = State::kDone;
          break;
        case State::kDone:
          break;
      }
    }
    for (Part& p : parts_) {  // everything still open ends with the message
      if (p.header_end == kUnset) p.header_end = p.body_begin = msg_.size();
      if (p.body_end == kUnset) p.body_end = msg_.size();
    }
    ParsedMessage out;
    out.message = msg_;
    out.parts = std::move(parts_);
    return out;
  }

 private:
  enum class State { kHeader, kBodyToBoundary, kBodyToEnd, kDone };

  bool too_deep() const { return parts_[cur_].depth + 1 >= limits_.max_depth; }

  void append_child(bool is_mime) {
    int parent = cur_;
    Part child;
    child.parent = parent;
    child.depth = parts_[parent].depth + 1;
    child.flags = is_mime ? kPartMime : 0;
    child.header_begin = pos_;
    child.header_end = child.body_begin = child.body_end = kUnset;
    int idx = static_cast<int>(parts_.size());
    parts_.push_back(std::move(child));
    if (last_child_.size() < parts_.size()) last_child_.resize(parts_.size(), -1);
    if (last_child_[parent] < 0)
      parts_[parent].first_child = idx;
    else
      parts_[last_child_[parent]].next_sibling = idx;
    last_child_[parent] = idx;
    ++total_parts_;
    cur_ = idx;
  }

  // The index in boundaries_ of the boundary that the line at `line` starts, or -1.
  int find_boundary_line(size_t line) {
    if (line + 2 > msg_.size() || msg_[line] != '-' || msg_[line + 1] != '-') return -1;
    if (total_parts_ >= limits_.max_parts) {
      parts_[cur_].flags |= kPartOverflow;  // no more parts: boundaries are plain text now
      return -1;
    }
    size_t data = line + 2;
    size_t avail = msg_.size() - data;
    const char* lf = static_cast<const char*>(memchr(msg_.data() + data, '\n', avail));
    size_t find_size;
    bool trailing_dashes = false;
    if (lf) {
      find_size = static_cast<size_t>(lf - (msg_.data() + data));
      if (find_size > 0 && msg_[data + find_size - 1] == '\r') --find_size;
      trailing_dashes =
          find_size > 2 && msg_[data + find_size - 1] == '-' && msg_[data + find_size - 2] == '-';
    } else {
      find_size = std::min(avail, kBoundaryLineMax);
    }
    // Innermost first (RFC 2046 section 5.1.2); a prefix matches; the longest match wins.
    int best = -1;
    for (int i = static_cast<int>(boundaries_.size()) - 1; i >= 0; --i) {
      const std::string& b = boundaries_[i].text;
      if (b.size() <= find_size && msg_.compare(data, b.size(), b) == 0 &&
          (best < 0 || boundaries_[best].text.size() < b.size())) {
        best = i;
        if (b.size() == find_size || (trailing_dashes && b.size() + 2 == find_size)) break;
      }
    }
    if (best < 0) return -1;
    Boundary& b = boundaries_[best];
    b.closing = avail >= b.text.size() + 2 && msg_.compare(data + b.text.size(), 2, "--") == 0;
    return best;
  }

  void content_field(const HeaderField& f, Content& c) {
    std::string_view name = f.name.substr(8);  // after "Content-"
    if (ascii::iequals(name, "ID")) {
      if (!c.id) c.id = without_nul(f.value);
    } else if (ascii::iequals(name, "MD5")) {
      if (!c.md5) c.md5 = without_nul(f.value);
    } else if (ascii::iequals(name, "Type")) {
      if (!c.type) {
        ContentType ct = parse_content_type(f.value);
        c.type = std::move(ct.type);
        c.subtype = std::move(ct.subtype);
        c.type_params = std::move(ct.params);
      }
    } else if (ascii::iequals(name, "Transfer-Encoding")) {
      if (!c.transfer_encoding) c.transfer_encoding = parse_content_transfer_encoding(f.value);
    } else if (ascii::iequals(name, "Language")) {
      if (c.language.empty()) c.language = parse_content_language(f.value);
    } else if (ascii::iequals(name, "Location")) {
      if (!c.location) c.location = without_nul(f.value);
    } else if (ascii::iequals(name, "Description")) {
      if (!c.description) c.description = without_nul(f.value);
    } else if (ascii::iequals(name, "Disposition")) {
      // Like Dovecot: a later field replaces one that had no parameters.
      if (c.disposition_params.empty()) {
        if (auto d = parse_content_disposition(f.value)) {
          c.disposition = std::move(d->value);
          c.disposition_params = std::move(d->params);
        }
      }
    }
  }

  static void envelope_field(const HeaderField& f, Envelope& e) {
    std::string_view n = f.name;
    std::vector<Address>* list = nullptr;
    if (ascii::iequals(n, "Date")) {
      e.date = without_nul(f.value);
    } else if (ascii::iequals(n, "Subject")) {
      e.subject = without_nul(f.value);
    } else if (ascii::iequals(n, "Message-ID")) {
      e.message_id = without_nul(f.value);
    } else if (ascii::iequals(n, "In-Reply-To")) {
      e.in_reply_to = without_nul(f.value);
    } else if (ascii::iequals(n, "From")) {
      list = &e.from;
    } else if (ascii::iequals(n, "Sender")) {
      list = &e.sender;
    } else if (ascii::iequals(n, "Reply-To")) {
      list = &e.reply_to;
    } else if (ascii::iequals(n, "To")) {
      list = &e.to;
    } else if (ascii::iequals(n, "Cc")) {
      list = &e.cc;
    } else if (ascii::iequals(n, "Bcc")) {
      list = &e.bcc;
    }
    if (list) {
      // Repeated fields are merged as if comma-separated (a client showing only one of
      // them must not be fooled about the other).
      auto more = parse_address_list(f.value);
      list->insert(list->end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
    }
  }

  // Content-Type decides the part's kind (and its boundary) from the first such field.
  void content_type_flags(const HeaderField& f, std::optional<std::string>& boundary) {
    Rfc822Tokens tokens(f.value);
    tokens.skip_lwsp();
    std::string type;
    int ret = tokens.parse_content_type(type);
    Part& p = parts_[cur_];
    if (ascii::iequals(type, "message/rfc822")) {
      p.flags |= kPartMessage;
    } else if (ascii::iequals(type, "message/global")) {
      p.flags |= kPartMessage | kPartGlobal;  // RFC 6532 section 3.5, RFC 9051 7.5.2
    } else if (istarts(type, "text") && (type.size() == 4 || type[4] == '/')) {
      p.flags |= kPartText;
    } else if (istarts(type, "multipart/")) {
      p.flags |= kPartMultipart;
      if (ascii::iequals(std::string_view(type).substr(10), "digest")) p.flags |= kPartDigest;
    }
    if (ret < 0 || !(p.flags & kPartMultipart) || boundary) return;
    std::vector<Param> params;
    parse_params(tokens, params);
    for (const Param& prm : params) {
      if (ascii::iequals(prm.name, "boundary")) {
        boundary = prm.value.substr(0, kMaxBoundaryLength);
        break;
      }
    }
  }

  State parse_header() {
    std::optional<std::string> boundary;
    bool seen_content_type = false, multipart_started = false;
    size_t prev_newline = 0;
    const int self = cur_;
    const int parent = parts_[self].parent;
    const bool want_envelope = parent < 0 || parts_[parent].is_message();
    if (want_envelope && !parts_[self].envelope) parts_[self].envelope.emplace();
    for (;;) {
      if (pos_ >= msg_.size()) {  // the header runs to the end of the message
        parts_[self].header_end = parts_[self].body_begin = msg_.size();
        break;
      }
      bool end_line = is_header_end_line(msg_, pos_);
      if (end_line && boundary && (parts_[self].flags & kPartMime)) {
        // The multipart's own boundary becomes active before its body is read, so that a
        // "--boundary" line is attributed to the innermost multipart using it.
        if (!too_deep()) {
          boundaries_.push_back({*boundary, self});
          multipart_started = true;
        } else {
          parts_[self].flags = (parts_[self].flags | kPartOverflow) & ~kPartMultipart;
        }
      }
      if (!end_line && !boundaries_.empty()) {
        int b = find_boundary_line(pos_);
        if (b >= 0 && boundaries_[b].part != self) {
          // An enclosing boundary ends this header; its preceding newline goes with it.
          parts_[self].header_end = pos_ - prev_newline;
          parts_[self].body_begin = pos_;
          break;
        }
      }
      if (end_line) {
        pos_ += msg_[pos_] == '\n' ? 1 : 2;
        parts_[self].header_end = parts_[self].body_begin = pos_;
        break;
      }
      HeaderField f = read_header_field(msg_, pos_);
      pos_ = f.end;
      prev_newline = f.newline_size;
      if (ascii::iequals(f.name, "MIME-Version")) {
        parts_[self].flags |= kPartMime;
      } else if (ascii::iequals(f.name, "Content-Type")) {
        parts_[self].flags |= kPartMime;
        if (!seen_content_type) {
          seen_content_type = true;
          content_type_flags(f, boundary);
        }
      }
      if (istarts(f.name, "Content-")) content_field(f, parts_[self].content);
      if (want_envelope) envelope_field(f, *parts_[self].envelope);
    }

    Part& p = parts_[self];
    if (!(p.flags & kPartMime)) {
      // Not MIME: Content-* fields mean nothing (RFC 2045 section 4).
      p.flags = 0;
      p.content = Content{};
    }
    if (!seen_content_type || !(p.flags & kPartMime)) {
      // RFC 2046 section 5.1.5: in a digest the default is message/rfc822.
      if (parent >= 0 && (parts_[parent].flags & kPartDigest))
        p.flags |= kPartMessage;
      else
        p.flags |= kPartText;
    }
    if (multipart_started) return State::kBodyToBoundary;
    if (!(p.flags & kPartMessage))
      return boundaries_.empty() ? State::kBodyToEnd : State::kBodyToBoundary;
    if (!too_deep() && total_parts_ < limits_.max_parts) {
      append_child(false);
      return State::kHeader;
    }
    p.flags = (p.flags | kPartOverflow) & ~(kPartMessage | kPartGlobal);
    return boundaries_.empty() ? State::kBodyToEnd : State::kBodyToBoundary;
  }

  State body_to_boundary() {
    const size_t scan_start = pos_;
    if (pos_ >= msg_.size()) return State::kDone;
    int b = find_boundary_line(pos_);  // the body may start with a boundary line
    if (b >= 0) return finish_at_boundary(b, pos_, pos_);
    size_t p = pos_;
    for (;;) {
      const char* lf = static_cast<const char*>(memchr(msg_.data() + p, '\n', msg_.size() - p));
      if (!lf) break;
      size_t q = static_cast<size_t>(lf - msg_.data());
      size_t line = q + 1;
      b = find_boundary_line(line);
      if (b >= 0) {
        size_t newline = (q > scan_start && msg_[q - 1] == '\r') ? q - 1 : q;
        return finish_at_boundary(b, newline, line);
      }
      p = line;
      if (p >= msg_.size()) break;
    }
    pos_ = msg_.size();
    return State::kDone;
  }

  // A boundary line of boundaries_[b] starts at `line`; the newline before it at `newline`.
  State finish_at_boundary(int b, size_t newline, size_t line) {
    const int owner = boundaries_[b].part;
    while (cur_ != owner) {  // parts inside the owner end here, closed or not
      parts_[cur_].body_end = newline;
      cur_ = parts_[cur_].parent;
    }
    const bool closing = boundaries_[b].closing;
    const size_t length = boundaries_[b].text.size();
    boundaries_.resize(closing ? b : b + 1);
    pos_ = line + 2 + length + (closing ? 2 : 0);
    const char* lf = static_cast<const char*>(
        memchr(msg_.data() + pos_, '\n', pos_ < msg_.size() ? msg_.size() - pos_ : 0));
    if (!lf) {
      pos_ = msg_.size();
      return State::kDone;
    }
    pos_ = static_cast<size_t>(lf - msg_.data()) + 1;  // the rest of the line is ignored
    if (!boundaries_.empty() && boundaries_.back().part == cur_) {
      append_child(true);
      return State::kHeader;
    }
    // Epilogue (after "--boundary--"): text of the owner up to an outer boundary.
    return boundaries_.empty() ? State::kBodyToEnd : State::kBodyToBoundary;
  }

  std::string_view msg_;
  Limits limits_;
  std::vector<Part> parts_;
  std::vector<int> last_child_ = std::vector<int>(1, -1);
  std::vector<Boundary> boundaries_;  // back() is the innermost
  int cur_ = 0;
  size_t pos_ = 0;
  unsigned total_parts_ = 1;
};

}  // namespace

uint64_t wire_size(std::string_view msg, size_t begin, size_t end) {
  uint64_t size = end - begin;
  const char* p = msg.data() + begin;
  const char* e = msg.data() + end;
  while ((p = static_cast<const char*>(memchr(p, '\n', e - p))) != nullptr) {
    if (p == msg.data() || p[-1] != '\r') ++size;
    ++p;
  }
  return size;
}

uint32_t count_lines(std::string_view msg, size_t begin, size_t end) {
  uint32_t lines = 0;
  const char* p = msg.data() + begin;
  const char* e = msg.data() + end;
  while ((p = static_cast<const char*>(memchr(p, '\n', e - p))) != nullptr) {
    ++lines;
    ++p;
  }
  return lines;
}

uint64_t ParsedMessage::header_size(const Part& p) const {
  return wire_size(message, p.header_begin, p.header_end);
}
uint64_t ParsedMessage::body_size(const Part& p) const {
  return wire_size(message, p.body_begin, p.body_end);
}
uint32_t ParsedMessage::body_lines(const Part& p) const {
  return count_lines(message, p.body_begin, p.body_end);
}
uint32_t ParsedMessage::header_lines(const Part& p) const {
  return count_lines(message, p.header_begin, p.header_end);
}

ParsedMessage parse_message(std::string_view message, const Limits& limits) {
  return StructureParser(message, limits).run();
}

}  // namespace mail::mime
