// mailctl sender allow/deny/list: explicit send-as grants (auth/directory.h), for shared
// mailboxes and role addresses an account may use as its sender on submission. An
// account may always send as itself and as the aliases that deliver to it; these commands
// manage the other addresses. Output of list: "ACCOUNT ADDRESS" lines, sorted.
#include <algorithm>
#include <cstdio>

#include "auth/directory.h"
#include "auth/open_directory.h"
#include "ctl/commands.h"

namespace mail::ctl {
Result<void> sender_allow(const Invocation& inv) {
  auto dir = auth::open_directory(inv.config);
  if (!dir) return dir.error();
  return (*dir)->allow_sender(inv.operands[0], inv.operands[1]);
}

Result<void> sender_deny(const Invocation& inv) {
  auto dir = auth::open_directory(inv.config);
  if (!dir) return dir.error();
  return (*dir)->deny_sender(inv.operands[0], inv.operands[1]);
}

Result<void> sender_list(const Invocation& inv) {
  auto dir = auth::open_directory(inv.config);
  if (!dir) return dir.error();
  auto grants = (*dir)->list_senders(inv.operands.empty() ? "" : inv.operands[0]);
  if (!grants) return grants.error();
  std::vector<std::string> lines;
  for (const auto& g : *grants) lines.push_back(g.account + " " + g.address);
  std::sort(lines.begin(), lines.end());
  for (const auto& line : lines) std::printf("%s\n", line.c_str());
  return {};
}

}  // namespace mail::ctl
