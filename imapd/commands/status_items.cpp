// STATUS data items; see status_items.h.
#include "imapd/commands/status_items.h"

#include <algorithm>
#include <optional>

#include "imapd/session_impl.h"

namespace mail::imapd {
namespace {

constexpr std::string_view kItems[] = {"MESSAGES",      "UIDNEXT",     "UIDVALIDITY",
                                       "UNSEEN",        "DELETED",     "SIZE",
                                       "HIGHESTMODSEQ", "APPENDLIMIT", "DELETED-STORAGE",
                                       "RECENT"};

uint64_t status_value(const Session& s, const store::MailboxInfo& info, std::string_view item,
                      uint64_t deleted_octets) {
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
  // RECENT (IMAP4rev1 only): no message is \Recent to a session that did not see it
  // arrive, and \Recent is not kept (RFC 9051 dropped it).
  return 0;
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
  if (info.deleted > 0 &&
      std::find(items.begin(), items.end(), "DELETED-STORAGE") != items.end()) {
    auto& store = s.context().store;
    const uint64_t id = info.id;
    auto octets = co_await s.blocking([&] { return deleted_octets(store, id); });
    if (!octets) co_return false;
    deleted = *octets;
  }
  auto& out = s.out();
  out.untagged().atom("STATUS").mailbox(info.name).open();
  for (const std::string& item : items) out.atom(item).number(status_value(s, info, item, deleted));
  out.close().end();
  co_return true;
}

}  // namespace mail::imapd
