// The mail authentication service (see inbound.h).
#include "mailauth/inbound.h"

#include <random>

#include "common/log.h"
#include "common/net/offload.h"
#include "mailauth/author.h"
#include "mailauth/dmarc_check.h"
#include "mailauth/header_block.h"
#include "mailauth/report.h"

namespace mail::mailauth {

namespace asio = net::asio;
using Clock = std::chrono::steady_clock;

// A value that arrives later, from any thread, for one executor's coroutines.
class SenderCheck : public std::enable_shared_from_this<SenderCheck> {
 public:
  SenderCheck(asio::any_io_executor ex, Clock::time_point deadline, SpfOutcome skipped)
      : timer_(ex, Clock::time_point::max()), deadline_(deadline), outcome_(std::move(skipped)) {}

  // From the worker thread: hands the outcome to the executor's thread.
  void deliver(SpfOutcome outcome) {
    asio::post(timer_.get_executor(),
               [self = shared_from_this(), o = std::move(outcome)]() mutable {
                 self->outcome_ = std::move(o);
                 self->done_ = true;
                 self->timer_.cancel();
               });
  }
  void mark_running() { done_ = false; }

  net::awaitable<SpfOutcome> wait() {
    while (!done_ && Clock::now() < deadline_) {
      timer_.expires_at(deadline_);
      (void)co_await timer_.async_wait(net::use_nothrow);
    }
    if (!done_) {
      SpfOutcome late = outcome_;
      late.result = SpfResult::TempError;
      late.explanation = "no result within mailauth.timeout";
      co_return late;
    }
    co_return outcome_;
  }

 private:
  asio::steady_timer timer_;
  Clock::time_point deadline_;
  SpfOutcome outcome_;  // until delivered: what to report about the identity
  bool done_ = true;
};

namespace {

// DNS answers gathered by concurrent lookups on one executor.
struct Lookups {
  explicit Lookups(asio::any_io_executor ex) : timer(ex, Clock::time_point::max()) {}
  std::vector<std::string> names;
  std::vector<std::optional<dns::Answer<std::string>>> answers;
  size_t pending = 0;
  asio::steady_timer timer;
};

net::awaitable<void> lookup_txt(dns::Resolver& resolver, std::shared_ptr<Lookups> state,
                                size_t index) {
  auto answer = co_await resolver.txt(state->names[index]);
  state->answers[index] = std::move(answer);
  if (--state->pending == 0) state->timer.cancel();
}

template <typename Answer>
Answer from_lookup(const std::optional<dns::Answer<std::string>>& a) {
  Answer out;
  if (!a) return out;  // no answer by the deadline: temporary
  out.status = a->status;
  out.temporary = a->temporary();
  out.records = a->records;
  return out;
}

int pct_roll() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<int>(rng() % 100);
}

}  // namespace

Service::Service(const Config& config, PublicSuffixList psl)
    : config_(config),
      authserv_id_(config.authserv_id()),
      policy_(VerdictPolicy::from(config.mailauth)),
      psl_(std::move(psl)),
      guard_(asio::make_work_guard(resolver_loop_)),
      signer_(config.dkim_dir()),
      pool_(static_cast<size_t>(config.mailauth.threads)) {}

Result<std::unique_ptr<Service>> Service::create(const Config& config) {
  auto psl = PublicSuffixList::load(config.mailauth.public_suffix_list);
  if (!psl) return psl.error();
  if (config.mailauth.dmarc)
    if (auto r = init_dmarc_library(config.mailauth.public_suffix_list); !r) return r.error();
  std::unique_ptr<Service> s(new Service(config, std::move(*psl)));
  auto resolver = dns::Resolver::create(s->resolver_loop_, config.dns);
  if (!resolver) return resolver.error();
  s->resolver_ = std::move(*resolver);
  s->resolver_thread_ = std::thread([svc = s.get()] { svc->resolver_loop_.run(); });
  s->spf_ = std::make_unique<SpfChecker>(*s->resolver_, config.server.hostname);
  s->verifier_ =
      std::make_unique<DkimVerifier>(static_cast<size_t>(config.mailauth.dkim_max_signatures),
                                     static_cast<unsigned>(config.mailauth.dkim_min_key_bits));
  if (config.mailauth.dkim_verify && !s->verifier_->supports_ed25519())
    log::warn("dkim_no_ed25519").kv("detail", "libopendkim was built without Ed25519");
  return s;
}

Service::~Service() {
  pool_.join();  // checks in progress may wait on the resolver: it still runs
  guard_.reset();
  resolver_loop_.stop();
  if (resolver_thread_.joinable()) resolver_thread_.join();
  resolver_.reset();  // with its loop stopped, as resolver.h requires
}

std::shared_ptr<SenderCheck> Service::start_sender_check(asio::any_io_executor ex,
                                                         std::string client_ip, std::string helo,
                                                         std::string mail_from) {
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(config().timeout);
  SpfOutcome skipped;
  skipped.helo = mail_from.empty();
  skipped.identity = skipped.helo ? helo : mail_from;
  auto check = std::make_shared<SenderCheck>(ex, deadline, skipped);
  if (!config().spf) return check;  // outcome: not checked
  check->mark_running();
  asio::post(pool_, [this, check, ip = std::move(client_ip), helo = std::move(helo),
                     from = std::move(mail_from),
                     deadline] { check->deliver(spf_->check(ip, helo, from, deadline)); });
  return check;
}

