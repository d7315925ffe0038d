// URLAUTH (RFC 4467): GENURLAUTH (section 6.1) makes URLs that let someone else fetch a
// message part of this account, RESETKEY (section 6.2) revokes them. Tokens use the
// INTERNAL mechanism (imapd/urlauth/access_token.h) with a per-mailbox access key the
// store keeps (MailStore::urlauth_key), made at the first GENURLAUTH for the mailbox.
// URLFETCH is in urlfetch.cpp.
#include <vector>

#include "imapd/commands/handlers.h"
#include "imapd/commands/mailbox_names.h"
#include "imapd/session_impl.h"
#include "imapd/urlauth/access_token.h"
#include "imapd/urlauth/url_access.h"

namespace mail::imapd::commands {
namespace {

bool is_internal(std::string_view mechanism) {
  if (mechanism.size() != urlauth::kInternalMechanism.size()) return false;
  for (size_t i = 0; i < mechanism.size(); ++i) {
    char c = mechanism[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != urlauth::kInternalMechanism[i]) return false;
  }
  return true;
}

bool is_word(const imap::Arg& a) {
  return a.kind != imap::Arg::Kind::List;
}

}  // namespace

// RFC 4467 section 6.1: GENURLAUTH 1*(SP url-rump SP mechanism). Every rump must be an
// absolute URL of a message (part) of this user's mailbox, ending in ";URLAUTH=<access>";
// the reply lists the authorized URLs in the same order.
net::awaitable<void> genurlauth(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::GenericArgs>(c.args).args;
  if (args.empty() || args.size() % 2 != 0) {
    s.bad(c.tag, "GENURLAUTH needs pairs of URL and mechanism");
    co_return;
  }
  if (args.size() / 2 > static_cast<size_t>(s.config().max_urlfetch_urls)) {
    s.bad(c.tag, "Too many URLs");
    co_return;
  }
  struct Rump {
    std::string_view text;
    uint64_t mailbox_id = 0;
  };
  std::vector<Rump> rumps;
  auto& store = s.context().store;
  const std::string& account = s.account();
  for (size_t i = 0; i < args.size(); i += 2) {
    if (!is_word(args[i]) || !is_word(args[i + 1])) {
      s.bad(c.tag, "GENURLAUTH needs pairs of URL and mechanism");
      co_return;
    }
    auto url = imap::parse_imap_url(args[i].value, static_cast<size_t>(s.config().max_url_length));
    if (!url || !url->absolute || !url->is_rump() || url->uid == 0) {
      s.bad(c.tag, "Invalid URLAUTH rump URL");
      co_return;
    }
    if (!is_internal(args[i + 1].value)) {
      s.no(c, "", "Unsupported URLAUTH mechanism");
      co_return;
    }
    // Section 6.1: the URL must name the user who asks (a user authorizes only access to
    // their own mail).
    const std::optional<std::string> name = urlauth::url_mailbox(*url);
    if (urlauth::url_account(*url) != account || !name) {
      s.no(c, "", "URL does not name a mailbox of this user");
      co_return;
    }
    auto info = store.mailbox(account, *name);  // a short read on the loop
    if (!info) {
      no_for_store_error(s, c, info.error());
      co_return;
    }
    if (url->uidvalidity && *url->uidvalidity != info->uid_validity) {
      s.no(c, "", "UIDVALIDITY of the URL does not match the mailbox");
      co_return;
    }
    rumps.push_back({std::string_view(args[i].value).substr(0, url->rump_length), info->id});
  }
  // Keys are made at the first GENURLAUTH for a mailbox: a store write, off the loop.
  std::vector<std::string> keys;
  auto made = co_await s.blocking([&]() -> Result<void> {
    for (const Rump& r : rumps) {
      auto key = store.urlauth_key(r.mailbox_id, urlauth::make_access_key());
      if (!key) return key.error();
      keys.push_back(std::move(*key));
    }
    return {};
  });
  if (!made) {
    no_for_store_error(s, c, made.error());
    co_return;
  }
  auto& out = s.out();
  out.untagged().atom("GENURLAUTH");
  for (size_t i = 0; i < rumps.size(); ++i) {
    const std::string full = std::string(rumps[i].text) + ":" +
                             std::string(urlauth::kInternalMechanism) + ":" +
                             urlauth::internal_token(keys[i], rumps[i].text);
    out.string(full);
  }
  out.end();
  s.completed(c);
}

// RFC 4467 section 6.2: RESETKEY [SP mailbox *(SP mechanism)]. Without a mailbox, every
// key of the account; with one, that mailbox's (its URLs stop working at once).
net::awaitable<void> resetkey(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::GenericArgs>(c.args).args;
  for (const imap::Arg& a : args) {
    if (!is_word(a)) {
      s.bad(c.tag, "RESETKEY [mailbox *(mechanism)]");
      co_return;
    }
  }
  for (size_t i = 1; i < args.size(); ++i) {
    if (!is_internal(args[i].value)) {
      s.no(c, "", "Unsupported URLAUTH mechanism");
      co_return;
    }
  }
  auto& store = s.context().store;
  const std::string& account = s.account();
  std::optional<uint64_t> mailbox_id;
  if (!args.empty()) {
    const std::optional<std::string> name = mailbox_argument(s, c, args[0].value);
    if (!name) co_return;
    auto info = store.mailbox(account, *name);
    if (!info) {
      no_for_store_error(s, c, info.error());
      co_return;
    }
    mailbox_id = info->id;
  }
  auto reset = co_await s.blocking([&] { return store.reset_urlauth_keys(account, mailbox_id); });
  if (!reset) {
    no_for_store_error(s, c, reset.error());
    co_return;
  }
  // Section 6.2's example: the mechanisms of the mailbox in the tagged OK.
  if (mailbox_id)
    s.out()
        .tagged(c.tag)
        .status(imap::Status::Ok)
        .begin_code("URLMECH")
        .atom("INTERNAL")
        .end_code()
        .text("RESETKEY completed");
  else
    s.completed(c);
}

}  // namespace mail::imapd::commands
