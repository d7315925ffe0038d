#include "queued/relay/relay_agent.h"

#include <algorithm>
#include <exception>
#include <map>

#include "common/log.h"
#include "queued/relay/protocol/message_traits.h"
#include "queued/relay/recorded_reply.h"

namespace mail::relay {
namespace {

using std::chrono::seconds;

// Waits until `count` coroutines spawned with done() as their completion have finished.
// An exception escaping one of them is a bug: it is rethrown out of the event loop.
class Latch {
 public:
  Latch(net::asio::any_io_executor ex, size_t count)
      : timer_(ex, std::chrono::steady_clock::time_point::max()), count_(count) {}
  void add(size_t n) { count_ += n; }  // REQUIRES: before the count reached zero
  auto done() {
    return [this](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
      if (--count_ == 0) timer_.cancel();
    };
  }
  net::awaitable<void> wait() {
    while (count_ > 0) co_await timer_.async_wait(net::use_nothrow);
  }

 private:
  net::asio::steady_timer timer_;
  size_t count_;
};

std::string endpoint_text(const Target& t) {
  const std::string a = t.address.to_string();
  return (t.address.is_v6() ? "[" + a + "]" : a) + ":" + std::to_string(t.port);
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Delivered:
      return "delivered";
    case Verdict::Temporary:
      return "deferred";
    case Verdict::Permanent:
      return "bounced";
  }
  return "?";
}

}  // namespace

// Some recipients of one job that share a next hop: one SMTP transaction.
struct RelayAgent::SubJob {
  size_t job = 0;
  std::vector<size_t> positions;  // into jobs[job].recipients
  MessageTraits traits;
};

struct RelayAgent::Group {
  NextHop hop;
  std::string key;
  std::span<const RelayJob> jobs;
  std::vector<std::vector<RelayResult>>* results = nullptr;
  std::vector<SubJob> pending;
  size_t next = 0;
  TargetPlan plan;
  // Workers: started so far, at most; the Latch deliver_group waits on.
  size_t workers = 0, max_workers = 0;
  Latch* latch = nullptr;
  bool probing = false;         // this group holds probing_[key] until its first connect resolves
  bool ever_connected = false;  // a later failure is a busy server, not a dead one
  bool down_suspended = false;  // down_reply is "delivery temporarily suspended"
  // Set when no target would take a connection: the jobs not yet sent get this result.
  bool down = false;
  smtp::Reply down_reply;
  bool down_permanent = false, down_remote = false;
  std::string down_host, down_address;
};

// A batch opening the first connection to a next hop; others wait on `done`.
struct RelayAgent::Probe {
  explicit Probe(net::asio::any_io_executor ex)
      : done(ex, std::chrono::steady_clock::time_point::max()) {}
  net::asio::steady_timer done;  // cancelled when the connect resolves
  bool connected = false;
};

struct RelayAgent::Connected {
  std::unique_ptr<LiveSession> live;
  smtp::Reply failure;
  bool permanent = false;
  bool remote = false;
  std::string host, address;
};

RelayAgent::RelayAgent(net::asio::any_io_executor executor, const Config& config,
                       const Routes& routes, Resolver& resolver,
                       std::shared_ptr<net::ssl::context> tls)
    : executor_(executor),
      config_(config),
      routes_(routes),
      resolver_(resolver),
      tls_(std::move(tls)),
      cache_(executor, seconds(config.relay.connection_cache_time)),
      limiter_(executor, config.relay),
      dead_(seconds(config.relay.dead_destination_time)),
      now_([] { return std::chrono::steady_clock::now(); }),
      rng_(std::random_device{}()) {
  const RelayConfig& r = config.relay;
  timeouts_.greeting = seconds(r.greeting_timeout);
  timeouts_.command = seconds(r.command_timeout);
  timeouts_.mail = seconds(r.mail_timeout);
  timeouts_.rcpt = seconds(r.rcpt_timeout);
  timeouts_.data_init = seconds(r.data_init_timeout);
  timeouts_.data_block = seconds(r.data_block_timeout);
  timeouts_.data_done = seconds(r.data_done_timeout);
  timeouts_.tls = seconds(r.tls_timeout);
  target_limits_.max_mx_hosts = static_cast<size_t>(r.max_mx_hosts);
  target_limits_.max_addresses = static_cast<size_t>(r.max_addresses);
  target_limits_.ipv4 = r.address_families != "ipv6";
  target_limits_.ipv6 = r.address_families != "ipv4";
  std::string self = r.helo_name.empty() ? config.server.hostname : r.helo_name;
  for (char& c : self) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  target_limits_.local_names.push_back(self);
}

