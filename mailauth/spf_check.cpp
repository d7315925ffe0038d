// libspf2 over our resolver (see spf_check.h).
#include "mailauth/spf_check.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

extern "C" {
#include <spf2/spf.h>
#include <spf2/spf_dns.h>
}

#include <cstring>
#include <memory>
#include <mutex>

#include "common/log.h"

namespace mail::mailauth {
namespace {

constexpr uint16_t kTypePtr = 12;

// The layer's state for one check.
struct LayerContext {
  dns::Resolver* resolver = nullptr;
  std::chrono::steady_clock::time_point deadline;
};

SPF_dns_stat_t herrno_of(dns::Status status, bool temporary) {
  if (temporary) return TRY_AGAIN;
  switch (status) {
    case dns::Status::Ok: return NETDB_SUCCESS;
    case dns::Status::NoData: return NO_DATA;
    case dns::Status::NxDomain:
    case dns::Status::BadName: return HOST_NOT_FOUND;
    default: return TRY_AGAIN;
  }
}

// Copies `n` bytes into record i of `rr`; false when out of memory.
bool put(SPF_dns_rr_t* rr, int i, const void* data, size_t n) {
  if (SPF_dns_rr_buf_realloc(rr, i, n) != SPF_E_SUCCESS) return false;
  std::memcpy(rr->rr[i], data, n);
  rr->num_rr = i + 1;
  return true;
}

template <typename T, typename Fill>
SPF_dns_rr_t* answer(SPF_dns_server_t* server, const char* domain, ns_type type,
                     const dns::Answer<T>& a, Fill fill) {
  SPF_dns_rr_t* rr = SPF_dns_rr_new_init(server, domain, type, static_cast<int>(a.ttl),
                                         herrno_of(a.status, a.temporary()));
  if (rr == nullptr || !a.ok() || a.temporary()) return rr;
  int i = 0;
  for (const T& record : a.records)
    if (fill(rr, i, record)) ++i;
  return rr;
}

bool put_string(SPF_dns_rr_t* rr, int i, const std::string& s) {
  return put(rr, i, s.c_str(), s.size() + 1);
}

SPF_dns_rr_t* layer_lookup(SPF_dns_server_t* server, const char* domain, ns_type type, int) {
  auto* ctx = static_cast<LayerContext*>(server->hook);
  if (std::chrono::steady_clock::now() >= ctx->deadline || type == ns_t_spf ||
      (type != ns_t_a && type != ns_t_aaaa && type != ns_t_mx && type != ns_t_txt &&
       type != ns_t_ptr)) {
    // Past the deadline: temporary. SPF RR type and others: no data, no query.
    bool late = type != ns_t_spf && std::chrono::steady_clock::now() >= ctx->deadline;
    return SPF_dns_rr_new_init(server, domain, type, 0, late ? TRY_AGAIN : NO_DATA);
  }
  dns::Resolver& r = *ctx->resolver;
  switch (type) {
    case ns_t_a:
      return answer(server, domain, type, r.a_sync(domain),
                    [](SPF_dns_rr_t* rr, int i, const net::asio::ip::address& ip) {
                      if (!ip.is_v4()) return false;
                      auto bytes = ip.to_v4().to_bytes();
                      return put(rr, i, bytes.data(), bytes.size());
                    });
    case ns_t_aaaa:
      return answer(server, domain, type, r.aaaa_sync(domain),
                    [](SPF_dns_rr_t* rr, int i, const net::asio::ip::address& ip) {
                      if (!ip.is_v6()) return false;
                      auto bytes = ip.to_v6().to_bytes();
                      return put(rr, i, bytes.data(), bytes.size());
                    });
    case ns_t_mx:
      // libspf2 wants the exchange names only; a null MX (RFC 7505) names no host.
      return answer(server, domain, type, r.mx_sync(domain),
                    [](SPF_dns_rr_t* rr, int i, const dns::MxRecord& mx) {
                      return !mx.null() && put_string(rr, i, mx.host);
                    });
    case ns_t_txt:
      return answer(server, domain, type, r.txt_sync(domain),
                    [](SPF_dns_rr_t* rr, int i, const std::string& txt) {
                      // A NUL inside would cut the record short: not a valid SPF record.
                      return txt.find('\0') == std::string::npos && put_string(rr, i, txt);
                    });
    default:  // ns_t_ptr
      return answer(server, domain, type, r.rdata_sync(domain, kTypePtr),
                    [](SPF_dns_rr_t* rr, int i, const std::string& rdata) {
                      auto name = dns::parse_name(rdata);
                      return name && put_string(rr, i, *name);
                    });
  }
}

// libspf2 prints warnings and information to stdout/stderr by default; our log has one
// key=value line per event, so they go to the debug level (errors abort, as before).
void warning_handler(const char*, int, const char* message) {
  log::debug("spf_library").kv("message", message ? message : "");
}

void set_log_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    SPF_warning_handler = warning_handler;
    SPF_info_handler = nullptr;
    SPF_debug_handler = nullptr;
  });
}

SpfResult from_libspf2(SPF_result_t r) {
  switch (r) {
    case SPF_RESULT_NEUTRAL: return SpfResult::Neutral;
    case SPF_RESULT_PASS: return SpfResult::Pass;
    case SPF_RESULT_FAIL: return SpfResult::Fail;
    case SPF_RESULT_SOFTFAIL: return SpfResult::SoftFail;
    case SPF_RESULT_NONE: return SpfResult::None;
    case SPF_RESULT_TEMPERROR: return SpfResult::TempError;
    case SPF_RESULT_PERMERROR: return SpfResult::PermError;
    default: return SpfResult::PermError;
  }
}

