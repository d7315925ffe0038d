// The IMAP session states (RFC 9051 section 3) as a type that carries what each state
// has: the account once authenticated, the selected mailbox's view once selected. A
// handler that needs the account or the view cannot reach it in a state without one.
// Session::change_state is the only way from one state to another (and logs it).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "imapd/mailbox_view.h"
#include "imapd/search/saved_result.h"
#include "imapd/search/update_context.h"

namespace mail::imapd {

struct NotAuthenticated {};
struct Authenticated {
  std::string account;
};
struct Selected {
  std::string account;
  MailboxView view;
  search::SavedResult saved_search;        // RFC 5182 "$": empty at SELECT, gone at CLOSE
  search::UpdateContexts update_contexts;  // RFC 5267 RETURN (UPDATE): end with the mailbox
};
struct Logout {};

using SessionState = std::variant<NotAuthenticated, Authenticated, Selected, Logout>;

// The states as bits, for the command table's "allowed in" masks.
enum StateBit : unsigned {
  kNotAuthenticatedBit = 1u << 0,
  kAuthenticatedBit = 1u << 1,
  kSelectedBit = 1u << 2,
  kLogoutBit = 1u << 3,
};

inline unsigned state_bit(const SessionState& s) {
  return 1u << s.index();  // the order of the variant is the order of the bits
}

inline std::string_view state_name(const SessionState& s) {
  static constexpr std::string_view kNames[] = {"not_authenticated", "authenticated", "selected",
                                                "logout"};
  return kNames[s.index()];
}

}  // namespace mail::imapd
