// Mailbox arguments and store errors; see mailbox_names.h.
#include "imapd/commands/mailbox_names.h"

#include "imapd/protocol/mailbox_name.h"
#include "imapd/session_impl.h"

namespace mail::imapd {

std::optional<std::string> mailbox_argument(Session& s, const imap::Command& c,
                                            std::string_view name) {
  std::optional<std::string> stored = imap::mailbox_from_client(name, s.extensions().utf8());
  if (!stored)
    s.no(c, "CANNOT",
         s.extensions().utf8() ? "Mailbox name is not valid UTF-8"
                               : "Mailbox name is not valid modified UTF-7");
  return stored;
}

std::optional<std::string> new_mailbox_argument(Session& s, const imap::Command& c,
                                                std::string_view name) {
  std::optional<std::string> stored = mailbox_argument(s, c, name);
  if (!stored) return std::nullopt;
  if (!stored->empty() && stored->back() == '/') stored->pop_back();
  // RFC 9051 section 5.1: '%' and '*' would make the name unlistable on its own.
  if (stored->empty() || stored->front() == '/' || stored->find("//") != std::string::npos ||
      stored->find_first_of("%*") != std::string::npos) {
    s.no(c, "CANNOT", "Invalid mailbox name");
    return std::nullopt;
  }
  return stored;
}

void no_for_store_error(Session& s, const imap::Command& c, const Error& error) {
  switch (error.kind) {
    case ErrorKind::NotFound:
      s.no(c, "NONEXISTENT", "Mailbox does not exist");
      return;
    case ErrorKind::Exists:
      s.no(c, "ALREADYEXISTS", "Mailbox already exists");
      return;
    case ErrorKind::Invalid:
      s.no(c, "CANNOT", "Not possible with this mailbox name");
      return;
    case ErrorKind::OverQuota:
      s.no(c, "OVERQUOTA", "Quota exceeded");
      return;
    case ErrorKind::Denied:
      s.no(c, "NOPERM", "Not allowed");
      return;
    case ErrorKind::Temporary:
      s.no(c, "UNAVAILABLE", "Temporarily unavailable, try again");
      return;
    case ErrorKind::Corrupt:
      s.no(c, "SERVERBUG", "Internal error");
      return;
  }
}

const char* special_use_attribute(store::SpecialUse use) {
  switch (use) {
    case store::SpecialUse::Sent:
      return "\\Sent";
    case store::SpecialUse::Drafts:
      return "\\Drafts";
    case store::SpecialUse::Trash:
      return "\\Trash";
    case store::SpecialUse::Junk:
      return "\\Junk";
    case store::SpecialUse::Archive:
      return "\\Archive";
    case store::SpecialUse::None:
      break;
  }
  return nullptr;
}

}  // namespace mail::imapd
