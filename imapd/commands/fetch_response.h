// One message's FETCH response (RFC 9051 section 7.5.2, RFC 3501 section 7.4.2, RFC 3516
// BINARY, RFC 7162 MODSEQ), written from what the store keeps: the message record (flags,
// dates, sizes, MODSEQ), the MIME summary (ENVELOPE, BODY, BODYSTRUCTURE strings and the
// part table with byte ranges and decoded sizes) and the message octets, cut by the part
// table. Nothing is parsed again: a summary is decoded once per message, and only when an
// item needs it. The FETCH handler (fetch.cpp) walks the messages; this file knows the items.
// Input: store data (trusted); the items were checked by the FETCH argument parser.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/connection.h"
#include "imapd/mailbox_view.h"
#include "imapd/protocol/command.h"
#include "imapd/protocol/response_writer.h"
#include "mime/summary.h"
#include "store/mail_store.h"

namespace mail::imapd {

// What a FETCH's items need.
struct FetchNeeds {
  bool body = false;       // the message octets (sections, RFC822*, BINARY)
  bool summary = false;    // the MIME summary (ENVELOPE, BODY, BODYSTRUCTURE, parts, BINARY*)
  bool sets_seen = false;  // a non-PEEK body item: the message gets \Seen
  bool flags = false;      // FLAGS was asked for
  bool binary = false;     // a BINARY item (may be refused with [UNKNOWN-CTE])
  // Store parts to read (store::MessagePart bits).
  unsigned parts() const;
};
FetchNeeds fetch_needs(const std::vector<imap::FetchItem>& items);

// "01-Dec-2026 13:06:10 +0000" (RFC 9051 date-time) for seconds since the epoch.
std::string internal_date(int64_t unix_seconds);

// The message's decoded summary, asked for only when a section lies inside a part: a
// whole-message section (BODY[], HEADER, TEXT, HEADER.FIELDS) or BINARY[] reads the octets
// alone, and a FETCH of only those does not read the stored summary (fetch_needs()).
using SummaryOf = std::function<const mime::MessageSummary&()>;
// BODY[section] octets of a message (empty when it has no such part, as FETCH answers), and
// BINARY[part] octets (part content with base64 / quoted-printable undone): what URLFETCH
// (commands/urlfetch.cpp) returns for a URL's ;SECTION=. `made` may hold the octets.
std::string_view section_octets(const store::MessageView& m, const SummaryOf& summary,
                                const imap::Section& section, std::string& made);
std::string_view binary_octets(const store::MessageView& m, const SummaryOf& summary,
                               const std::vector<uint32_t>& part, std::string& made);
// The decoded summary of a stored message (computed from the octets when none is stored).
mime::MessageSummary message_summary(const store::MessageView& m);
// The octets BODY[section] names in a message (RFC 9051 section 6.4.5), without a partial:
// a view into m.body, or text made into `made`; nullopt when the message has no such
// section. Also what an IMAP URL's ;SECTION= names (CATENATE, RFC 4469; RFC 5092 3.3).
// REQUIRES: `m` holds the body; the summary too unless the section is a top-level one.
std::optional<std::string_view> body_section(const store::MessageView& m,
                                             const imap::Section& section, std::string& made);

// The `octets` sink of a FetchResponder: literal octets go straight to the connection,
// after the tokens the writer flushed.
class ConnectionSink final : public imap::ResponseSink {
 public:
  explicit ConnectionSink(net::Connection& c) : c_(c) {}
  void write(std::string_view bytes) override { c_.send(bytes); }

 private:
  net::Connection& c_;
};

// Writes FETCH responses for messages as the store shows them.
class FetchResponder {
 public:
  // `out` writes the tokens; `octets` takes literal octets (the sink `out` writes to).
  FetchResponder(const std::vector<imap::FetchItem>& items, imap::ResponseWriter& out,
                 imap::ResponseSink& octets);

  // Checks what can stop a message's response before any of it is written: a BINARY item
  // naming a part whose Content-Transfer-Encoding is unknown (RFC 3516 section 4.3: the
  // command fails with NO [UNKNOWN-CTE]). Returns the response code text, or nullopt.
  std::optional<std::string_view> refusal(const store::MessageView& m);

  // Writes "* seq FETCH (...)": the items in the order asked, then FLAGS when
  // `add_flags` (a \Seen this FETCH set, reported though FLAGS was not asked for, RFC
  // 9051 section 6.4.5). REQUIRES: `m` holds the parts fetch_needs() names.
  void write(uint32_t seq, const store::MessageView& m, bool add_flags);
  // FLAGS then include \Recent for the messages recent in `view` (RFC 3501 2.3.2).
  void set_recent_from(const MailboxView* view) { recent_view_ = view; }

 private:
  // The message's decoded summary (decoded once per message; computed from the octets
  // when the store has none, e.g. a store opened without StoreOptions::analyze).
  const mime::MessageSummary& summary(const store::MessageView& m);
  SummaryOf summary_of(const store::MessageView& m);  // summary(m), when asked
  void write_item(const imap::FetchItem& item, const store::MessageView& m);
  void write_section(const imap::FetchItem& item, const store::MessageView& m);
  void write_binary(const imap::FetchItem& item, const store::MessageView& m);
  void write_binary_size(const imap::FetchItem& item, const store::MessageView& m);
  void write_octets(std::string_view data, bool literal8);

  const std::vector<imap::FetchItem>& items_;
  imap::ResponseWriter& out_;
  imap::ResponseSink& octets_;
  const MailboxView* recent_view_ = nullptr;
  const bool reads_summary_;  // fetch_needs(items_).summary
  uint32_t summary_uid_ = 0;  // whose summary summary_ holds (0: none)
  mime::MessageSummary summary_;
};

}  // namespace mail::imapd