RelayAgent::~RelayAgent() = default;

void RelayAgent::close() {
  cache_.close_all();
}

std::string RelayAgent::route_key(const queue::Envelope& envelope,
                                  const queue::Recipient& recipient) const {
  return routes_.next_hop(envelope.sender, recipient.address).key();
}

net::awaitable<std::vector<std::vector<RelayResult>>> RelayAgent::deliver(
    std::span<const RelayJob> jobs) {
  std::vector<std::vector<RelayResult>> results(jobs.size());
  std::map<std::string, Group> groups;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const RelayJob& job = jobs[j];
    results[j].resize(job.recipients.size());
    const MessageTraits traits = inspect_message(job.content);
    std::map<std::string, SubJob> by_key;
    for (size_t p = 0; p < job.recipients.size(); ++p) {
      const uint32_t index = job.recipients[p];
      RelayResult& r = results[j][p];
      r.recipient = index;
      r.reply = "451 4.3.0 not attempted";
      if (index >= job.envelope->recipients.size()) continue;  // a bad job: stays deferred
      NextHop hop = routes_.next_hop(job.envelope->sender, job.envelope->recipients[index].address);
      const std::string key = hop.key();
      Group& g = groups[key];
      if (g.key.empty()) {
        g.hop = std::move(hop);
        g.key = key;
        g.jobs = jobs;
        g.results = &results;
      }
      auto& sub = by_key[key];
      sub.job = j;
      sub.traits = traits;
      sub.positions.push_back(p);
    }
    for (auto& [key, sub] : by_key) groups[key].pending.push_back(std::move(sub));
  }
  Latch latch(executor_, groups.size());
  for (auto& [key, group] : groups)
    net::asio::co_spawn(executor_, deliver_group(group), latch.done());
  co_await latch.wait();
  co_return results;
}

net::awaitable<void> RelayAgent::deliver_group(Group& group) {
  // RFC 5321 6.3: a message that has passed this many hops is looping.
  std::vector<SubJob> sendable;
  for (auto& sub : group.pending) {
    const size_t hops = sub.traits.received_fields;
    if (hops > static_cast<size_t>(config_.relay.max_received_headers)) {
      fail_sub(
          group, sub,
          smtp::Reply(554, "5.4.6",
                      "too many Received header fields (" + std::to_string(hops) + "): mail loop"),
          true, "", "", false);
    } else {
      sendable.push_back(std::move(sub));
    }
  }
  group.pending = std::move(sendable);
  if (group.pending.empty()) co_return;

  // A next hop remembered dead is not tried again before its entry expires; while another
  // batch opens the first connection to it, wait for the outcome rather than connect too.
  bool alive = false;
  for (;;) {
    if (suspend_if_dead(group)) co_return;
    auto it = probing_.find(group.key);
    if (it == probing_.end()) break;
    std::shared_ptr<Probe> probe = it->second;
    co_await probe->done.async_wait(net::use_nothrow);
    if (probe->connected) {
      alive = true;  // no need to probe again
      break;
    }
  }
  if (!alive) {
    probing_[group.key] = std::make_shared<Probe>(executor_);
    group.probing = true;
  }
  struct ProbeGuard {
    RelayAgent* agent;
    Group* group;
    ~ProbeGuard() { agent->end_probe(*group, false); }
  } guard{this, &group};

  group.plan = co_await find_targets(resolver_, group.hop, target_limits_, rng_);
  if (group.plan.failure) {
    for (size_t i = 0; i < group.pending.size(); ++i)
      fail_job(group, i, *group.plan.failure, group.plan.permanent, "", "", false);
    co_return;
  }
  // Slow start: one worker (one connection) first; each connection that succeeds starts
  // more (connected()), up to the destination's concurrency.
  group.max_workers = std::min<size_t>(
      group.pending.size(), static_cast<size_t>(limiter_.concurrency_for(group.hop.domain)));
  group.workers = 1;
  Latch latch(executor_, 1);
  group.latch = &latch;
  net::asio::co_spawn(executor_, worker(group), latch.done());
  co_await latch.wait();
}

