// The THREAD algorithms of RFC 5256 section 3 over the messages a search matched, from
// the sort and thread keys of their MIME summaries (base subject, sent date, Message-ID,
// References / In-Reply-To): ORDEREDSUBJECT and REFERENCES, and the thread-list syntax of
// the THREAD response (section 4). Pure. The forest is flat (nodes refer to each other by
// index) and every walk is iterative, so a hostile mailbox (100,000 messages replying to
// each other in one chain) exhausts no stack; ancestor walks that guard against reference
// loops stop at kMaxThreadDepth.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mail::imapd::search {

// Replies nested deeper than this are not linked below it (RFC 5256's loop check walks
// the ancestors; the bound keeps it linear on hostile input).
inline constexpr size_t kMaxThreadDepth = 1000;

struct ThreadMessage {
  uint32_t id = 0;           // what the response names it by (sequence number or UID)
  uint32_t order = 0;        // its place in the mailbox (sequence number): breaks ties of date
  int64_t date = 0;          // sent date (section 2.2: the Date field, else the internal date)
  std::string base_subject;  // section 2.1, canonical (mime::base_subject)
  bool reply_or_forward = false;
  std::string message_id;               // "<...>", "" when none
  std::vector<std::string> references;  // References, else the first In-Reply-To id
};

struct ThreadForest {
  struct Node {
    uint32_t id = 0;  // the message's id, 0 for a dummy that only groups its children
    std::vector<uint32_t> children;  // indexes into nodes, in order
  };
  std::vector<Node> nodes;
  std::vector<uint32_t> roots;  // indexes into nodes, in thread order
};

ThreadForest thread_ordered_subject(const std::vector<ThreadMessage>& messages);
ThreadForest thread_references(const std::vector<ThreadMessage>& messages);

// "(1 2)(3 (4)(5))" (RFC 5256 section 4 thread-list, without "THREAD").
std::string format_threads(const ThreadForest& forest);

}  // namespace mail::imapd::search
