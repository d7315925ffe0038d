// A Resolver on libunbound, driven from the Asio event loop: queries go out with
// ub_resolve_async(), the event loop waits for ub_fd() to become readable and calls
// ub_process(), which runs the callbacks. Nothing blocks the loop; every query has a
// deadline.
//
// Stand-alone until the suite's shared resolver (common/dns, the queue branch) lands; the
// relay then uses that one through a thin adapter and this file goes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/net/asio.h"
#include "common/result.h"
#include "queued/relay/resolver.h"

struct ub_ctx;

namespace mail::relay {

struct UnboundOptions {
  // "IP" or "IP@port" forwarders; empty: /etc/resolv.conf and /etc/hosts.
  std::vector<std::string> forwarders;
  std::chrono::seconds timeout{10};
  std::string trust_anchor_file;  // DNSSEC validation when set
};

class UnboundResolver final : public Resolver {
 public:
  static Result<std::unique_ptr<UnboundResolver>> create(net::asio::any_io_executor executor,
                                                         const UnboundOptions& options);
  ~UnboundResolver() override;

  net::awaitable<MxAnswer> mx(const std::string& domain) override;
  net::awaitable<AddressAnswer> addresses(const std::string& host) override;

 private:
  struct Query;
  UnboundResolver(net::asio::any_io_executor executor, ub_ctx* ctx, std::chrono::seconds timeout);
  net::awaitable<std::shared_ptr<Query>> ask(const std::string& name, int type);
  net::awaitable<void> pump(std::shared_ptr<bool> alive);

  net::asio::any_io_executor executor_;
  ub_ctx* ctx_;
  net::asio::posix::stream_descriptor fd_;
  std::chrono::seconds timeout_;
  int pending_ = 0;
  bool pumping_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once destroyed
};

}  // namespace mail::relay