void RelayAgent::end_probe(Group& group, bool connected) {
  if (!group.probing) return;
  group.probing = false;
  auto it = probing_.find(group.key);
  if (it == probing_.end()) return;
  it->second->connected = connected;
  it->second->done.cancel();
  probing_.erase(it);
}

void RelayAgent::connected(Group& group) {
  group.ever_connected = true;
  dead_.clear(group.key);
  end_probe(group, true);
  // Two more workers per connection that succeeds: 1, 3, 7, 15... up to the limit.
  for (int more = 0; more < 2; ++more) {
    if (group.workers >= group.max_workers || group.next >= group.pending.size()) return;
    group.workers++;
    group.latch->add(1);
    net::asio::co_spawn(executor_, worker(group), group.latch->done());
  }
}

bool RelayAgent::suspend_if_dead(Group& group) {
  const auto dead = dead_.find(group.key, now_());
  if (dead) suspend(group, *dead);
  return dead.has_value();
}

bool RelayAgent::skip_dead_address(const Group& group, const std::string& where,
                                   const std::string& name, Connected& out) {
  const auto dead = dead_.find(where, now_());
  if (!dead) return false;
  out.failure = dead->reply;
  out.remote = dead->remote;
  out.host = dead->host;
  out.address = dead->address;
  log::info("relay_connect_skipped")
      .kv("domain", group.hop.domain)
      .kv("host", name)
      .kv("address", where)
      .kv("reason", "dead");
  return true;
}

void RelayAgent::suspend(Group& group, const DeadDestinations::Entry& entry) {
  const smtp::Reply reply = DeadDestinations::suspended_reply(entry);
  log::info("relay_suspended")
      .kv("domain", group.hop.domain)
      .kv("next_hop", group.key)
      .kv("messages", group.pending.size())
      .kv("reply", reply_text(reply));
  for (size_t i = 0; i < group.pending.size(); ++i) {
    stats_.suspended += group.pending[i].positions.size();
    fail_job(group, i, reply, false, "", "", false);
  }
}

net::awaitable<void> RelayAgent::worker(Group& group) {
  DestinationLimiter::Slot slot = co_await limiter_.acquire(group.hop.domain);
  std::unique_ptr<LiveSession> live = cache_.take(group.key);
  bool probe = live != nullptr;
  if (live) {
    stats_.reused++;
    connected(group);
  }
  while (group.next < group.pending.size()) {
    const size_t i = group.next++;
    if (group.down) {
      if (group.down_suspended) stats_.suspended += group.pending[i].positions.size();
      fail_job(group, i, group.down_reply, group.down_permanent, group.down_host,
               group.down_address, group.down_remote);
      continue;
    }
    if (!co_await limiter_.pace(group.hop.domain, seconds(config_.relay.rate_max_wait))) {
      fail_job(
          group, i,
          smtp::Reply(451, "4.4.5", "rate limit for " + group.hop.domain + " reached; deferred"),
          false, "", "", false);
      continue;
    }
    const SubJob sub = group.pending[i];
    const RelayJob& job = group.jobs[sub.job];
    const queue::Envelope& env = *job.envelope;
    OutgoingMessage message;
    message.sender = env.sender;
    message.ret = env.dsn_ret;
    message.envid = env.dsn_envid;
    message.body = env.body;
    message.smtputf8 = env.smtputf8;
    message.content = job.content;
    message.traits = sub.traits;
    for (size_t p : sub.positions) {
      const queue::Recipient& r = env.recipients[job.recipients[p]];
      message.recipients.push_back(OutgoingRecipient{r.address, r.dsn_notify, r.orcpt});
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!live) {
        Connected c = co_await connect(group);
        if (!c.live) {
          group.down = true;
          group.down_reply = c.failure;
          group.down_permanent = c.permanent;
          group.down_remote = c.remote;
          group.down_host = c.host;
          group.down_address = c.address;
          fail_job(group, i, c.failure, c.permanent, c.host, c.address, c.remote);
          if (!c.permanent && !group.ever_connected) {
            // The whole next hop took no connection: later batches (and this one's other
            // messages) are deferred without connecting until the entry expires.
            DeadDestinations::Entry dead{c.failure, c.host, c.address, c.remote, {}};
            dead_.mark(group.key, dead, now_());
            group.down_reply = DeadDestinations::suspended_reply(dead);
            group.down_host.clear();
            group.down_address.clear();
            group.down_remote = false;
            group.down_suspended = true;
            log::info("relay_destination_dead")
                .kv("domain", group.hop.domain)
                .kv("next_hop", group.key)
                .kv("seconds", dead_.ttl().count())
                .kv("reply", record_reply(c.failure, c.remote ? c.host : "", c.address));
          }
          end_probe(group, false);
          break;
        }
        live = std::move(c.live);
        probe = false;
        connected(group);
      }
      TransactionResult result = co_await live->session->send(message, probe);
      probe = false;
      if (result.stale && attempt == 0) {
        live.reset();  // the cached connection had died meanwhile: a fresh one
        continue;
      }
      record(group, i, message, result, *live);
      if (!result.reusable || !live->connection->is_open() ||
          live->session->messages() >=
              static_cast<size_t>(config_.relay.max_messages_per_connection)) {
        if (result.reusable) co_await live->session->quit();
        live.reset();
      }
      break;
    }
  }
  if (live) cache_.put(group.key, std::move(live));
}

