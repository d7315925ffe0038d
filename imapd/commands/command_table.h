// The one command table: for each command its name, the states it is valid in (RFC 9051
// section 6), whether a "UID" form exists (section 6.4.9), its argument parser (from
// imapd/protocol/arguments.h) and its handler (one file per command or family in this
// folder). The session parses the head of a command, finds the rule here, checks the
// state, parses the arguments with the rule's parser and runs the rule's handler; no
// other list of commands exists. A command missing here is answered BAD.
#pragma once

#include <span>
#include <string_view>

#include "common/net/asio.h"
#include "imapd/protocol/parser.h"

namespace mail::imapd {

class Session;

using CommandHandler = net::awaitable<void> (*)(Session& session, const imap::Command& cmd);

struct CommandRule {
  std::string_view name;  // upper case, as CommandHead::name
  unsigned states;        // StateBit mask (session_state.h)
  bool uid_form;          // "UID <name>" exists; the plain form always does
  imap::ArgParser parse;
  CommandHandler handler;
};

// The rule for a command, or null when there is none (or no UID form of it).
const CommandRule* find_command(std::string_view name, bool uid);
std::span<const CommandRule> command_table();

}  // namespace mail::imapd
