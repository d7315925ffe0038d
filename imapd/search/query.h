// The arguments of SEARCH, SORT and THREAD as typed values, read from the command's token
// tree (imap::SearchArgs, imap::GenericArgs): the search program (RFC 9051 section 6.4.4,
// RFC 3501 section 6.4.4, RFC 7162 section 3.1.5 MODSEQ, RFC 5182 "$"), ESEARCH's RETURN
// options (RFC 4731, RFC 5182 SAVE), SORT criteria (RFC 5256, RFC 5957 DISPLAYFROM /
// DISPLAYTO) and THREAD algorithms (RFC 5256). Pure: no store, no session.
// Input: tokens the command parser accepted from an untrusted client; every key, number,
// date and nesting level is checked here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imapd/protocol/command.h"
#include "imapd/protocol/sequence_set.h"

namespace mail::imapd::search {

// NOT, OR and parenthesised groups nested deeper than this are refused (bounds the
// recursion of the parser and of the evaluator whatever the command size limit allows).
inline constexpr int kMaxKeyDepth = 64;

enum class DateField : uint8_t { Internal, Sent };  // BEFORE/ON/SINCE, SENTBEFORE/...
enum class DateOp : uint8_t { Before, On, Since };

// One search key; a program is an And of keys.
struct Key {
  enum class Kind : uint8_t {
    All,
    And,          // children, all true (the top level and parenthesised groups)
    Or,           // children[0] or children[1]
    Not,          // !children[0]
    Sequence,     // message sequence numbers in `set`
    Uid,          // UIDs in `set`
    SavedResult,  // "$" (RFC 5182), as a sequence set or after UID
    FlagSet,      // system flag bit `flag` set (ANSWERED DELETED DRAFT FLAGGED SEEN)
    FlagClear,    // ... not set (UNANSWERED ...)
    Keyword,      // keyword `text` set (case-insensitive, RFC 9051 section 2.3.2)
    Unkeyword,
    Recent,   // \Recent (a session property)
    New,      // RECENT UNSEEN
    Old,      // NOT RECENT
    Date,     // `date_field` `date_op` `day`
    Larger,   // RFC822.SIZE > number
    Smaller,  // RFC822.SIZE < number
    Header,   // header field `text` contains `value` (FROM TO CC BCC SUBJECT HEADER)
    Body,     // body contains `value`
    Text,     // header or body contains `value`
    ModSeq,   // MODSEQ >= number (RFC 7162)
    Nothing,  // matches no message (e.g. a keyword that cannot exist)
  };
  Kind kind = Kind::All;
  uint32_t flag = 0;      // store::SystemFlag bit
  std::string text;       // keyword, or header field name
  std::string value;      // the UTF-8 string searched for
  imap::SequenceSet set;  // Sequence, Uid
  int64_t day = 0;        // Date: days since 1970-01-01
  DateField date_field = DateField::Internal;
  DateOp date_op = DateOp::On;
  uint64_t number = 0;        // Larger, Smaller (octets), ModSeq (mod-sequence)
  std::vector<Key> children;  // And, Or, Not
};

// What a program needs from each message, so the store reads nothing more.
struct Needs {
  bool body = false;      // the message octets (HEADER, BODY, TEXT)
  bool summary = false;   // the MIME summary (BODY, TEXT, SENT*)
  bool sequence = false;  // sequence numbers (a sequence set key)
  bool modseq = false;    // a MODSEQ key: the response reports the highest MODSEQ
};

// PARTIAL's range (RFC 5267 section 4.4): results first..last, 1-based, first <= last.
struct PartialRange {
  uint32_t first = 1;
  uint32_t last = 1;
};

// "lo:hi" of RETURN (PARTIAL lo:hi): two non-zero numbers, either order ("4:2" is 2:4).
// nullopt for anything else ("1", "1:*", "*:1", "0:3", "1:2,4:5").
std::optional<PartialRange> parse_partial_range(std::string_view text);

// RFC 4731 / RFC 5182 / RFC 5267 RETURN options (SEARCH and, with ESORT, SORT).
struct ReturnOptions {
  bool esearch = false;  // a RETURN clause was given: answer with ESEARCH
  bool min = false, max = false, all = false, count = false, save = false;
  bool update = false;                  // RFC 5267 section 4.2: keep the result up to date
  std::optional<PartialRange> partial;  // RFC 5267 section 4.4
};

struct Program {
  Key root;  // an And
  Needs needs;
  ReturnOptions ret;
};

// SORT criteria (RFC 5256 section 3, RFC 5957).
enum class SortKey : uint8_t { Arrival, Cc, Date, From, Size, Subject, To, DisplayFrom, DisplayTo };
struct SortCriterion {
  SortKey key = SortKey::Arrival;
  bool reverse = false;
};

enum class ThreadAlgorithm : uint8_t { OrderedSubject, References };

// Why arguments were refused: Bad (syntax, answered BAD) or BadCharset (NO [BADCHARSET]).
struct QueryError {
  enum class Kind : uint8_t { Bad, BadCharset };
  Kind kind = Kind::Bad;
  std::string message;
};

// Charsets a search string may be given in (RFC 9051 6.4.4: US-ASCII and UTF-8).
inline constexpr const char* kSearchCharsets[] = {"US-ASCII", "UTF-8"};

// SEARCH [RETURN (...)] [CHARSET x] keys.
std::variant<Program, QueryError> parse_search(const imap::SearchArgs& args);

struct SortQuery {
  std::vector<SortCriterion> criteria;
  Program program;
};
// SORT [RETURN (...)] (criteria) charset keys, from the generic token tree.
std::variant<SortQuery, QueryError> parse_sort(const std::vector<imap::Arg>& args);

struct ThreadQuery {
  ThreadAlgorithm algorithm = ThreadAlgorithm::OrderedSubject;
  Program program;
};
// THREAD algorithm charset keys, from the generic token tree.
std::variant<ThreadQuery, QueryError> parse_thread(const std::vector<imap::Arg>& args);

// "1-Feb-1994" (RFC 9051 "date", quotes already removed) as days since 1970-01-01.
std::optional<int64_t> parse_search_date(std::string_view text);

}  // namespace mail::imapd::search
