#include "common/net/server.h"

#include <malloc.h>
#include <sys/resource.h>

#include <csignal>
#include <thread>

#include "common/log.h"

namespace mail::net {

Runtime::Runtime(int io_threads, int worker_threads)
    : contexts_([&] {
        std::vector<std::unique_ptr<asio::io_context>> v;
        int n = io_threads > 0 ? io_threads : std::max(1u, std::thread::hardware_concurrency());
        for (int i = 0; i < n; ++i) v.push_back(std::make_unique<asio::io_context>(1));
        return v;
      }()),
      workers_(worker_threads),
      signals_(*contexts_.front(), SIGINT, SIGTERM, SIGHUP),
      grace_timer_(*contexts_.front()) {
  for (auto& c : contexts_) guards_.push_back(asio::make_work_guard(*c));
  std::signal(SIGPIPE, SIG_IGN);
  // A fixed threshold: big blocks (argon2id's 19 MiB, message bodies) are mmap'd and go
  // back to the system when freed, instead of glibc's dynamic threshold keeping them in
  // each thread's heap. Idle daemons stay small.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

Runtime::~Runtime() {
  workers_.join();
}

asio::io_context& Runtime::next_context() {
  return *contexts_[next_++ % contexts_.size()];
}

void Runtime::begin_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  log::info("shutdown").kv("grace_seconds", static_cast<int64_t>(grace_.count()));
  boost::system::error_code ec;
  signals_.cancel(ec);
  for (auto& hook : shutdown_hooks_) hook();
  deadline_ = std::chrono::steady_clock::now() + grace_;
  wait_until_idle();
}

void Runtime::wait_until_idle() {
  bool busy = false;
  for (auto& check : busy_checks_) busy |= check();
  if (!busy || std::chrono::steady_clock::now() >= deadline_) {
    if (busy) log::warn("shutdown_forced");
    guards_.clear();
    for (auto& c : contexts_) c->stop();
    return;
  }
  grace_timer_.expires_after(std::chrono::milliseconds(20));
  grace_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) wait_until_idle();
  });
}

void Runtime::request_shutdown() {
  asio::post(main_context(), [this] { begin_shutdown(); });
}

void Runtime::run(std::chrono::seconds grace) {
  grace_ = grace;
  std::function<void()> wait_signal;
  wait_signal = [this, &wait_signal] {
    signals_.async_wait([this, &wait_signal](boost::system::error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        log::info("reload");
        for (auto& hook : reload_hooks_) hook();
        wait_signal();
        return;
      }
      begin_shutdown();
    });
  };
  wait_signal();
  std::vector<std::thread> threads;
  for (size_t i = 1; i < contexts_.size(); ++i)
    threads.emplace_back([this, i] { contexts_[i]->run(); });
  contexts_.front()->run();
  for (auto& t : threads) t.join();
}

struct Server::Listener {
  ListenerSpec spec;
  SessionHandler handler;
  tcp::acceptor acceptor;
};

// Descriptors a daemon needs besides its sessions: listeners, LMDB files, epoll and
// eventfds of each loop, the log, the worker pool.
constexpr uint64_t kSpareDescriptors = 256;

Server::Server(Runtime& runtime, std::string daemon, ServerLimits limits,
               std::shared_ptr<TlsContexts> tls)
    : runtime_(runtime), daemon_(std::move(daemon)), limits_(limits), tls_(std::move(tls)) {
  runtime_.add_busy_check([this] { return active_.load() > 0; });
  raise_open_file_limit(static_cast<uint64_t>(limits_.max_connections) + kSpareDescriptors);
}

uint64_t raise_open_file_limit(uint64_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= needed) return limit.rlim_cur;
  rlimit wanted = limit;
  wanted.rlim_cur = needed;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    wanted.rlim_max = needed;  // only with CAP_SYS_RESOURCE (started as root)
    if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) {
      log::info("open_file_limit").kv("soft", needed).kv("hard", needed).kv("raised_hard", true);
      return needed;
    }
    wanted.rlim_cur = wanted.rlim_max = limit.rlim_max;
  }
  if (setrlimit(RLIMIT_NOFILE, &wanted) != 0) wanted = limit;
  if (wanted.rlim_cur < needed)
    log::warn("open_file_limit_low")
        .kv("soft", static_cast<uint64_t>(wanted.rlim_cur))
        .kv("hard", static_cast<uint64_t>(wanted.rlim_max))
        .kv("needed", needed)
        .kv("hint", "raise the hard limit (ulimit -Hn, LimitNOFILE=) or lower max_connections");
  else
    log::info("open_file_limit").kv("soft", static_cast<uint64_t>(wanted.rlim_cur));
  return wanted.rlim_cur;
}

std::string address_text(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

Result<tcp::endpoint> parse_endpoint(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return make_error(ErrorKind::Invalid, "missing port in " + address);
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec)
    return make_error(ErrorKind::Invalid, "bad address " + host + " (an IP address is required)");
  int port = std::stoi(address.substr(colon + 1));
  return tcp::endpoint(ip, static_cast<uint16_t>(port));
}