struct ServerDeleter {
  void operator()(SPF_server_t* s) const { SPF_server_free(s); }
};
struct RequestDeleter {
  void operator()(SPF_request_t* r) const { SPF_request_free(r); }
};
struct ResponseDeleter {
  void operator()(SPF_response_t* r) const { SPF_response_free(r); }
};

}  // namespace

bool spf_checkable_domain(std::string_view d) {
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  if (d.empty() || d.size() > 253 || d.find('.') == std::string_view::npos) return false;
  size_t label = 0;
  for (char c : d) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

SpfChecker::SpfChecker(dns::Resolver& resolver, std::string receiver)
    : resolver_(resolver), receiver_(std::move(receiver)) {
  set_log_handlers();
}

SpfOutcome SpfChecker::check(std::string_view client_ip, std::string_view helo,
                             std::string_view mail_from,
                             std::chrono::steady_clock::time_point deadline) const {
  SpfOutcome out;
  out.checked = true;
  out.helo = mail_from.empty();
  out.identity = std::string(out.helo ? helo : mail_from);
  std::string domain(out.helo ? helo : mail_from.substr(mail_from.rfind('@') + 1));
  out.domain = domain;
  // RFC 7208 2.3, 4.3: a HELO that is an address literal or not a domain, and a MAIL FROM
  // domain that is not one, give "none" without any lookup.
  if (!spf_checkable_domain(domain) ||
      (!out.helo && mail_from.find('@') == std::string_view::npos)) {
    out.result = SpfResult::None;
    out.explanation = "no checkable domain";
    return out;
  }

  boost::system::error_code ec;
  auto ip = net::asio::ip::make_address(std::string(client_ip), ec);
  if (ec) {
    out.result = SpfResult::None;
    out.explanation = "no client address";
    return out;
  }
  if (ip.is_v6() && ip.to_v6().is_v4_mapped())
    ip = net::asio::ip::make_address_v4(net::asio::ip::v4_mapped, ip.to_v6());

  LayerContext ctx{&resolver_, deadline};
  SPF_dns_server_t layer;
  std::memset(&layer, 0, sizeof layer);
  layer.lookup = layer_lookup;
  layer.name = "mailauth";
  layer.hook = &ctx;  // destroy stays null: the layer is ours, on this stack
  std::unique_ptr<SPF_server_t, ServerDeleter> server(SPF_server_new_dns(&layer, 0));
  if (!server) {
    out.result = SpfResult::TempError;
    out.explanation = "out of memory";
    return out;
  }
  SPF_server_set_rec_dom(server.get(), receiver_.c_str());
  // RFC 7208 4.6.4: at most 10 DNS-querying terms, 10 MX and 10 PTR names (said here, not
  // left to libspf2's defaults).
  SPF_server_set_max_dns_mech(server.get(), 10);
  SPF_server_set_max_dns_mx(server.get(), 10);
  SPF_server_set_max_dns_ptr(server.get(), 10);
  std::unique_ptr<SPF_request_t, RequestDeleter> request(SPF_request_new(server.get()));
  const std::string ip_text = ip.to_string();
  const std::string helo_text(helo);
  const std::string from_text(mail_from);
  if (!request ||
      (ip.is_v4() ? SPF_request_set_ipv4_str(request.get(), ip_text.c_str())
                  : SPF_request_set_ipv6_str(request.get(), ip_text.c_str())) != SPF_E_SUCCESS ||
      (!helo_text.empty() && SPF_request_set_helo_dom(request.get(), helo_text.c_str()) != 0) ||
      SPF_request_set_env_from(request.get(), from_text.c_str()) != 0) {
    out.result = SpfResult::None;
    out.explanation = "identity not usable";
    return out;
  }

  // SPF_request_query_mailfrom() without its loopback shortcut (see spf_check.h): find the
  // record, then interpret it.
  std::unique_ptr<SPF_response_t, ResponseDeleter> response(SPF_response_new(request.get()));
  if (!response) {
    out.result = SpfResult::TempError;
    return out;
  }
  SPF_request_t* req = request.get();
  req->cur_dom = req->use_helo ? req->helo_dom : req->env_from_dp;
  SPF_record_t* record = nullptr;
  SPF_errcode_t err = SPF_server_get_record(server.get(), req, response.get(), &record);
  if (err != SPF_E_SUCCESS) {
    if (record) SPF_record_free(record);
    // As SPF_request_query_record() does: a DNS failure is temperror (RFC 7208 4.4), no
    // record (or none usable) is none.
    SPF_i_done(response.get(), err == SPF_E_DNS_ERROR ? SPF_RESULT_TEMPERROR : SPF_RESULT_NONE,
               SPF_REASON_FAILURE, err);
  } else {
    response->spf_record_exp = record;
    SPF_record_interpret(record, req, response.get(), 0);
    response->spf_record_exp = nullptr;
    SPF_record_free(record);
  }
  out.result = from_libspf2(SPF_response_result(response.get()));
  if (const char* comment = SPF_response_get_header_comment(response.get())) {
    out.explanation = comment;
  }
  return out;
}

}  // namespace mail::mailauth
