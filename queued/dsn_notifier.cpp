#include "queued/dsn_notifier.h"

#include "common/log.h"
#include "common/net/offload.h"
#include "queued/relay/dsn_builder.h"

namespace mail::queued {

using relay::DsnAction;
using OutcomeKind = queue::Outcome::Kind;
using Success = AttemptResult::SuccessNotice;

namespace {

// The action an outcome calls for, if any (before NOTIFY filtering).
std::optional<DsnAction> action_for(const NoticeItem& item, size_t k, const DsnNotifierSettings& s,
                                    int64_t now) {
  const queue::Outcome& o = (*item.outcomes)[k];
  const queue::Envelope& e = *item.envelope;
  if (o.recipient >= e.recipients.size()) return std::nullopt;
  const queue::Recipient& r = e.recipients[o.recipient];
  switch (o.kind) {
    case OutcomeKind::Failed:
      return DsnAction::Failed;
    case OutcomeKind::Deferred:
      if (s.delay_notice_after > 0 && !r.delay_notice_sent &&
          now - e.arrival >= s.delay_notice_after)
        return DsnAction::Delayed;
      return std::nullopt;
    case OutcomeKind::Delivered: {
      const Success who =
          item.success && k < item.success->size() ? (*item.success)[k] : Success::Delivered;
      if (who == Success::NextHop) return std::nullopt;
      return who == Success::Relayed ? DsnAction::Relayed : DsnAction::Delivered;
    }
  }
  return std::nullopt;
}

}  // namespace

DsnNotifierSettings dsn_notifier_settings(const Config& config) {
  DsnNotifierSettings s;
  s.hostname = config.server.hostname;
  s.full_content_limit = static_cast<size_t>(config.relay.bounce_size_limit);
  s.delay_notice_after = config.relay.delay_notice_after;
  s.queue_lifetime = config.queued.queue_lifetime;
  return s;
}

DsnNotifier::DsnNotifier(net::asio::thread_pool& workers, queue::Spool& spool,
                         DsnNotifierSettings settings, mailauth::DkimSigner* signer)
    : workers_(workers), spool_(spool), settings_(std::move(settings)), signer_(signer) {}

void DsnNotifier::sign(queue::NewMessage& notice) const {
  if (!signer_) return;
  auto signatures = signer_->sign(notice.content);
  if (!signatures) {
    // An unsigned bounce still tells the sender what happened; a lost one does not.
    log::warn("dsn_sign_failed")
        .kv("about", notice.envelope.session_id)
        .kv("error", signatures.error().message);
    return;
  }
  notice.content.insert(0, *signatures);
}

bool DsnNotifier::wants_notice(const NoticeItem& item, int64_t now) const {
  const queue::Envelope& e = *item.envelope;
  for (size_t k = 0; k < item.outcomes->size(); ++k) {
    auto action = action_for(item, k, settings_, now);
    if (!action) continue;
    // A delay notice is marked as sent even when nobody asked for it: it is decided once.
    if (*action == DsnAction::Delayed) return true;
    const queue::Recipient& r = e.recipients[(*item.outcomes)[k].recipient];
    if (relay::notify_wants(r.dsn_notify, *action)) return true;
  }
  return false;
}

std::vector<queue::NewMessage> DsnNotifier::notices_for(NoticeItem& item, std::string_view content,
                                                        int64_t now) const {
  const queue::Envelope& e = *item.envelope;
  std::vector<relay::DsnRecipient> failed, delayed, succeeded;
  for (size_t k = 0; k < item.outcomes->size(); ++k) {
    auto action = action_for(item, k, settings_, now);
    if (!action) continue;
    queue::Outcome& o = (*item.outcomes)[k];
    queue::Recipient r = e.recipients[o.recipient];
    r.last_reply = o.reply;  // this attempt's reply, not the stored one
    relay::DsnRecipient d =
        relay::dsn_recipient(r, *action, now, e.arrival + settings_.queue_lifetime);
    switch (*action) {
      case DsnAction::Failed:
        if (o.bounce_class == queue::BounceClass::Expired) d.status = "4.4.7";  // RFC 3463
        failed.push_back(std::move(d));
        break;
      case DsnAction::Delayed:
        o.delay_notice_sent = true;
        delayed.push_back(std::move(d));
        break;
      case DsnAction::Delivered:
      case DsnAction::Relayed:
        succeeded.push_back(std::move(d));
        break;
    }
  }
  const relay::DsnSettings settings{settings_.hostname, settings_.full_content_limit};
  std::vector<queue::NewMessage> out;
  for (auto* group : {&failed, &delayed, &succeeded}) {
    if (group->empty()) continue;
    const char* action = relay::dsn_action_name(group->front().action);
    auto dsn = relay::make_dsn(e, content, std::move(*group), settings, now);
    if (dsn) {
      log::info("dsn_created").kv("queue_id", e.id).kv("action", action).kv("to", e.sender);
      out.push_back(std::move(*dsn));
    } else if (e.sender.empty()) {
      // RFC 3461 6.2, RFC 5321 6.1: nothing goes back to <>; the failure ends here.
      log::warn("dsn_dropped")
          .kv("queue_id", e.id)
          .kv("action", action)
          .kv("reason", "null sender");
    }
  }
  return out;
}

net::awaitable<Result<size_t>> DsnNotifier::before_complete(std::span<NoticeItem> items,
                                                            int64_t now) {
  std::vector<NoticeItem*> wanted;
  for (auto& item : items) {
    if (wants_notice(item, now)) wanted.push_back(&item);
  }
  if (wanted.empty()) co_return size_t{0};
  // Reading contents, building and enqueueing run on the worker pool (LMDB, fsync).
  auto enqueued = co_await net::offload(workers_, [&]() -> Result<size_t> {
    std::vector<queue::NewMessage> batch;
    for (NoticeItem* item : wanted) {
      auto content = spool_.content(item->envelope->id);
      if (!content) return content.error();
      for (auto& m : notices_for(*item, *content, now)) {
        sign(m);
        batch.push_back(std::move(m));
      }
    }
    if (batch.empty()) return size_t{0};
    auto ids = spool_.enqueue(batch);
    if (!ids) return ids.error();
    for (size_t i = 0; i < ids->size(); ++i)
      log::info("dsn_queued").kv("queue_id", (*ids)[i]).kv("about", batch[i].envelope.session_id);
    return ids->size();
  });
  co_return enqueued;
}

}  // namespace mail::queued
