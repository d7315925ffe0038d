// SIGHUP for the configuration. Each daemon keeps its configuration in generations: a
// ConfigReloader reads the file again on SIGHUP (common/config.h reload_config: the keys
// that can change live take their new values, the others keep theirs and are logged as
// needing a restart), applies log.level at once, and hands the new Config to its
// listeners; a LiveContext builds the daemon's session context from each generation.
// A session takes the newest generation when it starts and keeps it to its end, so a
// limit never changes under a session that is running (new sessions get the new one).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/mail_metrics.h"
#include "common/net/asio.h"
#include "common/result.h"

namespace mail::net {

class Runtime;

class ConfigReloader {
 public:
  using Listener = std::function<void(std::shared_ptr<const Config>)>;

  // `path` empty: the daemon runs on the embedded defaults and SIGHUP has no file to read.
  ConfigReloader(std::filesystem::path path, Config running);

  std::shared_ptr<const Config> current() const;
  // Called (on the thread that runs reload()) with every new generation.
  void on_change(Listener listener) { listeners_.push_back(std::move(listener)); }

  // Reads the file again. A file that no longer parses changes nothing (the error is
  // logged and returned). Logs event=config_reloaded with the live keys that now differ
  // from start-up (changed=) and the keys ignored until a restart (restart_needed=).
  Result<ConfigReload> reload();

 private:
  std::filesystem::path path_;
  std::string startup_text_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Config> current_;
  std::vector<Listener> listeners_;
};

// SIGHUP runs reader.reload() (on the runtime's main loop).
void reload_config_on_sighup(Runtime& runtime, ConfigReloader& reloader);

// The session context of one configuration generation (the daemon's SmtpContext,
// ImapContext...), rebuilt by `make` for every generation; `make` binds the context's
// `config` to the generation's Config, which lives as long as the generation.
template <typename Context>
class LiveContext {
 public:
  struct Generation {
    std::shared_ptr<const Config> config;
    Context context;
  };
  using Make = std::function<Context(const Config&)>;

  LiveContext(std::shared_ptr<const Config> config, Make make) : make_(std::move(make)) {
    replace(std::move(config));
  }
  std::shared_ptr<Generation> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void replace(std::shared_ptr<const Config> config) {
    const Config& c = *config;
    auto next = std::shared_ptr<Generation>(new Generation{std::move(config), make_(c)});
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }

 private:
  Make make_;
  mutable std::mutex mutex_;
  std::shared_ptr<Generation> current_;
};

// Runs one session counted in mail_connections_open/total{listener}, holding `keep` (its
// configuration generation) until the session ends.
template <typename Keep>
awaitable<void> observed_session([[maybe_unused]] Keep keep, std::string listener,
                                 awaitable<void> session) {
  metrics::connection_opened(listener);
  struct Closed {
    const std::string& listener;
    ~Closed() { metrics::connection_closed(listener); }
  } closed{listener};
  co_await std::move(session);
}

}  // namespace mail::net
