// The relay's memory of next hops that took no connection, as Postfix's queue manager
// remembers a dead destination: for relay.dead_destination_time seconds after every
// address of a destination failed (or one MX address refused the TCP connection), later
// batches to it are deferred at once with "4.4.1 delivery temporarily suspended: <last
// reply>" instead of each connecting again (a host that drops SYNs would hold every batch
// for the connect timeout). The normal per-recipient backoff retries them after the expiry;
// a connection that succeeds forgets the entry at once.
//
// Keys are NextHop::key() for a whole destination (its MX set) and "address:port" for one
// MX address. In memory, per queued process (a restart forgets). Pure: the caller passes
// the time, so tests drive it with a fake clock. Not thread-safe (one event loop).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "smtpd/protocol/reply.h"

namespace mail::relay {

class DeadDestinations {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Entry {
    smtp::Reply reply;  // the last failure: 451 4.4.1 "<host>: Connection refused", ...
    std::string host;   // who gave it ("" our own verdict, e.g. a refused connect)
    std::string address;
    bool remote = false;  // the reply came from the server (record_reply shows the host)
    TimePoint until{};
  };

  // `ttl` zero: nothing is remembered. At most `max_entries` are kept (the one that
  // expires first makes room), so a flood of dead domains cannot grow memory unbounded.
  explicit DeadDestinations(std::chrono::seconds ttl, size_t max_entries = 10000)
      : ttl_(ttl), max_entries_(max_entries) {}

  // Remembers `key` as dead until now + ttl with this failure.
  void mark(const std::string& key, Entry entry, TimePoint now);
  // The live entry for `key`, if any (an expired one is dropped).
  std::optional<Entry> find(const std::string& key, TimePoint now);
  // A connection succeeded: `key` is alive.
  void clear(const std::string& key) { entries_.erase(key); }

  size_t size() const { return entries_.size(); }
  std::chrono::seconds ttl() const { return ttl_; }

  // The reply a deferred recipient gets: "451 4.4.1 delivery temporarily suspended:
  // host mx[192.0.2.1] said: 421 ..." or "...: mx.example.net: Connection refused".
  static smtp::Reply suspended_reply(const Entry& entry);

 private:
  std::chrono::seconds ttl_;
  size_t max_entries_;
  std::map<std::string, Entry> entries_;
};

}  // namespace mail::relay
