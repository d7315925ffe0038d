// Command: one parsed IMAP client command (RFC 9051 section 6, RFC 3501 section 6) as a
// value. Each command family has its own argument struct; commands we recognise but do not
// type yet keep their arguments as a generic token tree (GenericArgs).
// Input: produced by parse_command() from untrusted bytes; every field is syntactically valid
// but not yet checked against server state or limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "imapd/protocol/sequence_set.h"

namespace mail::imap {

// A generic token: an atom (also numbers, sequence sets, NIL), a string (quoted or literal,
// already unescaped) or a parenthesised list. Used for SEARCH keys and untyped arguments.
struct Arg {
  enum class Kind { Atom, String, List };
  Kind kind = Kind::Atom;
  std::string value;      // Atom or String
  std::vector<Arg> list;  // List
  bool operator==(const Arg&) const = default;
};

// --- FETCH (RFC 9051 section 6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ) ---

enum class FetchAttr {
  Flags,
  Uid,
  InternalDate,
  Rfc822Size,
  Rfc822,        // = BODY[]
  Rfc822Header,  // = BODY.PEEK[HEADER]
  Rfc822Text,    // = BODY[TEXT]
  Envelope,
  Body,           // BODY without a section: BODYSTRUCTURE without extension data
  BodyStructure,  // BODYSTRUCTURE
  BodySection,    // BODY[section]<partial> and BODY.PEEK[...]
  Binary,         // BINARY[part]<partial> and BINARY.PEEK[...]
  BinarySize,     // BINARY.SIZE[part]
  ModSeq,
};

// section-spec: part numbers ("1.2.3", empty for the whole message) then an optional text.
struct Section {
  enum class Text { None, Header, HeaderFields, HeaderFieldsNot, Text, Mime };
  std::vector<uint32_t> part;
  Text text = Text::None;
  std::vector<std::string> fields;  // HEADER.FIELDS[.NOT] names, as the client wrote them
  bool operator==(const Section&) const = default;
};

struct Partial {  // "<offset.length>"
  uint32_t offset = 0;
  uint32_t length = 0;
  bool operator==(const Partial&) const = default;
};

struct FetchItem {
  FetchAttr attr = FetchAttr::Flags;
  bool peek = false;  // BODY.PEEK / BINARY.PEEK: do not set \Seen
  Section section;    // BodySection, Binary, BinarySize
  std::optional<Partial> partial;
  bool operator==(const FetchItem&) const = default;
};

// --- argument structs, one per command family ---

struct NoArgs {  // CAPABILITY NOOP LOGOUT STARTTLS CLOSE UNSELECT EXPUNGE CHECK IDLE NAMESPACE
  bool operator==(const NoArgs&) const = default;
};

struct LoginArgs {
  std::string userid;
  std::string password;
};

struct AuthenticateArgs {
  std::string mechanism;                        // upper-cased
  std::optional<std::string> initial_response;  // RFC 4959 SASL-IR; "=" means empty
};

struct MailboxArgs {        // SELECT EXAMINE CREATE DELETE SUBSCRIBE UNSUBSCRIBE
  std::string mailbox;      // "INBOX" in any case becomes "INBOX"
  std::vector<Arg> params;  // SELECT (CONDSTORE) / (QRESYNC (...)), CREATE (USE (...))
};

struct RenameArgs {
  std::string from;
  std::string to;
};

struct ListArgs {                              // LIST, LSUB; RFC 5258 LIST-EXTENDED forms included
  std::vector<std::string> selection_options;  // upper-cased: SUBSCRIBED, REMOTE, ...
  std::string reference;
  std::vector<std::string> patterns;  // list-mailbox, may contain '*' and '%'
  std::vector<Arg> return_options;    // RETURN (CHILDREN STATUS (MESSAGES))
  // RFC 5258 syntax was used (selection options, a pattern list or RETURN, even empty):
  // then "" is a pattern like any other, not the question for the delimiter.
  bool extended = false;
};

struct StatusArgs {
  std::string mailbox;
  std::vector<std::string> items;  // upper-cased: MESSAGES UIDNEXT ...
};

struct EnableArgs {
  std::vector<std::string> capabilities;  // upper-cased
};

struct IdArgs {  // RFC 2971; nullopt for "ID NIL"
  std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> params;
};

// RFC 9051 date-time, e.g. "17-Jul-1996 02:44:25 -0700".
struct DateTime {
  std::string text;
  int64_t unix_seconds = 0;  // UTC
};

// One part of an APPEND CATENATE message (RFC 4469 section 3): octets the client sent, or
// an IMAP URL (RFC 5092) naming a message or part the server copies in.
struct CatenatePart {
  enum class Kind { Text, Url };
  Kind kind = Kind::Text;
  std::string data;     // Text: the literal's octets; Url: the URL as sent (unresolved)
  bool binary = false;  // Text sent as literal8 ~{n} (RFC 3516)
  bool utf8 = false;    // Text sent as UTF8 (~{n}) (RFC 6855 section 4)
  bool operator==(const CatenatePart&) const = default;
};

struct AppendMessage {
  std::vector<std::string> flags;
  std::optional<DateTime> date_time;
  std::string message;  // empty for the CATENATE form
  bool binary = false;  // sent as literal8 ~{n} (RFC 3516)
  bool utf8 = false;    // sent as UTF8 (~{n}) (RFC 6855 section 4)
  // The CATENATE form (RFC 4469): the parts, in order, that make the message (never empty
  // when used).
  std::vector<CatenatePart> catenate;
  bool is_catenate() const { return !catenate.empty(); }
};

struct AppendArgs {
  std::string mailbox;
  std::vector<AppendMessage> messages;  // one, or several with MULTIAPPEND (RFC 3502)
};

struct SequenceArgs {  // UID EXPUNGE (RFC 4315)
  SequenceSet set;
};

struct FetchArgs {
  SequenceSet set;
  std::vector<FetchItem> items;           // ALL/FAST/FULL already expanded
  std::optional<uint64_t> changed_since;  // RFC 7162 CHANGEDSINCE
  bool vanished = false;                  // RFC 7162 VANISHED (UID FETCH only)
};

enum class StoreMode { Replace, Add, Remove };

struct StoreArgs {
  SequenceSet set;
  StoreMode mode = StoreMode::Replace;
  bool silent = false;
  std::vector<std::string> flags;
  std::optional<uint64_t> unchanged_since;  // RFC 7162 UNCHANGEDSINCE
};

struct CopyArgs {  // COPY MOVE
  SequenceSet set;
  std::string mailbox;
};

struct SearchArgs {
  std::vector<Arg> return_options;  // RFC 4731 ESEARCH: SEARCH RETURN (MIN COUNT)
  bool has_return = false;          // a RETURN clause was given, even "RETURN ()"
  std::optional<std::string> charset;
  std::vector<Arg> keys;  // token tree; parenthesised groups are Arg::Kind::List
};

// --- NOTIFY (RFC 5465 section 8) ---

// The events of RFC 5465 section 5, as bits of NotifyEventGroup::events.
enum NotifyEvent : unsigned {
  kNotifyMessageNew = 1u << 0,
  kNotifyMessageExpunge = 1u << 1,
  kNotifyFlagChange = 1u << 2,
  kNotifyAnnotationChange = 1u << 3,
  kNotifyMailboxName = 1u << 4,
  kNotifySubscriptionChange = 1u << 5,
  kNotifyMailboxMetadataChange = 1u << 6,
  kNotifyServerMetadataChange = 1u << 7,
};
// The <message-event>s (RFC 5465 section 8), the only ones SELECTED may name.
inline constexpr unsigned kNotifyMessageEvents =
    kNotifyMessageNew | kNotifyMessageExpunge | kNotifyFlagChange | kNotifyAnnotationChange;

// event-group = "(" filter-mailboxes SP events ")" (RFC 5465 section 6).
struct NotifyEventGroup {
  enum class Filter {
    Selected,
    SelectedDelayed,
    Inboxes,
    Personal,
    Subscribed,
    Subtree,
    Mailboxes
  };
  Filter filter = Filter::Personal;
  std::vector<std::string> mailboxes;  // Subtree, Mailboxes: names as the client sent them
  unsigned events = 0;                 // NotifyEvent bits; 0 for NONE
  std::vector<FetchItem> fetch;        // MessageNew's fetch-att list (section 5.2)
  // Event names the grammar allows (event-ext = atom) but RFC 5465 does not define.
  std::vector<std::string> unknown_events;
  bool operator==(const NotifyEventGroup&) const = default;
};

struct NotifyArgs {
  bool none = false;    // NOTIFY NONE
  bool status = false;  // NOTIFY SET STATUS (section 3.1)
  std::vector<NotifyEventGroup> groups;
};

struct GenericArgs {  // recognised commands whose arguments are not typed yet (SORT, ...)
  std::vector<Arg> args;
};

using CommandArgs =
    std::variant<NoArgs, LoginArgs, AuthenticateArgs, MailboxArgs, RenameArgs, ListArgs, StatusArgs,
                 EnableArgs, IdArgs, AppendArgs, SequenceArgs, FetchArgs, StoreArgs, CopyArgs,
                 SearchArgs, NotifyArgs, GenericArgs>;

struct Command {
  std::string tag;
  std::string name;  // upper-cased; "UID FETCH" has name "FETCH" and uid = true
  bool uid = false;
  CommandArgs args;
};

}  // namespace mail::imap
