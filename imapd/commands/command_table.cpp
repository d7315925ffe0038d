// The command table; see command_table.h.
#include "imapd/commands/command_table.h"

#include <array>

#include "imapd/commands/handlers.h"
#include "imapd/protocol/arguments.h"
#include "imapd/session_state.h"

namespace mail::imapd {
namespace {

namespace args = imap::args;
namespace cmd = commands;

constexpr unsigned kAny = kNotAuthenticatedBit | kAuthenticatedBit | kSelectedBit;
constexpr unsigned kNotAuth = kNotAuthenticatedBit;
constexpr unsigned kAuth = kAuthenticatedBit | kSelectedBit;
constexpr unsigned kSel = kSelectedBit;

constexpr std::array kRules = {
    // name          states    UID    arguments                  handler
    CommandRule{"CAPABILITY", kAny, false, args::none, cmd::capability},
    CommandRule{"NOOP", kAny, false, args::none, cmd::noop},
    CommandRule{"LOGOUT", kAny, false, args::none, cmd::logout},
    CommandRule{"ID", kAny, false, args::id, cmd::id},
    CommandRule{"STARTTLS", kNotAuth, false, args::none, cmd::starttls},
    CommandRule{"LOGIN", kNotAuth, false, args::login, cmd::login},
    CommandRule{"AUTHENTICATE", kNotAuth, false, args::authenticate, cmd::authenticate},
    CommandRule{"SELECT", kAuth, false, args::mailbox_with_params, cmd::select},
    CommandRule{"EXAMINE", kAuth, false, args::mailbox_with_params, cmd::select},
    CommandRule{"CREATE", kAuth, false, args::mailbox_with_params, cmd::create},
    CommandRule{"LIST", kAuth, false, args::list, cmd::list},
    CommandRule{"LSUB", kAuth, false, args::lsub, cmd::list},
    CommandRule{"NAMESPACE", kAuth, false, args::none, cmd::namespace_},
    CommandRule{"STATUS", kAuth, false, args::status, cmd::status},
    CommandRule{"APPEND", kAuth, false, args::append, cmd::append},
    CommandRule{"CHECK", kSel, false, args::none, cmd::noop},
    CommandRule{"CLOSE", kSel, false, args::none, cmd::close},
    CommandRule{"UNSELECT", kSel, false, args::none, cmd::unselect},
    CommandRule{"EXPUNGE", kSel, true, args::expunge, cmd::expunge},
    CommandRule{"FETCH", kSel, true, args::fetch, cmd::fetch},
    CommandRule{"STORE", kSel, true, args::store, cmd::store},
    CommandRule{"DELETE", kAuth, false, args::mailbox, cmd::delete_},
    CommandRule{"RENAME", kAuth, false, args::rename, cmd::rename},
    CommandRule{"SUBSCRIBE", kAuth, false, args::mailbox, cmd::subscribe},
    CommandRule{"UNSUBSCRIBE", kAuth, false, args::mailbox, cmd::unsubscribe},
    CommandRule{"GETQUOTA", kAuth, false, args::mailbox, cmd::getquota},
    CommandRule{"GETQUOTAROOT", kAuth, false, args::mailbox, cmd::getquotaroot},
    CommandRule{"SETQUOTA", kAuth, false, args::generic, cmd::setquota},
    CommandRule{"COMPRESS", kAuth, false, args::generic, cmd::compress},
    CommandRule{"SEARCH", kSel, true, args::search, cmd::search},
    CommandRule{"SORT", kSel, true, args::generic, cmd::sort},
    CommandRule{"THREAD", kSel, true, args::generic, cmd::thread},
    CommandRule{"CANCELUPDATE", kSel, false, args::generic, cmd::cancelupdate},
    CommandRule{"COPY", kSel, true, args::copy, cmd::copy},
    CommandRule{"MOVE", kSel, true, args::copy, cmd::move},
    CommandRule{"IDLE", kAuth, false, args::none, cmd::idle},
    CommandRule{"ENABLE", kAuth, false, args::enable, cmd::enable},
    CommandRule{"NOTIFY", kAuth, false, args::notify, cmd::notify},
    CommandRule{"GENURLAUTH", kAuth, false, args::generic, cmd::genurlauth},
    CommandRule{"RESETKEY", kAuth, false, args::generic, cmd::resetkey},
    CommandRule{"URLFETCH", kAuth, false, args::generic, cmd::urlfetch},
};

}  // namespace

const CommandRule* find_command(std::string_view name, bool uid) {
  for (const CommandRule& rule : kRules)
    if (rule.name == name) return !uid || rule.uid_form ? &rule : nullptr;
  return nullptr;
}

std::span<const CommandRule> command_table() {
  return kRules;
}

}  // namespace mail::imapd
