#include "queued/relay/unbound_resolver.h"

#include <unbound.h>

#include <optional>
#include <tuple>

namespace mail::relay {
namespace {

using namespace boost::asio::experimental::awaitable_operators;

constexpr int kTypeA = 1;
constexpr int kTypeMx = 15;
constexpr int kTypeAaaa = 28;
constexpr int kClassIn = 1;
constexpr int kRcodeServfail = 2;

// A domain name in uncompressed wire format (libunbound hands out rdata that way) as
// text without the trailing dot; "" for the root; nullopt when malformed.
std::optional<std::string> wire_name(const unsigned char* p, size_t len) {
  std::string out;
  size_t i = 0;
  while (i < len) {
    const unsigned n = p[i++];
    if (n == 0) return out;
    if (n > 63 || i + n > len || out.size() + n + 1 > 253) return std::nullopt;
    if (!out.empty()) out += '.';
    out.append(reinterpret_cast<const char*>(p + i), n);
    i += n;
  }
  return std::nullopt;
}

}  // namespace

struct UnboundResolver::Query {
  Query(net::asio::any_io_executor ex, UnboundResolver* owner)
      : timer(ex, std::chrono::steady_clock::time_point::max()), owner(owner) {}
  ~Query() {
    if (result) ub_resolve_free(result);
  }
  net::asio::steady_timer timer;
  UnboundResolver* owner;
  bool done = false;
  int err = 0;
  ub_result* result = nullptr;
};

Result<std::unique_ptr<UnboundResolver>> UnboundResolver::create(
    net::asio::any_io_executor executor, const UnboundOptions& options) {
  ub_ctx* ctx = ub_ctx_create();
  if (!ctx) return make_error(ErrorKind::Temporary, "ub_ctx_create failed");
  const auto fail = [ctx](const std::string& what, int rc) {
    ub_ctx_delete(ctx);
    return make_error(ErrorKind::Invalid, what + ": " + ub_strerror(rc));
  };
  int rc = ub_ctx_async(ctx, 1);  // a thread, never a forked process
  if (rc != 0) return fail("ub_ctx_async", rc);
  if (options.forwarders.empty()) {
    if ((rc = ub_ctx_resolvconf(ctx, nullptr)) != 0) return fail("reading /etc/resolv.conf", rc);
    if ((rc = ub_ctx_hosts(ctx, nullptr)) != 0) return fail("reading /etc/hosts", rc);
  } else {
    for (const auto& f : options.forwarders) {
      if ((rc = ub_ctx_set_fwd(ctx, f.c_str())) != 0) return fail("resolver " + f, rc);
    }
  }
  if (!options.trust_anchor_file.empty()) {
    if ((rc = ub_ctx_add_ta_file(ctx, options.trust_anchor_file.c_str())) != 0)
      return fail("trust anchor " + options.trust_anchor_file, rc);
  }
  // unbound answers names under the special-use "test." itself (NXDOMAIN, RFC 6761);
  // remove that zone so a test DNS server (or a private one) can serve them.
  ub_ctx_zone_remove(ctx, "test.");
  return std::unique_ptr<UnboundResolver>(
      new UnboundResolver(std::move(executor), ctx, options.timeout));
}

UnboundResolver::UnboundResolver(net::asio::any_io_executor executor, ub_ctx* ctx,
                                 std::chrono::seconds timeout)
    : executor_(executor), ctx_(ctx), fd_(executor, ub_fd(ctx)), timeout_(timeout) {}

UnboundResolver::~UnboundResolver() {
  *alive_ = false;
  boost::system::error_code ec;
  fd_.cancel(ec);
  fd_.release();  // the descriptor belongs to libunbound
  ub_ctx_delete(ctx_);
}

net::awaitable<void> UnboundResolver::pump(std::shared_ptr<bool> alive) {
  pumping_ = true;
  while (pending_ > 0) {
    auto [ec] =
        co_await fd_.async_wait(net::asio::posix::descriptor_base::wait_read, net::use_nothrow);
    if (!*alive) co_return;                                   // the resolver is gone: touch nothing
    if (ec == net::asio::error::operation_aborted) continue;  // woken to look at pending_
    if (ec) break;
    ub_process(ctx_);
  }
  pumping_ = false;
}

net::awaitable<std::shared_ptr<UnboundResolver::Query>> UnboundResolver::ask(
    const std::string& name, int type) {
  auto query = std::make_shared<Query>(executor_, this);
  int id = 0;
  const int rc = ub_resolve_async(
      ctx_, name.c_str(), type, kClassIn, query.get(),
      [](void* data, int err, ub_result* result) {
        auto* q = static_cast<Query*>(data);
        q->done = true;
        q->err = err;
        q->result = result;
        q->owner->pending_--;  // before pump() looks again: it stops when none is left
        q->timer.cancel();
      },
      &id);
  if (rc != 0) {
    query->done = true;
    query->err = rc;
    co_return query;
  }
  ++pending_;
  if (!pumping_) net::asio::co_spawn(executor_, pump(alive_), net::asio::detached);
  query->timer.expires_after(timeout_);
  co_await query->timer.async_wait(net::use_nothrow);
  if (!query->done) {
    ub_cancel(ctx_, id);  // the callback will not run
    if (--pending_ == 0 && pumping_) {
      boost::system::error_code ec;
      fd_.cancel(ec);  // pump() stops waiting for an answer nobody wants
    }
  }
  co_return query;
}

namespace {

// The status of an answer; "" error when not TempFail.
DnsStatus status_of(int err, const ub_result* r, bool done, std::string& error) {
  if (!done) {
    error = "timed out";
    return DnsStatus::TempFail;
  }
  if (err != 0 || !r) {
    error = ub_strerror(err);
    return DnsStatus::TempFail;
  }
  if (r->bogus) {
    error = std::string("DNSSEC validation failed") +
            (r->why_bogus ? std::string(": ") + r->why_bogus : "");
    return DnsStatus::TempFail;
  }
  if (r->nxdomain) return DnsStatus::NxDomain;
  if (r->rcode == kRcodeServfail || (r->rcode != 0 && !r->havedata)) {
    error = "DNS error (rcode " + std::to_string(r->rcode) + ")";
    return DnsStatus::TempFail;
  }
  return r->havedata ? DnsStatus::Ok : DnsStatus::NoData;
}

}  // namespace

net::awaitable<MxAnswer> UnboundResolver::mx(const std::string& domain) {
  auto q = co_await ask(domain, kTypeMx);
  MxAnswer answer;
  answer.status = status_of(q->err, q->result, q->done, answer.error);
  if (answer.status != DnsStatus::Ok) co_return answer;
  answer.secure = q->result->secure != 0;
  for (int i = 0; q->result->data[i]; ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(q->result->data[i]);
    const size_t len = static_cast<size_t>(q->result->len[i]);
    if (len < 3) continue;
    auto host = wire_name(p + 2, len - 2);
    if (!host) continue;
    answer.records.push_back(MxRecord{static_cast<uint16_t>((p[0] << 8) | p[1]), *host});
  }
  if (answer.records.empty()) {
    answer.status = DnsStatus::TempFail;
    answer.error = "malformed MX records";
  }
  co_return answer;
}

net::awaitable<AddressAnswer> UnboundResolver::addresses(const std::string& host) {
  auto [v6, v4] = co_await (ask(host, kTypeAaaa) && ask(host, kTypeA));
  AddressAnswer answer;
  std::string e6, e4;
  const DnsStatus s6 = status_of(v6->err, v6->result, v6->done, e6);
  const DnsStatus s4 = status_of(v4->err, v4->result, v4->done, e4);
  answer.secure = true;
  const auto add = [&answer](const Query& q, size_t size) {
    answer.secure = answer.secure && q.result->secure;
    for (int i = 0; q.result->data[i]; ++i) {
      if (static_cast<size_t>(q.result->len[i]) != size) continue;
      const auto* p = reinterpret_cast<const unsigned char*>(q.result->data[i]);
      if (size == 16) {
        net::asio::ip::address_v6::bytes_type b;
        std::copy(p, p + 16, b.begin());
        answer.addresses.push_back(net::asio::ip::address_v6(b));
      } else {
        net::asio::ip::address_v4::bytes_type b;
        std::copy(p, p + 4, b.begin());
        answer.addresses.push_back(net::asio::ip::address_v4(b));
      }
    }
  };
  if (s6 == DnsStatus::Ok) add(*v6, 16);
  if (s4 == DnsStatus::Ok) add(*v4, 4);
  if (!answer.addresses.empty()) {
    answer.status = DnsStatus::Ok;
  } else if (s6 == DnsStatus::TempFail || s4 == DnsStatus::TempFail) {
    answer.status = DnsStatus::TempFail;
    answer.error = s4 == DnsStatus::TempFail ? e4 : e6;
    answer.secure = false;
  } else if (s6 == DnsStatus::NxDomain && s4 == DnsStatus::NxDomain) {
    answer.status = DnsStatus::NxDomain;
  } else {
    answer.status = DnsStatus::NoData;
  }
  co_return answer;
}

}  // namespace mail::relay
