#include "common/net/config_reload.h"

#include <fstream>
#include <sstream>

#include "common/log.h"
#include "common/net/server.h"

namespace mail::net {
namespace {

Result<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::NotFound, "cannot read config file " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string joined(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ",") + k;
  return out;
}

const char* process_environment(const char* name) {
  return std::getenv(name);
}

}  // namespace

ConfigReloader::ConfigReloader(std::filesystem::path path, Config running)
    : path_(std::move(path)), current_(std::make_shared<const Config>(std::move(running))) {
  if (path_.empty()) return;
  if (auto text = read_text(path_)) startup_text_ = std::move(*text);
}

std::shared_ptr<const Config> ConfigReloader::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

Result<ConfigReload> ConfigReloader::reload() {
  if (path_.empty()) {
    log::info("config_reload_skipped").kv("reason", "no config file (embedded defaults)");
    return ConfigReload{*current(), {}, {}};
  }
  auto text = read_text(path_);
  Result<ConfigReload> reloaded =
      text ? reload_config(startup_text_, *text, path_.string(),
                           std::filesystem::absolute(path_).parent_path(), process_environment)
           : Result<ConfigReload>(text.error());
  if (!reloaded) {
    log::error("config_reload_failed")
        .kv("error", reloaded.error().message)
        .kv("note", "the running configuration stays");
    return reloaded;
  }
  auto next = std::make_shared<const Config>(reloaded->config);
  {
    std::lock_guard lock(mutex_);
    current_ = next;
  }
  for (auto& listener : listeners_) listener(next);
  auto report = [&] {
    auto line = log::info("config_reloaded");
    line.kv("file", path_.string()).kv("changed", joined(reloaded->changed));
    if (!reloaded->need_restart.empty()) line.kv("restart_needed", joined(reloaded->need_restart));
  };
  // Written under whichever of the two levels shows it (raising the level to warn still
  // leaves the record of the reload that did it).
  const bool shown_now = log::enabled(log::Level::Info);
  if (shown_now) report();
  log::set_level(next->log.level);
  if (!shown_now) report();
  return reloaded;
}

void reload_config_on_sighup(Runtime& runtime, ConfigReloader& reloader) {
  runtime.on_reload([&reloader] { (void)reloader.reload(); });
}

}  // namespace mail::net
