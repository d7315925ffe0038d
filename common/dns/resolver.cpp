// The resolver (see resolver.h): one libunbound context with its background thread
// (ub_ctx_async with threads, never a forked process), whose answer pipe (ub_fd) an Asio
// stream_descriptor watches; when it is readable, ub_process() runs the callbacks of
// finished queries on the event loop. Each query has a timer: when it fires first, the
// query is cancelled (ub_cancel) and answers Timeout. All query state lives on the
// resolver's event loop, so it needs no locks; other threads only post to it.
#include "common/dns/resolver.h"

#include <unbound.h>
#include <unistd.h>

#include <functional>
#include <future>
#include <optional>
#include <unordered_map>

#include "common/log.h"

namespace mail::dns {

namespace asio = net::asio;

namespace {
constexpr int kTypeA = 1, kTypeMx = 15, kTypeTxt = 16, kTypeAaaa = 28, kClassIn = 1;
}

struct Resolver::Raw {
  AnswerFlags flags;
  std::vector<std::string> rdata;
  uint32_t ttl = 0;
  std::string detail;
};

struct Resolver::Impl {
  struct Query {
    Query(Impl* i, std::function<void(Raw)> d) : impl(i), timer(i->loop), done(std::move(d)) {}
    Impl* impl;
    int id = 0;
    asio::steady_timer timer;
    std::function<void(Raw)> done;
  };

  Impl(asio::io_context& l, ub_ctx* c, int fd, std::chrono::seconds t)
      : loop(l), ctx(c), pipe(l, fd), timeout(t) {}

  ~Impl() {
    for (auto& [q, owned] : queries) ub_cancel(ctx, q->id);
    queries.clear();
    boost::system::error_code ec;
    pipe.close(ec);  // our dup of ub_fd
    ub_ctx_delete(ctx);
  }

  // On the loop: starts one query; `done` runs exactly once, on the loop.
  void start(const std::string& name, int rrtype, std::function<void(Raw)> done) {
    auto owned = std::make_unique<Query>(this, std::move(done));
    Query* q = owned.get();
    int rc = ub_resolve_async(ctx, name.c_str(), rrtype, kClassIn, q, &Impl::on_result, &q->id);
    if (rc != 0) {
      Raw raw;
      raw.flags.error = rc;
      raw.flags.syntax_error = rc == UB_SYNTAX;
      raw.detail = ub_strerror(rc);
      owned->done(std::move(raw));
      return;
    }
    queries.emplace(q, std::move(owned));
    q->timer.expires_after(timeout);
    q->timer.async_wait([this, q](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the answer came first (q may be gone)
      auto it = queries.find(q);
      if (it == queries.end()) return;
      auto mine = std::move(it->second);
      queries.erase(it);
      // Threaded libunbound checks the cancel flag before calling back, and callbacks
      // only run in ub_process() on this same loop: on_result will not see q again.
      ub_cancel(ctx, q->id);
      Raw raw;
      raw.flags.timeout = true;
      raw.detail = "no answer within " + std::to_string(timeout.count()) + " s";
      mine->done(std::move(raw));
    });
  }

  // From any thread.
  void post_start(std::string name, int rrtype, std::function<void(Raw)> done) {
    asio::post(loop, [this, name = std::move(name), rrtype, done = std::move(done)]() mutable {
      start(name, rrtype, std::move(done));
    });
  }

  static void on_result(void* data, int err, ub_result* result) {
    auto* q = static_cast<Query*>(data);
    Raw raw;
    raw.flags.error = err;
    raw.flags.syntax_error = err == UB_SYNTAX;
    if (err != 0) raw.detail = ub_strerror(err);
    if (result) {
      raw.flags.rcode = result->rcode;
      raw.flags.havedata = result->havedata != 0;
      raw.flags.nxdomain = result->nxdomain != 0;
      raw.flags.secure = result->secure != 0;
      raw.flags.bogus = result->bogus != 0;
      raw.ttl = result->ttl > 0 ? static_cast<uint32_t>(result->ttl) : 0;
      if (result->why_bogus) raw.detail = result->why_bogus;
      for (int i = 0; result->data && result->data[i]; ++i)
        raw.rdata.emplace_back(result->data[i], static_cast<size_t>(result->len[i]));
      ub_resolve_free(result);
    }
    // libunbound calls back only from ub_process(), which runs on the loop.
    q->impl->finish(q, std::move(raw));
  }

