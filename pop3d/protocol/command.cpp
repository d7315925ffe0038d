// POP3 command parsing (RFC 1939 3): a keyword of 3-4 characters, case-insensitive,
// then arguments separated by spaces. See command.h for the contract.
#include "pop3d/protocol/command.h"

#include <array>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace mail::pop3 {
namespace {

constexpr std::array<std::pair<std::string_view, Verb>, 14> kVerbs = {{
    {"CAPA", Verb::Capa},
    {"USER", Verb::User},
    {"PASS", Verb::Pass},
    {"STLS", Verb::Stls},
    {"QUIT", Verb::Quit},
    {"STAT", Verb::Stat},
    {"LIST", Verb::List},
    {"UIDL", Verb::Uidl},
    {"RETR", Verb::Retr},
    {"DELE", Verb::Dele},
    {"RSET", Verb::Rset},
    {"NOOP", Verb::Noop},
    {"TOP", Verb::Top},
    {"AUTH", Verb::Auth},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != b[i]) return false;
  }
  return true;
}

// Splits on runs of spaces; leading and trailing spaces are ignored (some clients send
// "LIST " with a trailing space).
std::vector<std::string_view> split_args(std::string_view rest) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    size_t start = i;
    while (i < rest.size() && rest[i] != ' ') ++i;
    if (i > start) out.push_back(rest.substr(start, i - start));
  }
  return out;
}

// A decimal number: digits only. Values beyond 32 bits saturate (no mailbox is that big,
// and a TOP line count that large means "all of it").
std::optional<uint32_t> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > std::numeric_limits<uint32_t>::max()) value = std::numeric_limits<uint32_t>::max();
  }
  return static_cast<uint32_t>(value);
}

ParseError err(std::string text) {
  return ParseError{std::move(text)};
}

// A message number argument (RFC 1939 3: "msg" is a 1-based number). 0 names no message.
std::variant<uint32_t, ParseError> message_number(std::string_view s) {
  auto n = parse_number(s);
  if (!n) return err("invalid message number");
  if (*n == 0 || *n == std::numeric_limits<uint32_t>::max()) return err("no such message");
  return *n;
}

}  // namespace

std::string_view verb_name(Verb verb) {
  for (const auto& [name, v] : kVerbs) {
    if (v == verb) return name;
  }
  return "?";
}

std::variant<Command, ParseError> parse_command(std::string_view line) {
  const size_t space = line.find(' ');
  const std::string_view keyword = line.substr(0, space);
  const std::string_view rest =
      space == std::string_view::npos ? std::string_view() : line.substr(space + 1);

  std::optional<Verb> verb;
  for (const auto& [name, v] : kVerbs) {
    if (iequals(keyword, name)) verb = v;
  }
  if (!verb) return err("unknown command");

  Command cmd;
  cmd.verb = *verb;
  // RFC 1939 7: the password is everything after "PASS " (it may contain spaces).
  if (cmd.verb == Verb::Pass) {
    if (rest.empty()) return err("missing password");
    cmd.argument = std::string(rest);
    return cmd;
  }

  const auto args = split_args(rest);
  switch (cmd.verb) {
    case Verb::Capa:
    case Verb::Stls:
    case Verb::Quit:
    case Verb::Stat:
    case Verb::Rset:
    case Verb::Noop:
      if (!args.empty()) return err("too many arguments");
      return cmd;
    case Verb::User:
      if (args.size() != 1) return err(args.empty() ? "missing user name" : "too many arguments");
      cmd.argument = std::string(args[0]);
      return cmd;
    case Verb::List:
    case Verb::Uidl:
    case Verb::Retr:
    case Verb::Dele: {
      const bool optional = cmd.verb == Verb::List || cmd.verb == Verb::Uidl;
      if (args.size() > 1) return err("too many arguments");
      if (args.empty()) {
        if (optional) return cmd;
        return err("missing message number");
      }
      auto n = message_number(args[0]);
      if (auto* e = std::get_if<ParseError>(&n)) return *e;
      cmd.number = std::get<uint32_t>(n);
      return cmd;
    }
    case Verb::Top: {
      if (args.size() != 2) return err(args.size() < 2 ? "usage: TOP msg n" : "too many arguments");
      auto n = message_number(args[0]);
      if (auto* e = std::get_if<ParseError>(&n)) return *e;
      cmd.number = std::get<uint32_t>(n);
      auto lines = parse_number(args[1]);
      if (!lines) return err("invalid line count");
      cmd.lines = *lines;
      return cmd;
    }
    case Verb::Auth:
      // RFC 5034 4: AUTH mechanism [initial-response]. A bare AUTH (no mechanism) asks for
      // the list of mechanisms, as many clients from before CAPA still do.
      if (args.size() > 2) return err("too many arguments");
      if (!args.empty()) cmd.argument = std::string(args[0]);
      if (args.size() == 2) cmd.initial_response = std::string(args[1]);
      return cmd;
    case Verb::Pass:
      break;  // handled above
  }
  return err("unknown command");
}

}  // namespace mail::pop3
