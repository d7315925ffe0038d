#include "queued/relay/suite_resolver.h"

namespace mail::relay {
namespace {

using namespace boost::asio::experimental::awaitable_operators;

template <typename T>
DnsStatus status_of(const dns::Answer<T>& a) {
  if (a.temporary()) return DnsStatus::TempFail;
  switch (a.status) {
    case dns::Status::Ok:
      return DnsStatus::Ok;
    case dns::Status::NoData:
      return DnsStatus::NoData;
    case dns::Status::NxDomain:
    case dns::Status::BadName:
      return DnsStatus::NxDomain;
    default:
      return DnsStatus::TempFail;
  }
}

template <typename T>
std::string error_of(const dns::Answer<T>& a) {
  std::string e = dns::status_name(a.status);
  if (a.security == dns::Security::Bogus) e = "DNSSEC validation failed";
  if (!a.detail.empty()) e += ": " + a.detail;
  return e;
}

}  // namespace

net::awaitable<MxAnswer> SuiteResolver::mx(const std::string& domain) {
  auto answer = co_await resolver_.mx(domain);
  MxAnswer out;
  out.status = status_of(answer);
  out.secure = answer.security == dns::Security::Secure;
  if (out.status == DnsStatus::TempFail) out.error = error_of(answer);
  for (const auto& r : answer.records) out.records.push_back(MxRecord{r.preference, r.host});
  if (out.status == DnsStatus::Ok && out.records.empty()) out.status = DnsStatus::NoData;
  co_return out;
}

net::awaitable<AddressAnswer> SuiteResolver::addresses(const std::string& host) {
  auto [v6, v4] = co_await (resolver_.aaaa(host) && resolver_.a(host));
  AddressAnswer out;
  const DnsStatus s6 = status_of(v6), s4 = status_of(v4);
  for (const auto& a : v6.records) out.addresses.push_back(a);
  for (const auto& a : v4.records) out.addresses.push_back(a);
  out.secure = (v6.records.empty() || v6.security == dns::Security::Secure) &&
               (v4.records.empty() || v4.security == dns::Security::Secure);
  if (!out.addresses.empty()) {
    out.status = DnsStatus::Ok;
  } else if (s6 == DnsStatus::TempFail || s4 == DnsStatus::TempFail) {
    out.status = DnsStatus::TempFail;
    out.error = s4 == DnsStatus::TempFail ? error_of(v4) : error_of(v6);
    out.secure = false;
  } else if (s6 == DnsStatus::NxDomain && s4 == DnsStatus::NxDomain) {
    out.status = DnsStatus::NxDomain;
  } else {
    out.status = DnsStatus::NoData;
  }
  co_return out;
}

}  // namespace mail::relay