  void finish(Query* q, Raw raw) {
    auto it = queries.find(q);
    if (it == queries.end()) return;  // timed out already (cannot happen: cancelled)
    auto mine = std::move(it->second);
    queries.erase(it);
    mine->timer.cancel();
    mine->done(std::move(raw));
  }

  void watch() {
    pipe.async_wait(asio::posix::stream_descriptor::wait_read,
                    [this](boost::system::error_code ec) {
                      if (ec) return;
                      if (int rc = ub_process(ctx); rc != 0)
                        log::error("dns_process_failed").kv("error", ub_strerror(rc));
                      watch();
                    });
  }

  asio::io_context& loop;
  ub_ctx* ctx;
  asio::posix::stream_descriptor pipe;
  std::chrono::seconds timeout;
  std::unordered_map<Query*, std::unique_ptr<Query>> queries;
};

namespace {

template <typename T, typename Parse>
Answer<T> typed(const Resolver::Raw& raw, Parse parse) {
  Answer<T> a;
  a.status = classify(raw.flags);
  a.security = security_of(raw.flags);
  a.ttl = raw.ttl;
  a.detail = raw.detail;
  if (a.status != Status::Ok) return a;
  for (const std::string& rd : raw.rdata)
    if (auto v = parse(rd)) a.records.push_back(std::move(*v));
  if (a.records.empty()) {
    a.status = Status::Error;
    a.detail = "malformed records in the answer";
  }
  return a;
}

std::optional<asio::ip::address> to_v4(std::string_view rd) {
  auto b = parse_a(rd);
  if (!b) return std::nullopt;
  return asio::ip::address(asio::ip::address_v4(*b));
}

std::optional<asio::ip::address> to_v6(std::string_view rd) {
  auto b = parse_aaaa(rd);
  if (!b) return std::nullopt;
  return asio::ip::address(asio::ip::address_v6(*b));
}

std::optional<std::string> raw_rdata(std::string_view rd) {
  return std::string(rd);
}

Error setup_error(const char* what, int rc) {
  return make_error(ErrorKind::Invalid, std::string("dns: ") + what + ": " + ub_strerror(rc));
}

}  // namespace

Result<std::unique_ptr<Resolver>> Resolver::create(asio::io_context& loop,
                                                   const DnsConfig& config) {
  ub_ctx* ctx = ub_ctx_create();
  if (!ctx) return make_error(ErrorKind::Temporary, "dns: cannot create the resolver context");
  auto fail = [ctx](Error e) -> Result<std::unique_ptr<Resolver>> {
    ub_ctx_delete(ctx);
    return e;
  };
  // A background thread, not a forked process, resolves for us.
  if (int rc = ub_ctx_async(ctx, 1)) return fail(setup_error("async", rc));
  if (config.resolvers.empty()) {
    if (int rc = ub_ctx_resolvconf(ctx, nullptr)) return fail(setup_error("/etc/resolv.conf", rc));
    (void)ub_ctx_hosts(ctx, nullptr);  // names in /etc/hosts too, as the system resolver does
  } else {
    for (const auto& address : config.resolvers)
      if (int rc = ub_ctx_set_fwd(ctx, address.c_str()))
        return fail(setup_error(("resolver " + address).c_str(), rc));
  }
  // Forwarders on loopback (a local caching resolver, the tests' server) are allowed.
  if (int rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no"))
    return fail(setup_error("do-not-query-localhost", rc));
  if (!config.trust_anchor_file.empty())
    if (int rc = ub_ctx_add_ta_file(ctx, config.trust_anchor_file.c_str()))
      return fail(setup_error(config.trust_anchor_file.c_str(), rc));
  // RFC 6761 reserves .test and libunbound answers it NXDOMAIN itself; our tests and
  // demos live there. Removing the zone finalises the context (settings end here).
  if (int rc = ub_ctx_zone_remove(ctx, "test.")) return fail(setup_error("zone test.", rc));
  int fd = ::dup(ub_fd(ctx));
  if (fd < 0) return fail(make_error(ErrorKind::Temporary, "dns: dup(ub_fd) failed"));
  auto impl = std::make_unique<Impl>(loop, ctx, fd, std::chrono::seconds(config.timeout));
  impl->watch();
  return std::unique_ptr<Resolver>(new Resolver(std::move(impl)));
}

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Resolver::~Resolver() = default;

net::awaitable<Resolver::Raw> Resolver::query(std::string_view name, int rrtype) {
  std::string n(name);
  Impl& impl = *impl_;
  // The initiation captures by reference (the g++ 12 coroutine rule, see net::offload):
  // `n`, `rrtype` and `impl` live in this frame while it is suspended.
  co_return co_await asio::async_initiate<decltype(net::use_awaitable), void(Raw)>(
      [&](auto handler) {
        using Handler = decltype(handler);
        struct State {
          Handler handler;
          decltype(asio::prefer(asio::get_associated_executor(handler),
                                asio::execution::outstanding_work.tracked)) work;
        };
        auto ex = asio::get_associated_executor(handler);
        auto state = std::make_shared<State>(
            State{std::move(handler), asio::prefer(ex, asio::execution::outstanding_work.tracked)});
        impl.post_start(n, rrtype, [state](Raw raw) mutable {
          auto work = state->work;
          asio::dispatch(work, [state = std::move(state), raw = std::move(raw)]() mutable {
            std::move(state->handler)(std::move(raw));
          });
        });
      },
      net::use_awaitable);
}

Resolver::Raw Resolver::query_sync(std::string_view name, int rrtype) {
  Raw raw;
  if (impl_->loop.get_executor().running_in_this_thread()) {
    raw.flags.error = -1;
    raw.detail = "synchronous lookup on the resolver's own event loop";
    return raw;
  }
  auto promise = std::make_shared<std::promise<Raw>>();
  auto future = promise->get_future();
  impl_->post_start(std::string(name), rrtype,
                    [promise](Raw r) { promise->set_value(std::move(r)); });
  // The query's own timer answers Timeout; the margin covers a loop that stopped.
  if (future.wait_for(impl_->timeout + std::chrono::seconds(2)) != std::future_status::ready) {
    raw.flags.timeout = true;
    raw.detail = "the resolver's event loop did not answer";
    return raw;
  }
  return future.get();
}

net::awaitable<Answer<MxRecord>> Resolver::mx(std::string_view domain) {
  co_return typed<MxRecord>(co_await query(domain, kTypeMx), parse_mx);
}
net::awaitable<Answer<asio::ip::address>> Resolver::a(std::string_view host) {
  co_return typed<asio::ip::address>(co_await query(host, kTypeA), to_v4);
}
net::awaitable<Answer<asio::ip::address>> Resolver::aaaa(std::string_view host) {
  co_return typed<asio::ip::address>(co_await query(host, kTypeAaaa), to_v6);
}
net::awaitable<Answer<std::string>> Resolver::txt(std::string_view name) {
  co_return typed<std::string>(co_await query(name, kTypeTxt), parse_txt);
}

net::awaitable<Answer<std::string>> Resolver::rdata(std::string_view name, uint16_t rrtype) {
  co_return typed<std::string>(co_await query(name, rrtype), raw_rdata);
}

Answer<MxRecord> Resolver::mx_sync(std::string_view domain) {
  return typed<MxRecord>(query_sync(domain, kTypeMx), parse_mx);
}
Answer<asio::ip::address> Resolver::a_sync(std::string_view host) {
  return typed<asio::ip::address>(query_sync(host, kTypeA), to_v4);
}
Answer<asio::ip::address> Resolver::aaaa_sync(std::string_view host) {
  return typed<asio::ip::address>(query_sync(host, kTypeAaaa), to_v6);
}
Answer<std::string> Resolver::txt_sync(std::string_view name) {
  return typed<std::string>(query_sync(name, kTypeTxt), parse_txt);
}
Answer<std::string> Resolver::rdata_sync(std::string_view name, uint16_t rrtype) {
  return typed<std::string>(query_sync(name, rrtype), raw_rdata);
}

}  // namespace mail::dns
