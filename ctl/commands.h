// The handlers behind mailctl's dispatch table (ctl/main.cpp). main() has already checked
// the operand count; handlers validate the operands' content (through the libraries) and
// return an Error, which main() prints as "mailctl: <message>" with exit status 1.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/result.h"

namespace mail::ctl {

struct Invocation {
  const Config& config;
  std::vector<std::string> operands;         // the words after NOUN VERB
  std::optional<std::string> password_file;  // --password-file FILE
  // The command's own options (ctl/main.cpp's table lists which): "--json" -> {"json", ""},
  // "--sender X" or "--sender=X" -> {"sender", "X"}.
  std::map<std::string, std::string> options;

  bool has(const std::string& option) const { return options.count(option) != 0; }
};

using Handler = Result<void> (*)(const Invocation&);

// commands_directory.cpp
Result<void> domain_add(const Invocation& inv);
Result<void> domain_list(const Invocation& inv);
Result<void> domain_remove(const Invocation& inv);
Result<void> user_add(const Invocation& inv);
Result<void> user_list(const Invocation& inv);
Result<void> user_remove(const Invocation& inv);
Result<void> user_passwd(const Invocation& inv);
Result<void> alias_add(const Invocation& inv);
Result<void> alias_list(const Invocation& inv);
Result<void> alias_remove(const Invocation& inv);

// commands_senders.cpp
Result<void> sender_allow(const Invocation& inv);
Result<void> sender_deny(const Invocation& inv);
Result<void> sender_list(const Invocation& inv);

// commands_store.cpp
Result<void> store_check(const Invocation& inv);
Result<void> quota_set(const Invocation& inv);
Result<void> quota_show(const Invocation& inv);

// commands_queue.cpp
Result<void> queue_list(const Invocation& inv);
Result<void> queue_show(const Invocation& inv);
Result<void> queue_flush(const Invocation& inv);
Result<void> queue_retry(const Invocation& inv);
Result<void> queue_delete(const Invocation& inv);
Result<void> queue_hold(const Invocation& inv);
Result<void> queue_release(const Invocation& inv);

// commands_report.cpp (one word: "mailctl report [--since ...]")
Result<void> report(const Invocation& inv);

// commands_backup.cpp (one-word commands: "mailctl backup DIR")
Result<void> backup(const Invocation& inv);
Result<void> restore(const Invocation& inv);
// commands_sending.cpp
Result<void> suppression_list(const Invocation& inv);
Result<void> suppression_remove(const Invocation& inv);
Result<void> limit_set(const Invocation& inv);
Result<void> limit_list(const Invocation& inv);
Result<void> limit_remove(const Invocation& inv);
// commands_dkim.cpp
Result<void> dkim_generate(const Invocation& inv);
Result<void> dkim_list(const Invocation& inv);
Result<void> dkim_show(const Invocation& inv);
Result<void> dkim_activate(const Invocation& inv);
Result<void> dkim_retire(const Invocation& inv);
// commands_dns.cpp ("dns DOMAIN [--check]", also "dns records DOMAIN")
Result<void> dns_records(const Invocation& inv);

}  // namespace mail::ctl
