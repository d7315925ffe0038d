// Message flags in IMAP form; see message_flags.h.
#include "imapd/message_flags.h"

#include <algorithm>
#include <utility>

#include "imapd/protocol/reader.h"

namespace mail::imapd {
namespace {

constexpr std::pair<uint32_t, const char*> kSystemFlags[] = {
    {store::kAnswered, "\\Answered"}, {store::kFlagged, "\\Flagged"},
    {store::kDeleted, "\\Deleted"},   {store::kSeen, "\\Seen"},
    {store::kDraft, "\\Draft"},
};

}  // namespace

void write_flags(imap::ResponseWriter& out, const store::Flags& flags, bool recent) {
  out.open();
  if (recent) out.flag("\\Recent");
  for (auto [bit, name] : kSystemFlags)
    if (flags.system & bit) out.flag(name);
  for (const auto& keyword : flags.keywords) out.flag(keyword);
  out.close();
}

bool to_store_flags(const std::vector<std::string>& names, store::Flags& out,
                    std::string& bad_name) {
  for (const auto& name : names) {
    if (name.empty()) continue;
    if (name[0] != '\\') {
      out.keywords.push_back(name);
      continue;
    }
    const std::string upper = imap::to_upper(name);
    if (upper == "\\RECENT") continue;  // a session property, never stored
    auto known = std::find_if(std::begin(kSystemFlags), std::end(kSystemFlags),
                              [&](const auto& f) { return imap::to_upper(f.second) == upper; });
    if (known == std::end(kSystemFlags)) {
      bad_name = name;
      return false;
    }
    out.system |= known->first;
  }
  std::sort(out.keywords.begin(), out.keywords.end());
  out.keywords.erase(std::unique(out.keywords.begin(), out.keywords.end()), out.keywords.end());
  return true;
}

}  // namespace mail::imapd
