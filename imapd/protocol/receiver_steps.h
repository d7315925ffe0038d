// Test helpers for the command receiver (receiver_test, catenate_test): its outcomes as
// short text, and a driver that feeds input the way the session does.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "imapd/protocol/receiver.h"

namespace mail::imap::receiver_steps {

// Outcomes as short text: "cmd:<wire>", "lit:<n>+" (continuation needed) or "lit:<n>",
// "no:<tag>", "bad:<tag>", "badbye:<tag>", "bye:<tag>". NeedMore is not listed.
inline std::string describe(const ReceiveOutcome& o) {
  if (auto* c = std::get_if<CommandReady>(&o)) return "cmd:" + c->wire;
  if (auto* l = std::get_if<NeedLiteral>(&o))
    return "lit:" + std::to_string(l->size) + (l->send_continuation ? "+" : "");
  if (auto* t = std::get_if<TooBig>(&o)) {
    switch (t->reply) {
      case TooBig::Reply::No:
        return "no:" + t->tag;
      case TooBig::Reply::Bad:
        return "bad:" + t->tag;
      case TooBig::Reply::BadThenBye:
        return "badbye:" + t->tag;
      case TooBig::Reply::Bye:
        return "bye:" + t->tag;
    }
  }
  return "more";
}

// Feeds every piece, calling receive() until it asks for more, like the session does.
inline std::vector<std::string> run(CommandReceiver& r, const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (const std::string& piece : pieces) {
    std::string_view in = piece;
    for (;;) {
      Received got = r.receive(in);
      EXPECT_LE(got.consumed, in.size());
      in.remove_prefix(got.consumed);
      if (std::holds_alternative<NeedMore>(got.outcome)) {
        EXPECT_TRUE(in.empty()) << "NeedMore left input unconsumed";
        break;
      }
      out.push_back(describe(got.outcome));
      if (auto* t = std::get_if<TooBig>(&got.outcome); t && t->closes()) return out;
    }
  }
  return out;
}

}  // namespace mail::imap::receiver_steps