net::awaitable<RelayAgent::Connected> RelayAgent::connect(Group& group) {
  Connected out;
  out.failure = smtp::Reply(451, "4.4.1", "no address to connect to for " + group.hop.domain);
  const RelayConfig& rc = config_.relay;
  for (const Target& target : group.plan.targets) {
    const std::string where = endpoint_text(target);
    const std::string name = target.host.empty() ? target.address.to_string() : target.host;
    // This address refused a connection lately: the next one, without trying.
    if (skip_dead_address(group, where, name, out)) continue;
    for (bool allow_tls : {true, false}) {
      net::ConnectOptions options;
      options.timeout = seconds(rc.connect_timeout);
      options.max_line = static_cast<size_t>(rc.max_reply_line_length);
      const std::string& source = target.address.is_v4() ? group.hop.source4 : group.hop.source6;
      if (!source.empty()) {
        boost::system::error_code ec;
        options.source = net::asio::ip::make_address(source, ec);
        if (ec) options.source.reset();
      }
      stats_.connect_attempts++;
      auto conn = co_await net::ClientConnection::connect(
          executor_, net::tcp::endpoint(target.address, target.port), options);
      if (!conn) {
        out.failure = smtp::Reply(451, "4.4.1", name + ": " + conn.error().message);
        out.remote = false;
        out.host = name;
        out.address = target.address.to_string();
        dead_.mark(where, DeadDestinations::Entry{out.failure, name, out.address, false, {}},
                   now_());
        log::info("relay_connect_failed")
            .kv("domain", group.hop.domain)
            .kv("host", name)
            .kv("address", where)
            .kv("error", conn.error().message);
        break;
      }
      stats_.connections++;
      dead_.clear(where);
      auto live = std::make_unique<LiveSession>();
      live->connection = std::move(*conn);
      live->target = target;
      SessionSettings& s = live->settings;
      s.helo_name = rc.helo_name.empty() ? config_.server.hostname : rc.helo_name;
      s.tls = group.hop.tls;
      s.tls_context = tls_.get();
      s.auth = group.hop.auth;
      s.timeouts = timeouts_;
      s.max_reply_lines = static_cast<size_t>(rc.max_reply_lines);
      live->session = std::make_unique<SmtpSession>(*live->connection, live->settings, name);
      OpenResult opened = co_await live->session->open(allow_tls);
      if (opened.ok) {
        const auto& info = live->session->tls_info();
        log::info("relay_connected")
            .kv("domain", group.hop.domain)
            .kv("host", name)
            .kv("address", where)
            .kv("via", group.hop.via)
            .kv("tls", live->session->tls() ? info.version : std::string("no"))
            .kv("verified", live->session->tls() && info.verified)
            .kv("source", live->connection->local_address());
        out.live = std::move(live);
        co_return out;
      }
      out.failure = opened.reply;
      out.remote = opened.remote;
      out.host = name;
      out.address = target.address.to_string();
      log::info("relay_session_failed")
          .kv("domain", group.hop.domain)
          .kv("host", name)
          .kv("address", where)
          .kv("reply", reply_text(opened.reply));
      if (opened.permanent) {
        out.permanent = true;
        co_return out;
      }
      // Opportunistic TLS that fails its handshake: once more in plaintext (as Postfix
      // does at security level "may"); a policy that requires TLS never falls back.
      if (!(opened.tls_failed && group.hop.tls == TlsPolicy::May && allow_tls)) break;
    }
  }
  co_return out;
}