Result<void> Server::listen(ListenerSpec spec, SessionHandler handler) {
  if (spec.address.empty()) return {};  // listener disabled in the config
  if (spec.implicit_tls && !tls_)
    return make_error(ErrorKind::Invalid,
                      spec.name + " listener needs tls.cert_file and tls.key_file");
  auto endpoint = parse_endpoint(spec.address);
  if (!endpoint) return endpoint.error();
  auto listener = std::make_shared<Listener>(
      Listener{std::move(spec), std::move(handler), tcp::acceptor(runtime_.main_context())});
  boost::system::error_code ec;
  listener->acceptor.open(endpoint->protocol(), ec);
  if (!ec) listener->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) listener->acceptor.bind(*endpoint, ec);
  if (!ec) listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(ErrorKind::Temporary,
                      "listen on " + listener->spec.address + ": " + ec.message());
  log::info("listening").kv("listener", listener->spec.name).kv("address", listener->spec.address);
  listeners_.push_back(listener);
  asio::co_spawn(runtime_.main_context(), accept_loop(listener), asio::detached);
  return {};
}

std::optional<tcp::endpoint> Server::local_endpoint(std::string_view name) const {
  for (const auto& l : listeners_) {
    boost::system::error_code ec;
    if (l->spec.name == name) {
      auto endpoint = l->acceptor.local_endpoint(ec);
      if (!ec) return endpoint;
    }
  }
  return std::nullopt;
}

awaitable<void> Server::accept_loop(std::shared_ptr<Listener> listener) {
  while (!stopping_) {
    auto& ctx = runtime_.next_context();
    auto [ec, socket] = co_await listener->acceptor.async_accept(ctx, use_nothrow);
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      log::warn("accept_failed").kv("listener", listener->spec.name).kv("error", ec.message());
      // Out of descriptors, say: pause briefly instead of spinning.
      asio::steady_timer pause(listener->acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    boost::system::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    const std::string address = rec ? std::string() : address_text(remote.address());
    std::string refusal;
    if (!admit(address, *listener, refusal)) {
      boost::system::error_code wec;
      if (!refusal.empty() && !listener->spec.implicit_tls)
        asio::write(socket, asio::buffer(refusal), wec);  // a fresh socket: does not block
      socket.close(wec);
      continue;
    }
    auto conn = std::make_shared<Connection>(std::move(socket), listener->spec.max_line,
                                             log::new_session_id(), limits_.connection);
    {
      std::lock_guard lock(sessions_mutex_);
      std::erase_if(sessions_, [](const OpenSession& o) { return o.connection.expired(); });
      sessions_.push_back(OpenSession{conn, listener->spec.shutdown_reply});
    }
    // The completion runs however the session ends, by return or by exception (a bug, or
    // an exception rethrown by net::offload): the slot is always given back.
    asio::co_spawn(ctx, run_session(conn, listener),
                   [this, address, id = conn->id()](std::exception_ptr e) {
                     release(address);
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       log::error("session_crashed").kv("session", id).kv("error", ex.what());
                     } catch (...) {
                       log::error("session_crashed").kv("session", id).kv("error", "unknown");
                     }
                   });
  }
}

bool Server::admit(const std::string& address, const Listener& listener, std::string& refusal) {
  const char* reason = nullptr;
  {
    std::lock_guard lock(per_ip_mutex_);
    if (active_.load() >= limits_.max_connections) {
      reason = "max_connections";
      refusal = listener.spec.busy_reply;
    } else if (int& open = per_ip_[address]; open >= limits_.max_connections_per_ip) {
      reason = "max_connections_per_ip";
      refusal = listener.spec.per_ip_reply.empty() ? listener.spec.busy_reply
                                                   : listener.spec.per_ip_reply;
    } else {
      ++open;
      ++active_;
      return true;
    }
  }
  log::warn("connection_refused")
      .kv("listener", listener.spec.name)
      .kv("remote", address)
      .kv("reason", reason);
  return false;
}

void Server::release(const std::string& address) {
  std::lock_guard lock(per_ip_mutex_);
  if (auto it = per_ip_.find(address); it != per_ip_.end() && --it->second <= 0) per_ip_.erase(it);
  --active_;
}

awaitable<void> Server::run_session(std::shared_ptr<Connection> conn,
                                    std::shared_ptr<Listener> listener) {
  log::info("connect")
      .kv("session", conn->id())
      .kv("listener", listener->spec.name)
      .kv("remote", conn->remote_address())
      .kv("port", static_cast<int64_t>(conn->remote_port()));
  // The session's lifetime: when it ends, the session gets its protocol's reply at its
  // next read (as on SIGTERM) and closes.
  asio::steady_timer lifetime(conn->executor(), limits_.max_session_time);
  lifetime.async_wait([weak = std::weak_ptr<Connection>(conn),
                       reply = listener->spec.expired_reply.empty()
                                   ? listener->spec.shutdown_reply
                                   : listener->spec.expired_reply](boost::system::error_code ec) {
    auto conn = weak.lock();
    if (ec || !conn) return;
    log::info("session_expired").kv("session", conn->id());
    conn->shut_down(reply);
  });
  bool ok = true;
  if (listener->spec.implicit_tls) {
    auto ctx = tls_->current();
    ok = co_await conn->start_tls(*ctx);
    if (!ok) log::info("tls_failed").kv("session", conn->id());
  }
  if (ok) co_await listener->handler(conn, listener->spec);
  lifetime.cancel();
  co_await conn->flush(std::min(kFarewellTimeout, limits_.connection.write_timeout));
  conn->close();
  log::info("disconnect").kv("session", conn->id());
}

void Server::shutdown() {
  stopping_ = true;
  for (auto& l : listeners_) {
    asio::post(l->acceptor.get_executor(), [l] {
      boost::system::error_code ec;
      l->acceptor.close(ec);
    });
  }
  std::lock_guard lock(sessions_mutex_);
  for (auto& open : sessions_) {
    if (auto conn = open.connection.lock())
      asio::post(conn->executor(), [conn, bye = open.shutdown_reply] { conn->shut_down(bye); });
  }
}

}  // namespace mail::net
