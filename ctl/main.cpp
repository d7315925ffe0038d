// mailctl: the administration command line. `mailctl [--config PATH] NOUN VERB ...`
// dispatches through the table below to the handlers in ctl/commands_*.cpp.
// Exit status: 0 success, 1 an error ("mailctl: <message>" on stderr), 2 bad usage.
// Arguments are untrusted: operand counts are checked here, contents by the libraries.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cli.h"
#include "ctl/commands.h"

namespace mail::ctl {
namespace {

struct Command {
  std::string_view noun;
  std::string_view verb;  // empty: a one-word command ("backup DIR")
  Handler handler;
  std::string_view operands;  // for the usage text
  size_t min_operands;
  size_t max_operands;
  bool reads_password;  // accepts --password-file
  // The command's own options, space-separated: "json" is a flag, "sender=" takes a value.
  std::string_view options = "";
};

constexpr std::array kCommands{
    Command{"domain", "add", domain_add, "DOMAIN", 1, 1, false},
    Command{"domain", "list", domain_list, "", 0, 0, false},
    Command{"domain", "remove", domain_remove, "DOMAIN", 1, 1, false},
    Command{"user", "add", user_add, "[--password-file FILE] ADDRESS", 1, 1, true},
    Command{"user", "list", user_list, "", 0, 0, false},
    Command{"user", "remove", user_remove, "ADDRESS", 1, 1, false},
    Command{"user", "passwd", user_passwd, "[--password-file FILE] ADDRESS", 1, 1, true},
    Command{"alias", "add", alias_add, "ALIAS TARGET", 2, 2, false},
    Command{"alias", "list", alias_list, "", 0, 0, false},
    Command{"alias", "remove", alias_remove, "ALIAS [TARGET]", 1, 2, false},
    Command{"sender", "allow", sender_allow, "ACCOUNT ADDRESS", 2, 2, false},
    Command{"sender", "deny", sender_deny, "ACCOUNT ADDRESS", 2, 2, false},
    Command{"sender", "list", sender_list, "[ACCOUNT]", 0, 1, false},
    Command{"store", "check", store_check, "", 0, 0, false},
    Command{"quota", "set", quota_set, "ACCOUNT [--storage N[K|M|G|T]|none] [--messages N|none]", 1,
            1, false, "storage= messages="},
    Command{"quota", "show", quota_show, "[ACCOUNT]", 0, 1, false},
    Command{"queue", "list", queue_list,
            "[--json] [--sender ADDR] [--recipient ADDR] [--domain DOMAIN] "
            "[--state pending|delivered|failed] [--held]",
            0, 0, false, "json sender= recipient= domain= state= held"},
    Command{"queue", "show", queue_show, "[--json] ID", 1, 1, false, "json"},
    Command{"queue", "flush", queue_flush, "", 0, 0, false},
    Command{"queue", "retry", queue_retry, "ID", 1, 1, false},
    Command{"queue", "delete", queue_delete, "ID", 1, 1, false},
    Command{"queue", "hold", queue_hold, "ID", 1, 1, false},
    Command{"queue", "release", queue_release, "ID", 1, 1, false},
    Command{"report", "", report, "[--since DURATION|DATE] [--domain DOMAIN] [--top N] [--json]", 0,
            0, false, "since= domain= top= json"},
    Command{"backup", "", backup, "DIR", 1, 1, false},
    Command{"restore", "", restore, "[--replace] DIR", 1, 1, false, "replace"},
    Command{"suppression", "list", suppression_list, "", 0, 0, false},
    Command{"suppression", "remove", suppression_remove, "ADDRESS", 1, 1, false},
    Command{"limit", "set", limit_set, "USER HOURLY DAILY", 3, 3, false},
    Command{"limit", "list", limit_list, "", 0, 0, false},
    Command{"limit", "remove", limit_remove, "USER", 1, 1, false},
    Command{"dkim", "generate", dkim_generate, "DOMAIN [--selector S] [--algorithm rsa|ed25519]", 1,
            1, false, "selector= algorithm="},
    Command{"dkim", "list", dkim_list, "[DOMAIN]", 0, 1, false},
    Command{"dkim", "show", dkim_show, "DOMAIN [--selector S]", 1, 1, false, "selector="},
    Command{"dkim", "activate", dkim_activate, "DOMAIN SELECTOR", 2, 2, false},
    Command{"dkim", "retire", dkim_retire, "DOMAIN SELECTOR", 2, 2, false},
    // "dns DOMAIN" first: for "dns records DOMAIN" the later, two-word entry wins.
    Command{"dns", "", dns_records, "DOMAIN [--check]", 1, 1, false, "check"},
    Command{"dns", "records", dns_records, "DOMAIN [--check]", 1, 1, false, "check"},
};

// Whether `spec` (Command::options) has the flag `name` ("json") or the valued "name=".
std::optional<bool> option_takes_value(std::string_view spec, std::string_view name) {
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(' ', pos);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view word = spec.substr(pos, end - pos);
    if (word == name) return false;
    if (word.size() == name.size() + 1 && word.back() == '=' && word.starts_with(name)) return true;
    pos = end + 1;
  }
  return std::nullopt;
}

std::string command_synopsis(const Command& c) {
  std::string s = std::string(c.noun) + (c.verb.empty() ? "" : " ") + std::string(c.verb);
  if (!c.operands.empty()) s += " " + std::string(c.operands);
  return s;
}

std::string usage_text() {
  std::string text = "COMMAND\n\ncommands:\n";
  for (const auto& c : kCommands) text += "  " + command_synopsis(c) + "\n";
  text +=
      "\nPasswords are read from --password-file, from the terminal (asked twice, no echo) or "
      "as one line of standard input; never from the command line.";
  return text;
}

[[noreturn]] void usage_error(std::string_view message, const Command* command) {
  if (!message.empty())
    std::fprintf(stderr, "mailctl: %.*s\n", static_cast<int>(message.size()), message.data());
  std::string text = command ? command_synopsis(*command) : usage_text();
  std::fprintf(stderr, "usage: mailctl [--config PATH] %s\n", text.c_str());
  std::exit(2);
}

int run(int argc, char** argv) {
  ::umask(077);  // the directory and store hold password hashes and mail
  std::string usage = usage_text();
  CommandLine cl = parse_command_line(argc, argv, "mailctl", usage);

  // The command comes first (its first two words), so that its options are known.
  const Command* command = nullptr;
  {
    std::vector<std::string> leading;
    for (size_t i = 0; i < cl.args.size(); ++i) {
      if (cl.args[i] == "--password-file")
        ++i;  // and its file
      else if (cl.args[i] == "--")
        break;
      else if (cl.args[i].empty() || cl.args[i][0] != '-')
        leading.push_back(cl.args[i]);
    }
    for (const auto& c : kCommands)
      if (!leading.empty() && c.noun == leading[0] &&
          (c.verb.empty() || (leading.size() >= 2 && c.verb == leading[1])))
        command = &c;
  }

  std::vector<std::string> words;
  std::optional<std::string> password_file;
  std::map<std::string, std::string> options;
  bool options_done = false;
  for (size_t i = 0; i < cl.args.size(); ++i) {
    const std::string& arg = cl.args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      words.push_back(arg);
    } else if (arg == "--") {
      options_done = true;
    } else if (arg == "--password-file") {
      if (i + 1 >= cl.args.size()) usage_error("--password-file needs a file", nullptr);
      password_file = cl.args[++i];
    } else if (arg.rfind("--password-file=", 0) == 0) {
      password_file = arg.substr(16);
    } else {
      std::string name = arg.substr(2), value;
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      auto takes = command && arg.starts_with("--") ? option_takes_value(command->options, name)
                                                    : std::nullopt;
      if (!takes) usage_error("unknown option " + arg, command);
      if (*takes && eq == std::string::npos) {
        if (i + 1 >= cl.args.size()) usage_error("--" + name + " needs a value", command);
        value = cl.args[++i];
      } else if (!*takes && eq != std::string::npos) {
        usage_error("--" + name + " takes no value", command);
      }
      options[name] = value;
    }
  }
  const size_t command_words = command && command->verb.empty() ? 1 : 2;
  if (words.size() < command_words) usage_error(words.empty() ? "" : "missing command", nullptr);
  if (!command || command->noun != words[0] || (command_words == 2 && command->verb != words[1]))
    usage_error("unknown command " + words[0] + " " + words[1] + " (options go after it)", nullptr);
  size_t count = words.size() - command_words;
  if (count < command->min_operands || count > command->max_operands) {
    usage_error("wrong number of arguments", command);
  }
  if (password_file && !command->reads_password) {
    usage_error("--password-file is for user add and user passwd", command);
  }

  Invocation inv{
      cl.config,
      std::vector<std::string>(words.begin() + static_cast<long>(command_words), words.end()),
      password_file, std::move(options)};
  auto result = command->handler(inv);
  std::fflush(stdout);
  if (!result) {
    std::fprintf(stderr, "mailctl: %s\n", result.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace mail::ctl

int main(int argc, char** argv) {
  return mail::ctl::run(argc, argv);
}