void RelayAgent::record(Group& group, size_t i, const OutgoingMessage& message,
                        const TransactionResult& result, const LiveSession& live) {
  const SubJob& sub = group.pending[i];
  const RelayJob& job = group.jobs[sub.job];
  const std::string& host = live.session->host();
  const std::string address = live.target.address.to_string();
  const bool tls = live.connection->is_tls();
  stats_.messages++;
  std::vector<size_t> retry_now;  // RFC 5321 4.5.3.1.10: "too many recipients" leftovers
  bool any_accepted = false;
  for (size_t k = 0; k < sub.positions.size(); ++k) {
    const RecipientOutcome& o = result.recipients[k];
    RelayResult& r = (*group.results)[sub.job][sub.positions[k]];
    r.verdict = o.verdict;
    r.reply = record_reply(o.reply, o.remote ? host : std::string_view(), o.remote ? address : "");
    r.bounce_class = o.verdict == Verdict::Delivered ? BounceClass::None : classify_reply(o.reply);
    r.suppress = o.verdict == Verdict::Permanent && suppressible(o.reply);
    r.dsn_passed_on = o.verdict == Verdict::Delivered && live.session->capabilities().dsn;
    r.tls = tls;
    r.mx = host;
    (o.verdict == Verdict::Delivered   ? stats_.delivered
     : o.verdict == Verdict::Permanent ? stats_.bounced
                                       : stats_.deferred)++;
    any_accepted |= o.verdict == Verdict::Delivered;
    if (o.verdict == Verdict::Temporary && o.stage == "RCPT TO" &&
        (o.reply.code == 452 || o.reply.code == 552))
      retry_now.push_back(sub.positions[k]);
    log::info("relay")
        .kv("queue_id", job.envelope->id)
        .kv("to", message.recipients[k].address)
        .kv("host", host)
        .kv("address", address)
        .kv("tls", tls)
        .kv("verdict", verdict_name(o.verdict))
        .kv("class", bounce_class_name(r.bounce_class))
        .kv("reply", r.reply);
  }
  // The server took some recipients and asked for the others in another transaction.
  if (any_accepted && !retry_now.empty() && result.reusable) {
    SubJob again{sub.job, std::move(retry_now), sub.traits};
    group.pending.push_back(std::move(again));
  }
}

void RelayAgent::fail_job(Group& group, size_t i, const smtp::Reply& reply, bool permanent,
                          std::string_view host, std::string_view address, bool remote) {
  fail_sub(group, group.pending[i], reply, permanent, host, address, remote);
}

void RelayAgent::fail_sub(Group& group, const SubJob& sub, const smtp::Reply& reply, bool permanent,
                          std::string_view host, std::string_view address, bool remote) {
  const RelayJob& job = group.jobs[sub.job];
  for (size_t p : sub.positions) {
    RelayResult& r = (*group.results)[sub.job][p];
    r.verdict = permanent ? Verdict::Permanent : Verdict::Temporary;
    r.reply = record_reply(reply, remote ? host : std::string_view(), remote ? address : "");
    r.bounce_class = classify_reply(reply);
    r.suppress = permanent && suppressible(reply);
    r.mx = std::string(remote ? host : std::string_view());
    (permanent ? stats_.bounced : stats_.deferred)++;
    const uint32_t index = job.recipients[p];
    log::info("relay")
        .kv("queue_id", job.envelope->id)
        .kv("to", job.envelope->recipients[index].address)
        .kv("host", host.empty() ? std::string_view("none") : host)
        .kv("verdict", permanent ? "bounced" : "deferred")
        .kv("class", bounce_class_name(r.bounce_class))
        .kv("reply", r.reply);
  }
}

}  // namespace mail::relay
