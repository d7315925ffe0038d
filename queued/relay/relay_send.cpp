// relay_send: runs the relay agent once, outside queued (queued registers the same agent,
// queued/relay_delivery.h), to try a route by hand or measure the agent alone. Reads a message on
// standard input, relays it (routing, DNS, SMTP client) as queued would, and prints one JSON line
// per recipient.
//
//   relay_send --config FILE [--dns IP@PORT]... [--dns-timeout S] --from ADDR
//              (--to ADDR [--notify LIST] [--orcpt TYPE;ADDR])...
//              [--ret FULL|HDRS] [--envid ID] [--body 7BIT|8BITMIME|BINARYMIME] [--smtputf8]
//              [--id QUEUEID] [--dsn-dir DIR] [--suppress] [--copies N --batch B --parallel P]
//
// --dsn-dir writes the DSNs the results call for (failed.eml, delayed.eml, relayed.eml:
// what queued would enqueue to the sender) and prints their envelope. --suppress adds hard
// bounces to the suppression list (data_dir/sending). --copies sends N copies (queue ids
// ID-0..N-1) in deliver() calls of B messages, P calls at once, and prints the throughput
// (bench/relay_throughput.sh).
//
// Exit status: 0 when every recipient got a result, 2 on bad usage.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "common/cli.h"
#include "common/dns/resolver.h"
#include "common/log.h"
#include "common/net/client.h"
#include "queued/relay/dsn_builder.h"
#include "queued/relay/relay_agent.h"
#include "queued/relay/sending_policy.h"
#include "queued/relay/suite_resolver.h"

namespace {

using namespace mail;
using namespace mail::relay;
namespace asio = net::asio;

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "relay_send: %s\n", why.c_str());
  std::exit(2);
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

uint8_t parse_notify(const std::string& list) {
  uint8_t bits = 0;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "NEVER")
      bits |= queue::kNotifyNever;
    else if (item == "SUCCESS")
      bits |= queue::kNotifySuccess;
    else if (item == "FAILURE")
      bits |= queue::kNotifyFailure;
    else if (item == "DELAY")
      bits |= queue::kNotifyDelay;
    else
      usage("bad --notify item " + item);
  }
  return bits;
}

const char* verdict_name(Verdict v) {
  return v == Verdict::Delivered ? "delivered" : v == Verdict::Permanent ? "bounced" : "deferred";
}

struct Options {
  std::vector<std::string> dns;
  int dns_timeout = 0;  // 0: [dns] timeout
  queue::Envelope envelope;
  std::string dsn_dir;
  bool suppress = false;
  size_t copies = 0;
  size_t batch = 50;
  size_t parallel = 20;
};

Options parse(const std::vector<std::string>& args) {
  Options o;
  o.envelope.id = "RELAYSEND" + log::new_session_id();
  o.envelope.arrival = std::time(nullptr);
  bool from = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) usage(a + " needs a value");
      return args[++i];
    };
    if (a == "--dns")
      o.dns.push_back(value());
    else if (a == "--dns-timeout")
      o.dns_timeout = std::stoi(value());
    else if (a == "--from") {
      o.envelope.sender = value();
      from = true;
    } else if (a == "--to") {
      queue::Recipient r;
      r.address = value();
      o.envelope.recipients.push_back(r);
    } else if (a == "--notify" || a == "--orcpt") {
      if (o.envelope.recipients.empty()) usage(a + " must follow a --to");
      auto& r = o.envelope.recipients.back();
      if (a == "--notify")
        r.dsn_notify = parse_notify(value());
      else
        r.orcpt = value();
    } else if (a == "--ret") {
      const std::string v = value();
      o.envelope.dsn_ret = v == "FULL"   ? queue::DsnRet::Full
                           : v == "HDRS" ? queue::DsnRet::Headers
                                         : (usage("bad --ret"), queue::DsnRet::Unspecified);
    } else if (a == "--envid")
      o.envelope.dsn_envid = value();
    else if (a == "--body") {
      const std::string v = value();
      o.envelope.body = v == "8BITMIME"     ? queue::BodyType::EightBitMime
                        : v == "BINARYMIME" ? queue::BodyType::BinaryMime
                                            : queue::BodyType::SevenBit;
    } else if (a == "--smtputf8")
      o.envelope.smtputf8 = true;
    else if (a == "--id")
      o.envelope.id = value();
    else if (a == "--dsn-dir")
      o.dsn_dir = value();
    else if (a == "--suppress")
      o.suppress = true;
    else if (a == "--copies")
      o.copies = std::stoul(value());
    else if (a == "--batch")
      o.batch = std::max<size_t>(1, std::stoul(value()));
    else if (a == "--parallel")
      o.parallel = std::max<size_t>(1, std::stoul(value()));
    else
      usage("unknown argument " + a);
  }
  if (!from) usage("--from is required (\"\" for the null sender)");
  if (o.envelope.recipients.empty()) usage("at least one --to is required");
  return o;
}

