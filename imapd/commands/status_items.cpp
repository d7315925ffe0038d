// STATUS data items; see status_items.h.
#include "imapd/commands/status_items.h"

#include <algorithm>
#include <optional>

#include "imapd/session_impl.h"

namespace mail::imapd {
namespace {

constexpr std::string_view kItems[] = {"MESSAGES",        "UIDNEXT", "UIDVALIDITY",   "UNSEEN",
                                       "DELETED",         "SIZE",    "HIGHESTMODSEQ", "APPENDLIMIT",
                                       "DELETED-STORAGE", "RECENT"};

uint64_t status_value(const Session& s, const store::MailboxInfo& info, std::string_view item,
                      uint64_t deleted_octets, uint32_t recent) {
  if (item == "MESSAGES") return info.messages;
  if (item == "UIDNEXT") return info.uid_next;
  if (item == "UIDVALIDITY") return info.uid_validity;
  if (item == "UNSEEN") return info.unseen;
  if (item == "DELETED") return info.deleted;  // RFC 9051
  if (item == "SIZE") return info.size;        // RFC 8438, octets
  if (item == "HIGHESTMODSEQ") return info.highest_modseq;
  if (item == "APPENDLIMIT") return s.config().max_literal_size;
  // RFC 9208 section 4.3: what EXPUNGE would give back, in the STORAGE unit (1024 octets).
  if (item == "DELETED-STORAGE") return (deleted_octets + 1023) / 1024;
  // RECENT (RFC 3501 6.3.10; IMAP4rev1 only, RFC 9051 dropped it).
  return recent;
}

// RFC 3501 6.3.10 RECENT: the messages no session has claimed as \Recent yet (those at or
// above first_recent_uid); a short read (the seq index) on the event loop.
Result<uint32_t> unclaimed_recent(store::MailStore& store, const store::MailboxInfo& info) {
  if (info.first_recent_uid >= info.uid_next || info.messages == 0) return 0u;
  uint32_t recent = 0;
  auto read = store.read(info.id, [&](store::MailboxView& view) -> Result<void> {
    auto below = view.count_below(view.info().first_recent_uid);
    if (!below) return below.error();
    recent = view.info().messages - *below;
    return {};
  });
  if (!read) return read.error();
  return recent;
}

// Octets of the messages with \Deleted in a mailbox.
Result<uint64_t> deleted_octets(store::MailStore& store, uint64_t mailbox_id) {
  uint64_t octets = 0;
  auto read = store.read(mailbox_id, [&](store::MailboxView& view) -> Result<void> {
    const store::UidRange all[] = {{1, UINT32_MAX}};
    auto deleted = view.deleted_uids(all);
    if (!deleted) return deleted.error();
    std::vector<store::UidRange> ranges;
    for (uint32_t uid : *deleted) ranges.push_back({uid, uid});
    return view.for_each(ranges, store::kPartInfo, [&](const store::MessageView& m) {
      octets += m.info.size;
      return true;
    });
  });
  if (!read) return read.error();
  return octets;
}

}  // namespace

bool known_status_item(std::string_view item) {
  return std::find(std::begin(kItems), std::end(kItems), item) != std::end(kItems);
}

bool accept_status_items(Session& s, std::string_view tag, std::span<const std::string> items) {
  for (const std::string& item : items) {
    if (!known_status_item(item)) {
      s.bad(tag, "Unknown STATUS item " + item);
      return false;
    }
    if (item == "HIGHESTMODSEQ" && s.advertises("CONDSTORE")) s.enable(Extension::CondStore);
  }
  return true;
}

net::awaitable<bool> write_status(Session& s, const store::MailboxInfo& info,
                                  std::span<const std::string> items) {
  uint64_t deleted = 0;
  if (info.deleted > 0 && std::find(items.begin(), items.end(), "DELETED-STORAGE") != items.end()) {
    auto& store = s.context().store;
    const uint64_t id = info.id;
    auto octets = co_await s.blocking([&] { return deleted_octets(store, id); });
    if (!octets) co_return false;
    deleted = *octets;
  }
  uint32_t recent = 0;
  if (!s.extensions().imap4rev2() &&
      std::find(items.begin(), items.end(), "RECENT") != items.end()) {
    auto unclaimed = unclaimed_recent(s.context().store, info);
    if (!unclaimed) co_return false;
    recent = *unclaimed;
  }
  auto& out = s.out();
  out.untagged().atom("STATUS").mailbox(info.name).open();
  for (const std::string& item : items)
    out.atom(item).number(status_value(s, info, item, deleted, recent));
  out.close().end();
  co_return true;
}

}  // namespace mail::imapd
