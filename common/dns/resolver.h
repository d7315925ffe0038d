// The suite's DNS resolver: libunbound (a maintained validating resolver library) driven
// from an Asio event loop. Lookups are coroutines (co_await resolver.mx("example.org"));
// worker threads (libspf2 and OpenDKIM callbacks) use the *_sync forms, which block only
// the calling thread. Every answer says Ok, NoData, NxDomain (permanent) or ServFail,
// Timeout, Error (temporary), and carries its DNSSEC status for DANE.
//
// Configuration ([dns]): resolvers as "IP" or "IP@port" (forwarders), or the system's
// /etc/resolv.conf and /etc/hosts when none is given; a timeout per lookup; optional
// trust anchors for validation. The RFC 6761 ".test" zone, which libunbound refuses by
// default, is resolved like any other (tests and demos live there).
//
// Trusts nothing it receives: record data is parsed by common/dns/rdata.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/dns/rdata.h"
#include "common/net/asio.h"
#include "common/result.h"

namespace mail::dns {

template <typename T>
struct Answer {
  Status status = Status::Error;
  Security security = Security::Insecure;
  std::vector<T> records;  // in the order the resolver gave them
  uint32_t ttl = 0;        // seconds
  std::string detail;      // why it failed or is bogus, for logs and replies

  bool ok() const { return status == Status::Ok; }
  // Worth trying again later: a temporary status, or an answer that failed validation.
  bool temporary() const { return is_temporary(status) || security == Security::Bogus; }
};

class Resolver {
 public:
  // Lookups run on `loop` (its io_context must be running for the *_sync forms too).
  static Result<std::unique_ptr<Resolver>> create(net::asio::io_context& loop,
                                                  const DnsConfig& config);
  // REQUIRES: on the loop's thread, or with the loop stopped. Lookups still in flight
  // never complete.
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Coroutines; may be awaited from any event loop (they resume on the caller's).
  net::awaitable<Answer<MxRecord>> mx(std::string_view domain);
  net::awaitable<Answer<net::asio::ip::address>> a(std::string_view host);
  net::awaitable<Answer<net::asio::ip::address>> aaaa(std::string_view host);
  net::awaitable<Answer<std::string>> txt(std::string_view name);
  // Any other type (PTR 12, SRV 33, ...): each record's RDATA as libunbound gives it
  // (names inside uncompressed), for the caller's own parser (mail authentication).
  net::awaitable<Answer<std::string>> rdata(std::string_view name, uint16_t rrtype);

  // Blocking forms for worker threads. REQUIRES: not called on the resolver's own event
  // loop (that would wait for itself; it returns Error instead).
  Answer<MxRecord> mx_sync(std::string_view domain);
  Answer<net::asio::ip::address> a_sync(std::string_view host);
  Answer<net::asio::ip::address> aaaa_sync(std::string_view host);
  Answer<std::string> txt_sync(std::string_view name);
  Answer<std::string> rdata_sync(std::string_view name, uint16_t rrtype);

  struct Raw;   // one answer as libunbound gave it (resolver.cpp)
  struct Impl;  // the libunbound context and the queries in flight

 private:
  explicit Resolver(std::unique_ptr<Impl> impl);
  net::awaitable<Raw> query(std::string_view name, int rrtype);
  Raw query_sync(std::string_view name, int rrtype);

  std::unique_ptr<Impl> impl_;
};

}  // namespace mail::dns