void write_dsns(const Options& o, const queue::Envelope& env, const std::string& content,
                const std::vector<RelayResult>& results, const Config& config) {
  const int64_t now = std::time(nullptr);
  const DsnSettings settings{config.server.hostname,
                             static_cast<size_t>(config.relay.bounce_size_limit)};
  const struct {
    DsnAction action;
    const char* file;
  } kinds[] = {{DsnAction::Failed, "failed.eml"},
               {DsnAction::Delayed, "delayed.eml"},
               {DsnAction::Relayed, "relayed.eml"}};
  for (const auto& kind : kinds) {
    std::vector<DsnRecipient> recipients;
    for (const auto& r : results) {
      queue::Recipient rec = env.recipients[r.recipient];
      rec.last_reply = r.reply;
      const bool match = (kind.action == DsnAction::Failed && r.verdict == Verdict::Permanent) ||
                         (kind.action == DsnAction::Delayed && r.verdict == Verdict::Temporary) ||
                         (kind.action == DsnAction::Relayed && r.verdict == Verdict::Delivered &&
                          !r.dsn_passed_on);
      if (match)
        recipients.push_back(dsn_recipient(rec, kind.action, now, env.arrival + 5 * 86400));
    }
    if (recipients.empty()) continue;
    auto dsn = make_dsn(env, content, recipients, settings, now);
    if (!dsn) {
      // What queued logs when it drops a notice: the null sender never gets one.
      std::printf("{\"dsn\":%s,\"dropped\":true,\"why\":\"%s\"}\n",
                  json_string(dsn_action_name(kind.action)).c_str(),
                  env.sender.empty() ? "null sender" : "no recipient asked for it");
      continue;
    }
    const std::string path = o.dsn_dir + "/" + kind.file;
    std::ofstream(path, std::ios::binary) << dsn->content;
    std::printf("{\"dsn\":%s,\"file\":%s,\"mail_from\":\"\",\"rcpt_to\":%s}\n",
                json_string(dsn_action_name(kind.action)).c_str(), json_string(path).c_str(),
                json_string(dsn->envelope.recipients[0].address).c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto cli = parse_command_line(argc, argv, "relay_send", "--from ADDR --to ADDR ... < message");
  const Config& config = cli.config;
  log::init("relay_send", config.log.level);
  Options o = parse(cli.args);
  std::string content((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());

  auto routes = Routes::from_config(config);
  if (!routes) usage(routes.error().message);
  asio::io_context io;
  DnsConfig dns_config = config.dns;
  if (!o.dns.empty()) dns_config.resolvers = o.dns;
  if (o.dns_timeout > 0) dns_config.timeout = o.dns_timeout;
  auto suite_dns = dns::Resolver::create(io, dns_config);
  if (!suite_dns) usage(suite_dns.error().message);
  SuiteResolver resolver(**suite_dns);
  auto tls = net::make_client_tls_context(config.relay.tls_ca_file);
  if (!tls) usage(tls.error().message);
  RelayAgent agent(io.get_executor(), config, *routes, resolver, *tls);

  std::vector<queue::Envelope> envelopes;
  if (o.copies == 0) {
    envelopes.push_back(o.envelope);
  } else {
    for (size_t i = 0; i < o.copies; ++i) {
      envelopes.push_back(o.envelope);
      envelopes.back().id = o.envelope.id + "-" + std::to_string(i);
    }
  }
  std::vector<RelayJob> jobs;
  for (const auto& e : envelopes) {
    RelayJob job{&e, content, {}};
    for (uint32_t i = 0; i < e.recipients.size(); ++i) job.recipients.push_back(i);
    jobs.push_back(std::move(job));
  }
  std::vector<std::vector<RelayResult>> results(jobs.size());
  const auto start = std::chrono::steady_clock::now();
  size_t next = 0, running = 0;
  // A stand-in for the scheduler: deliver() calls of `batch` jobs, `parallel` at once.
  asio::steady_timer wake(io, std::chrono::steady_clock::time_point::max());
  auto one_batch = [&](size_t from, size_t count) -> net::awaitable<void> {
    std::span<const RelayJob> slice(jobs.data() + from, count);
    auto r = co_await agent.deliver(slice);
    for (size_t k = 0; k < count; ++k) results[from + k] = std::move(r[k]);
    --running;
    wake.cancel();
  };
  auto driver = [&]() -> net::awaitable<void> {
    while (next < jobs.size() || running > 0) {
      while (next < jobs.size() && running < o.parallel) {
        const size_t count = std::min(o.batch, jobs.size() - next);
        ++running;
        asio::co_spawn(io, one_batch(next, count), [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
        next += count;
      }
      co_await wake.async_wait(net::use_nothrow);
      wake.expires_at(std::chrono::steady_clock::time_point::max());
    }
    agent.close();
  };
  asio::co_spawn(io, driver(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (o.copies > 0) {
    size_t delivered = 0, other = 0;
    for (const auto& job : results)
      for (const auto& r : job) (r.verdict == Verdict::Delivered ? delivered : other)++;
    const auto& s = agent.stats();
    std::printf(
        "{\"messages\":%zu,\"delivered\":%zu,\"not_delivered\":%zu,\"seconds\":%.3f,"
        "\"per_second\":%.1f,\"connections\":%llu,\"reused\":%llu}\n",
        o.copies, delivered, other, seconds, o.copies / seconds,
        static_cast<unsigned long long>(s.connections), static_cast<unsigned long long>(s.reused));
    return 0;
  }

  const queue::Envelope& env = envelopes[0];
  std::unique_ptr<SendingPolicy> policy;
  if (o.suppress) {
    auto p = open_sending_policy(config.sending_dir());
    if (!p) usage("sending policy: " + p.error().message);
    policy = std::move(*p);
  }
  for (const auto& r : results[0]) {
    const auto& rec = env.recipients[r.recipient];
    std::printf(
        "{\"recipient\":%s,\"verdict\":\"%s\",\"reply\":%s,\"class\":\"%s\",\"tls\":%s,"
        "\"mx\":%s,\"suppress\":%s,\"dsn_passed_on\":%s}\n",
        json_string(rec.address).c_str(), verdict_name(r.verdict), json_string(r.reply).c_str(),
        bounce_class_name(r.bounce_class), r.tls ? "true" : "false", json_string(r.mx).c_str(),
        r.suppress ? "true" : "false", r.dsn_passed_on ? "true" : "false");
    if (policy && r.suppress) {
      auto done = policy->suppress(
          SuppressionEntry{rec.address, std::time(nullptr), r.bounce_class, r.reply, env.id});
      if (!done) usage("suppress: " + done.error().message);
    }
  }
  if (!o.dsn_dir.empty()) write_dsns(o, env, content, results[0], config);
  std::fflush(stdout);
  return 0;
}