net::awaitable<SpfOutcome> Service::sender_outcome(std::shared_ptr<SenderCheck> check) {
  co_return co_await check->wait();
}

net::awaitable<InboundOutcome> Service::check_message(std::shared_ptr<SenderCheck> check,
                                                      std::string& message,
                                                      std::vector<std::string> recipient_domains,
                                                      std::string client_ip) {
  InboundOutcome out;
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(config().timeout);
  HeaderBlock header = split_header(message);
  // RFC 8601 5: whatever claims our authserv-id did not come from us.
  for (const RawField& f : header.fields) out.forged_removed += claims_our_id(f, authserv_id_);
  if (out.forged_removed > 0) {
    message = without_our_auth_results(message, header, authserv_id_);
    header = split_header(message);
  }

  CheckResults& results = out.results;
  Author author = author_of(header);
  results.author_domains = author.domains;
  results.author_problem = author.problem;
  const bool dmarc = config().dmarc && !author.domains.empty();
  std::vector<std::string> keys;
  if (config().dkim_verify)
    keys = key_names(header, static_cast<size_t>(config().dkim_max_signatures));

  // Every lookup at once: the keys, then per author domain _dmarc.<domain> and
  // _dmarc.<organizational domain>.
  auto ex = co_await asio::this_coro::executor;
  auto lookups = std::make_shared<Lookups>(ex);
  lookups->names = keys;
  std::vector<std::string> orgs;
  if (dmarc) {
    for (const std::string& d : author.domains) {
      orgs.push_back(psl_.organizational_domain(d));
      lookups->names.push_back("_dmarc." + d);
      lookups->names.push_back(orgs.back() == d ? std::string() : "_dmarc." + orgs.back());
    }
  }
  lookups->answers.resize(lookups->names.size());
  for (size_t i = 0; i < lookups->names.size(); ++i) {
    if (lookups->names[i].empty()) continue;
    ++lookups->pending;
    asio::co_spawn(ex, lookup_txt(*resolver_, lookups, i), asio::detached);
  }
  // SPF (running since MAIL FROM) and the lookups, together.
  if (check) results.spf = co_await check->wait();
  while (lookups->pending > 0 && Clock::now() < deadline) {
    lookups->timer.expires_at(deadline);
    (void)co_await lookups->timer.async_wait(net::use_nothrow);
  }

  KeyAnswers answers;
  for (size_t i = 0; i < keys.size(); ++i)
    answers[keys[i]] = from_lookup<KeyAnswer>(lookups->answers[i]);

  // DKIM and DMARC on the worker pool (libopendkim hashes the body and checks signatures).
  const bool verify = config().dkim_verify;
  auto job = [&]() -> int {
    results.dkim_checked = verify;
    if (verify)
      results.dkim = verifier_->verify(message, header, answers, resolver_.get(), deadline);
    if (!dmarc) return 0;
    for (size_t k = 0; k < author.domains.size(); ++k) {
      size_t base = keys.size() + 2 * k;
      RecordAnswer at_from = from_lookup<RecordAnswer>(lookups->answers[base]);
      std::optional<RecordAnswer> at_org;
      if (!lookups->names[base + 1].empty())
        at_org = from_lookup<RecordAnswer>(lookups->answers[base + 1]);
      results.dmarc.push_back(evaluate_dmarc(author.domains[k], orgs[k], at_from,
                                             at_org ? &*at_org : nullptr, client_ip, results.spf,
                                             results.dkim, pct_roll()));
    }
    return 0;
  };
  (void)co_await net::offload(pool_, job);

  out.verdict = decide(policy_, results, recipient_domains, psl_);
  // mailauth.spf_fail = "reject": RFC 7208 8.4 allows refusing a fail outright (RFC 7372
  // 3.2: 5.7.23); a DMARC reject already decided keeps its own reply.
  if (config().spf_fail == "reject" && results.spf.result == SpfResult::Fail &&
      out.verdict.action != Action::Reject) {
    out.verdict.action = Action::Reject;
    out.verdict.code = 550;
    out.verdict.enhanced = "5.7.23";
    out.verdict.text = "SPF check failed for " + results.spf.identity;
  }
  out.auth_results = write_auth_results(auth_results_for(authserv_id_, results, out.verdict));
  co_return out;
}

net::awaitable<Result<std::string>> Service::prepare_submission(std::string& message) {
  HeaderBlock header = split_header(message);
  bool forged = false;
  for (const RawField& f : header.fields) forged |= claims_our_id(f, authserv_id_);
  if (forged) message = without_our_auth_results(message, header, authserv_id_);
  if (!config().dkim_sign) co_return std::string();
  auto job = [&]() { return signer_.sign(message); };
  auto signatures = co_await net::offload(pool_, job);
  if (!signatures) co_return signatures.error();
  if (signatures->empty()) co_return std::string();
  message.insert(0, *signatures);
  HeaderBlock signed_header = split_header(message);
  co_return signer_.signing_domain(author_of(signed_header).domains.front());
}

}  // namespace mail::mailauth
