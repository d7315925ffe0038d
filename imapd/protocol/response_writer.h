// ResponseWriter: every server response is written through it (RFC 9051 sections 4 and
// 7), token by token: it chooses the wire form of each value (atom, quoted string or
// literal by content; NIL; numbers), puts the spaces between tokens, and keeps CR and LF
// out of human-readable text, so no handler ever builds a response by concatenation.
//
// Output goes to a ResponseSink once a response is complete (or when a literal's octets
// are about to be streamed, or when a long response passes kFlushOctets), so the writer
// itself holds at most a few KiB.
// Input: server-side values; strings may hold anything (client-chosen names, keywords,
// header text); the writer never lets them break the framing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "imapd/protocol/command.h"

namespace mail::imap {

class ResponseSink {
 public:
  virtual void write(std::string_view bytes) = 0;

 protected:
  ~ResponseSink() = default;
};

// Collects everything written (tests, and building text for later).
class StringSink final : public ResponseSink {
 public:
  void write(std::string_view bytes) override { data.append(bytes); }
  std::string data;
};

enum class Status { Ok, No, Bad, Bye, Preauth };

class ResponseWriter {
 public:
  // Octets buffered before they are handed to the sink in the middle of a response.
  static constexpr size_t kFlushOctets = 16 * 1024;
  // Buffer capacity kept between responses.
  static constexpr size_t kKeptCapacity = 1024;

  explicit ResponseWriter(ResponseSink& sink) : sink_(sink) {}
  ResponseWriter(const ResponseWriter&) = delete;
  ResponseWriter& operator=(const ResponseWriter&) = delete;

  // RFC 6855 (UTF8=ACCEPT enabled): 8-bit text may go in quoted strings.
  void set_utf8(bool on) { utf8_ = on; }

  // --- starting a response ---
  ResponseWriter& untagged();  // "*"
  // REQUIRES: `tag` as the parser or receiver produced it ("*" for an unknown tag).
  ResponseWriter& tagged(std::string_view tag);

  // --- data (each token is preceded by SP except at the start of a list or code) ---
  ResponseWriter& atom(std::string_view word);  // a string instead if not a valid atom
  ResponseWriter& number(uint64_t n);
  ResponseWriter& string(std::string_view s);   // quoted if it can be, else a literal
  ResponseWriter& astring(std::string_view s);  // atom if it can be, else string()
  ResponseWriter& nstring(std::optional<std::string_view> s);  // NIL for nullopt
  ResponseWriter& nil();
  // A mailbox name in the store's form (UTF-8): as an astring in modified UTF-7 (RFC 3501
  // section 5.1.3), or in UTF-8 once set_utf8(true) (RFC 6855, RFC 9051 section 5.1).
  ResponseWriter& mailbox(std::string_view name);
  ResponseWriter& literal(std::string_view s);  // always a literal
  // "{size}\r\n", then hands everything buffered to the sink: the caller sends exactly
  // `size` octets to the same sink next, then goes on writing tokens.
  ResponseWriter& literal_header(uint64_t size);
  // The same as literal8, "~{size}\r\n" (RFC 3516 section 4.2: BINARY data with NUL).
  ResponseWriter& literal8_header(uint64_t size);
  // A value already in IMAP syntax, written as it is: only for text the server made
  // itself (FETCH ENVELOPE and BODYSTRUCTURE from mime::render_*), never client data.
  ResponseWriter& preformatted(std::string_view imap_value);
  ResponseWriter& open();   // "("
  ResponseWriter& close();  // ")"
  // A flag or keyword ("\Seen", "$Junk", "\*"); one that is not valid flag syntax is left
  // out, since it cannot be written without corrupting the response.
  ResponseWriter& flag(std::string_view f);
  template <typename Range>
  ResponseWriter& flags(const Range& names) {
    open();
    for (const auto& name : names) flag(name);
    return close();
  }
  // A sequence-set of ascending numbers, ranges folded ("1:3,7").
  ResponseWriter& sequence_set(std::span<const uint32_t> ascending);
  // The name a FETCH response gives an item: "BODY[HEADER.FIELDS (From To)]<0>", "UID"...
  // PEEK is dropped and a partial shows only its origin (RFC 9051 section 7.5.2).
  ResponseWriter& fetch_item_name(const FetchItem& item);

  // --- status responses (RFC 9051 section 7.1) ---
  ResponseWriter& status(Status s);  // OK NO BAD BYE PREAUTH
  // "[NAME" ... "]": a response code; its arguments are tokens written in between.
  ResponseWriter& begin_code(std::string_view name);
  ResponseWriter& end_code();
  ResponseWriter& code(std::string_view name) { return begin_code(name).end_code(); }
  // Text inside a code as it is, not as a string: the URL of BADURL (RFC 4469 section 5,
  // url-resp-text as corrected by erratum 2002: any octet but NUL, CR, LF, "]" and 0xFF).
  // Octets outside that set are percent-encoded, which keeps a URL a URL.
  ResponseWriter& code_text(std::string_view text);

  // --- ending a response ---
  // SP, human-readable text (CR, LF and NUL replaced), CRLF: ends a status response.
  void text(std::string_view human);
  // CRLF: ends a data response.
  void end();
  // Hands what is buffered to the sink (done by end(), text() and literal_header()).
  void flush();

  // "+ text\r\n" (RFC 9051 section 7.5). An empty text gives "+ \r\n", the empty SASL
  // challenge clients expect (section 6.2.2).
  void continuation(std::string_view text);

  // Shorthands for whole status responses without a code.
  void tagged_status(std::string_view tag, Status s, std::string_view human) {
    tagged(tag).status(s).text(human);
  }
  void untagged_status(Status s, std::string_view human) { untagged().status(s).text(human); }

 private:
  void space();
  void raw(std::string_view bytes);
  void quoted(std::string_view s);
  void section_text(const Section& s);

  ResponseSink& sink_;
  std::string buf_;
  bool need_space_ = false;
  bool utf8_ = false;
};

// The wire form string() would choose, as text (for tests and log lines).
std::string format_string(std::string_view s, bool utf8 = false);

}  // namespace mail::imap
