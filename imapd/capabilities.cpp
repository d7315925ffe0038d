// The capability table and the list built from it; see capabilities.h.
#include "imapd/capabilities.h"

#include <algorithm>

namespace mail::imapd {
namespace {

// One section per part of imapd. Add a word here when its extension is complete (every
// command and response it defines works), with the RFC that defines it.
constexpr CapabilityWord kWords[] = {
    // --- Session, mailboxes, APPEND, QUOTA, COMPRESS (imapbox) ---
    {"IMAP4rev1", Shown::Always},               // RFC 3501
    {"LITERAL+", Shown::Always},                // RFC 7888 (the receiver takes LITERAL- too)
    {"ID", Shown::Always},                      // RFC 2971
    {"ENABLE", Shown::Always},                  // RFC 5161
    {"NAMESPACE", Shown::AfterLogin},           // RFC 2342
    {"UNSELECT", Shown::AfterLogin},            // RFC 3691
    {"CHILDREN", Shown::AfterLogin},            // RFC 3348
    {"LIST-EXTENDED", Shown::AfterLogin},       // RFC 5258
    {"LIST-STATUS", Shown::AfterLogin},         // RFC 5819
    {"SPECIAL-USE", Shown::AfterLogin},         // RFC 6154
    {"CREATE-SPECIAL-USE", Shown::AfterLogin},  // RFC 6154 section 3
    {"MULTIAPPEND", Shown::AfterLogin},         // RFC 3502
    {"CATENATE", Shown::AfterLogin},            // RFC 4469 (URLs of the user's own mailboxes)
    {"STATUS=SIZE", Shown::AfterLogin},         // RFC 8438
    {"QUOTA", Shown::AfterLogin},               // RFC 9208
    {"QUOTA=RES-STORAGE", Shown::AfterLogin},
    {"QUOTA=RES-MESSAGE", Shown::AfterLogin},
    {"UTF8=ACCEPT", Shown::AfterLogin},  // RFC 6855

    // --- Messages: FETCH, SEARCH, ESEARCH, SORT, THREAD, BINARY (imapfetch) ---
    {"BINARY", Shown::Always},                 // RFC 3516
    {"ESEARCH", Shown::Always},                // RFC 4731
    {"SEARCHRES", Shown::Always},              // RFC 5182
    {"SORT", Shown::Always},                   // RFC 5256
    {"SORT=DISPLAY", Shown::Always},           // RFC 5957
    {"ESORT", Shown::Always},                  // RFC 5267
    {"CONTEXT=SEARCH", Shown::Always},         // RFC 5267: PARTIAL, UPDATE, CANCELUPDATE
    {"CONTEXT=SORT", Shown::Always},           // RFC 5267
    {"THREAD=ORDEREDSUBJECT", Shown::Always},  // RFC 5256
    {"THREAD=REFERENCES", Shown::Always},      // RFC 5256

    // --- Mailbox state: SELECT, IDLE, CONDSTORE, QRESYNC, COPY, MOVE, EXPUNGE (imapsync) ---
    {"UIDPLUS", Shown::AfterLogin},  // RFC 4315: APPENDUID, UID EXPUNGE, COPYUID
    {"IDLE", Shown::Always},         // RFC 2177
    {"MOVE", Shown::Always},         // RFC 6851
    {"CONDSTORE", Shown::Always},    // RFC 7162 section 3.1
    {"QRESYNC", Shown::Always},      // RFC 7162 section 3.2
    {"NOTIFY", Shown::AfterLogin},   // RFC 5465

    // --- URLAUTH: GENURLAUTH, RESETKEY, URLFETCH (urlauth) ---
    {"URLAUTH", Shown::AfterLogin},         // RFC 4467
    {"URLAUTH=BINARY", Shown::AfterLogin},  // RFC 5524
};

// RFC 9051 appendix E: the extensions IMAP4rev2 includes.
constexpr std::string_view kImap4rev2Includes[] = {
    "NAMESPACE", "UNSELECT", "UIDPLUS", "ESEARCH",       "SEARCHRES",
    "ENABLE",    "IDLE",     "SASL-IR", "LIST-EXTENDED", "LIST-STATUS",
    "MOVE",      "LITERAL+", "BINARY",  "SPECIAL-USE",   "STATUS=SIZE",
};

// Implemented, but shown only when usable now: SASL-IR needs a login to be possible.
constexpr std::string_view kShownWhenUsable[] = {"SASL-IR"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'a' && x <= 'z' ? x - 32 : x) == (y >= 'a' && y <= 'z' ? y - 32 : y);
         });
}

bool implemented(const CapabilityContext& context, std::string_view word) {
  auto same = [&](std::string_view w) { return iequals(w, word); };
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [&](const CapabilityWord& c) { return same(c.word); }) ||
         std::any_of(std::begin(kShownWhenUsable), std::end(kShownWhenUsable), same) ||
         std::any_of(context.assumed.begin(), context.assumed.end(), same);
}

bool imap4rev2_complete(const CapabilityContext& context) {
  return std::all_of(std::begin(kImap4rev2Includes), std::end(kImap4rev2Includes),
                     [&](std::string_view w) { return implemented(context, w); });
}

}  // namespace

std::vector<std::string> capability_list(const CapabilityContext& context) {
  std::vector<std::string> out;
  const Shown hidden = context.authenticated ? Shown::BeforeLogin : Shown::AfterLogin;
  for (const CapabilityWord& c : kWords) {
    if (c.shown == hidden) continue;
    out.emplace_back(c.word);
    // RFC 9051 section 7.2.2: a server offering both versions lists both.
    if (c.word == "IMAP4rev1" && imap4rev2_complete(context)) out.emplace_back("IMAP4rev2");
  }
  for (std::string_view word : context.assumed)
    if (std::none_of(out.begin(), out.end(), [&](const std::string& w) { return w == word; }))
      out.emplace_back(word);
  out.push_back("APPENDLIMIT=" + std::to_string(context.append_limit));                 // RFC 7889
  if (context.authenticated && context.compress) out.emplace_back("COMPRESS=DEFLATE");  // RFC 4978
  if (!context.authenticated) {
    if (context.starttls_offered) out.emplace_back("STARTTLS");
    if (context.plaintext_auth_allowed) {
      // RFC 9051 section 6.2.2: the Authenticator's mechanisms for this connection.
      for (const std::string& m : context.auth_mechanisms) out.push_back("AUTH=" + m);
      out.emplace_back("SASL-IR");  // RFC 4959
    } else {
      out.emplace_back("LOGINDISABLED");
    }
  }
  return out;
}

bool advertises(const CapabilityContext& context, std::string_view word) {
  const auto list = capability_list(context);
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& w) { return iequals(w, word); });
}

std::span<const std::string_view> imap4rev2_includes() {
  return kImap4rev2Includes;
}

std::span<const CapabilityWord> capability_table() {
  return kWords;
}

}  // namespace mail::imapd
